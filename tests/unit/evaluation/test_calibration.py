"""Per-label calibration: it undoes known distortions, keeps every decision, folds into a linear head, and is fitted
on the selection split alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import FAST_RUN, compose_train, goemotions_overrides, goemotions_rows, write_goemotions
from torch import nn

from emotune.evaluation.calibration import MAX_SCALE, Calibration, calibration_errors, fit_calibration
from emotune.inference import decide
from emotune.recipes.train import train


def sampled(distort: np.ndarray, n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True logits, labels drawn from them, and the true logits passed through `distort` (one column per label)."""
    rng = np.random.default_rng(seed)
    true = rng.normal(-1.0, 2.5, size=(n, distort.shape[0]))
    labels = (rng.random(true.shape) < 1 / (1 + np.exp(-true))).astype(np.uint8)
    return true, labels, true * distort[:, 0] + distort[:, 1]


def test_temperature_undoes_a_squeeze_and_lowers_the_calibration_error():
    squeeze = np.array([0.25, 1.0, 3.0])
    _, labels, observed = sampled(np.stack([squeeze, np.zeros(3)], axis=1))
    fitted = fit_calibration(observed, labels, "temperature", "tune")
    assert fitted.scale == pytest.approx(1 / squeeze, rel=0.08)
    assert np.all(fitted.shift == 0)
    logits, truth = torch.from_numpy(observed), torch.from_numpy(labels)
    before = calibration_errors(torch.sigmoid(logits), truth)
    after = calibration_errors(fitted.probabilities(logits), truth)
    assert after["macro_ece"] < before["macro_ece"] / 3 and after["ece"] < before["ece"]


def test_platt_recovers_a_scale_and_a_shift():
    distort = np.array([[0.5, 1.0], [2.0, -1.5]])  # observed = true * a + b
    _, labels, observed = sampled(distort)
    fitted = fit_calibration(observed, labels, "platt", "tune")
    assert fitted.scale == pytest.approx(1 / distort[:, 0], rel=0.08)
    assert fitted.shift == pytest.approx(-distort[:, 1] / distort[:, 0], abs=0.1)


def test_thresholds_mapped_through_the_calibration_make_the_same_decisions():
    _, labels, observed = sampled(np.array([[0.4, 0.3], [1.5, -0.2], [1.0, 0.0]]), n=3000)
    logits = torch.from_numpy(observed)
    raw_thresholds = np.array([0.02, 0.5, 0.73])
    for method in ("temperature", "platt"):
        calibration = fit_calibration(observed, labels, method, "tune")
        thresholds = calibration.calibrated_thresholds(raw_thresholds)
        assert calibration.raw_thresholds(thresholds) == pytest.approx(raw_thresholds)
        calibrated = decide(calibration.probabilities(logits).numpy(), thresholds)
        raw = decide(torch.sigmoid(logits.double()).numpy(), raw_thresholds)
        assert (calibrated == raw).all()


def test_a_steep_calibration_decides_as_the_raw_outputs_where_float32_cannot():
    """Planted: a scale of 20 and a shift of 15 put the calibrated threshold of raw 0.5 at 1 - 3.06e-7, where float32
    steps by 6e-8; float32 logits just below 0 then round to calibrated probabilities at or above it."""
    calibration = Calibration(np.array([20.0]), np.array([15.0]), "platt", "tune")
    logits = torch.linspace(-0.01, 0.01, 2001, dtype=torch.float32)[:, None]
    raw_thresholds = np.array([0.5])
    raw = decide(torch.sigmoid(logits.double()).numpy(), raw_thresholds)
    calibrated = decide(calibration.probabilities(logits).numpy(), calibration.calibrated_thresholds(raw_thresholds))
    assert raw.sum() == (logits >= 0).sum() and 0 < raw.sum() < len(logits)
    assert (calibrated == raw).all()


def test_the_fitted_scale_is_bounded_on_a_separable_label():
    logits = np.concatenate([np.linspace(-3, -0.01, 200), np.linspace(0.01, 3, 10)])[:, None]
    labels = (logits > 0).astype(np.float64)  # perfectly separated: the likelihood wants an infinite scale
    fitted = fit_calibration(logits, labels, "platt", "tune")
    assert fitted.scale[0] == pytest.approx(MAX_SCALE)


def test_a_label_without_positives_or_negatives_keeps_the_identity():
    _, labels, observed = sampled(np.array([[0.3, 0.0]] * 3), n=2000)
    labels[:, 1], labels[:, 2] = 0, 1
    fitted = fit_calibration(observed, labels, "platt", "tune")
    assert fitted.scale[0] > 2 and list(fitted.scale[1:]) == [1.0, 1.0] and list(fitted.shift[1:]) == [0.0, 0.0]


def test_the_record_round_trips_and_refuses_another_label_set():
    calibration = Calibration(np.array([0.5, 2.0]), np.array([0.1, -0.2]), "platt", "val")
    record = json.loads(json.dumps(calibration.record(["joy", "fear"])))
    back = Calibration.from_record(record, ["joy", "fear"])
    assert list(back.scale) == [0.5, 2.0] and list(back.shift) == [0.1, -0.2] and back.fitted_on == "val"
    with pytest.raises(ValueError, match=r"no entry for labels \['anger'\]"):
        Calibration.from_record(record, ["joy", "anger"])


def test_folding_into_the_head_gives_calibrated_logits():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    inputs = torch.randn(5, 8)
    calibration = Calibration(np.array([0.5, 2.0, 3.0]), np.array([0.1, -0.2, 0.0]), "platt", "val")
    with torch.no_grad():
        expected = calibration.probabilities(net(inputs))
        calibration.fold_into(net)
        assert torch.allclose(torch.sigmoid(net(inputs)).double(), expected, atol=1e-6)
    biasless = nn.Sequential(nn.Linear(8, 3, bias=False))
    with pytest.raises(ValueError, match="without a bias"):
        calibration.fold_into(biasless)
    with pytest.raises(ValueError, match="expected one linear head with 3 outputs, found 0"):
        calibration.fold_into(nn.Linear(8, 4))


def test_the_fit_never_sees_the_report_split(tmp_path: Path):
    """Two runs whose test rows carry different labels fit the same calibration and thresholds on val."""
    fitted = []
    for seed in (2, 3):
        data = write_goemotions(tmp_path / f"data{seed}", {"train.tsv": goemotions_rows(200),
                                                           "dev.tsv": goemotions_rows(60, seed=1),
                                                           "test.tsv": goemotions_rows(60, seed=seed)})
        cfg = compose_train(tmp_path / f"run{seed}", [*FAST_RUN, *goemotions_overrides(data)])
        train(cfg)
        run_dir = Path(cfg.paths.output_dir)
        fitted.append([json.loads((run_dir / name).read_text()) for name in ("calibration.json", "thresholds.json")])
        report = json.loads((run_dir / "eval_test" / "metrics.json").read_text())
        assert report["calibration"]["fitted_on"] == "val" and "fitted the calibration" not in report["chose"]
    assert fitted[0][0]["fitted_on"] == "val" and fitted[0][0]["method"] == "platt"
    assert fitted[0] == fitted[1]


def test_an_unknown_method_is_refused_before_training(tmp_path: Path):
    data = write_goemotions(tmp_path / "data", {"train.tsv": goemotions_rows(60), "dev.tsv": goemotions_rows(20)})
    cfg = compose_train(tmp_path, [*FAST_RUN, *goemotions_overrides(data), "model.calibration=isotonic"])
    with pytest.raises(ValueError, match=r"model.calibration='isotonic': expected one of \('temperature', 'platt'\)"):
        train(cfg)
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()
