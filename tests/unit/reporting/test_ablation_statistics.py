"""Ablation statistics: F1 matches torchmetrics, the paired two-level bootstrap finds planted gaps and not
phantom ones, and the plot writers emit PNGs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchmetrics.functional.classification import multilabel_f1_score

from emotune.reporting.ablation_plots import delta_heatmap, forest_plot
from emotune.reporting.statistics import (
    _count_matrix,
    _replicate_deltas,
    arm_summary,
    paired_bootstrap_delta,
    per_label_delta,
    per_label_f1,
    rarest_labels,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_truth(rng: np.random.Generator, n: int = 2000, n_labels: int = 10) -> np.ndarray:
    truth = rng.random((n, n_labels)) < 0.15
    return truth.astype(np.uint8)


def flipped(rng: np.random.Generator, truth: np.ndarray, rate: float, seeds: int = 5) -> np.ndarray:
    """Each seed: the truth with a fresh random `rate` of its positives turned into misses."""
    positive = truth.astype(bool)
    return np.stack([positive & ~(rng.random(truth.shape) < rate) for _ in range(seeds)])


def torch_f1(preds: np.ndarray, truth: np.ndarray, average: str) -> float:
    return float(multilabel_f1_score(torch.as_tensor(preds.astype(np.int64)), torch.as_tensor(truth.astype(np.int64)),
                                     num_labels=truth.shape[1], average=average))


def test_arm_summary_matches_torchmetrics_per_seed_including_empty_labels():
    rng = np.random.default_rng(0)
    truth = make_truth(rng, n=300, n_labels=8)
    truth[:, 3] = 0  # label 3: no positives ...
    preds = rng.random((4, 300, 8)) < 0.2
    preds[:, :, 3] = False  # ... and no predictions: F1 0, and it still counts in the macro mean
    preds[1, :, 5] = False  # one seed never predicts label 5
    subset = [0, 2, 5]
    summary = arm_summary(preds, truth, subset=subset)
    for s in range(4):
        assert summary["macro_f1"]["per_seed"][s] == pytest.approx(torch_f1(preds[s], truth, "macro"), abs=1e-6)
        assert summary["micro_f1"]["per_seed"][s] == pytest.approx(torch_f1(preds[s], truth, "micro"), abs=1e-6)
        assert summary["subset_macro_f1"]["per_seed"][s] == pytest.approx(
            torch_f1(preds[s][:, subset], truth[:, subset], "macro"), abs=1e-6)
    macro = np.array(summary["macro_f1"]["per_seed"])
    assert summary["macro_f1"]["mean"] == pytest.approx(macro.mean())
    assert summary["macro_f1"]["std"] == pytest.approx(macro.std(ddof=1))
    assert summary["n_seeds"] == 4


def test_arm_summary_rejects_scores_and_mismatched_shapes():
    truth = np.zeros((5, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="threshold"):
        arm_summary(np.full((2, 5, 3), 0.3), truth)
    with pytest.raises(ValueError, match="match"):
        arm_summary(np.zeros((2, 5, 4), dtype=bool), truth)


def test_planted_gap_excludes_zero():
    rng = np.random.default_rng(1)
    truth = make_truth(rng)
    good, bad = flipped(rng, truth, 0.10), flipped(rng, truth, 0.40)
    result = paired_bootstrap_delta(good, bad, truth, n_boot=500, seed=0)
    assert result["excludes_zero"] and 0 < result["low"] <= result["delta"] <= result["high"]
    reverse = paired_bootstrap_delta(bad, good, truth, n_boot=500, seed=0)
    assert reverse["excludes_zero"] and reverse["high"] < 0


def test_identical_arms_give_zero_delta_and_cover_zero():
    rng = np.random.default_rng(2)
    truth = make_truth(rng)
    preds = flipped(rng, truth, 0.25)
    result = paired_bootstrap_delta(preds, preds.copy(), truth, n_boot=200, seed=0)
    assert result["delta"] == 0.0 and result["low"] <= 0.0 <= result["high"]
    assert not result["excludes_zero"]
    assert np.all(per_label_delta(preds, preds.copy(), truth) == 0.0)


def test_same_noise_process_covers_zero_in_most_repetitions():
    rng = np.random.default_rng(3)
    truth = make_truth(rng)
    covered = 0
    for rep in range(100):
        arm, base = flipped(rng, truth, 0.25), flipped(rng, truth, 0.25)
        covered += not paired_bootstrap_delta(arm, base, truth, n_boot=200, seed=rep)["excludes_zero"]
    assert covered >= 90


def test_point_estimate_is_mean_of_per_seed_differences():
    rng = np.random.default_rng(4)
    truth = make_truth(rng, n=500)
    arm, base = flipped(rng, truth, 0.2), flipped(rng, truth, 0.3)
    expected = np.mean([torch_f1(arm[s], truth, "macro") - torch_f1(base[s], truth, "macro") for s in range(5)])
    assert paired_bootstrap_delta(arm, base, truth, n_boot=50)["delta"] == pytest.approx(expected, abs=1e-6)
    subset = [1, 4, 7]
    expected_subset = np.mean([torch_f1(arm[s][:, subset], truth[:, subset], "macro")
                               - torch_f1(base[s][:, subset], truth[:, subset], "macro") for s in range(5)])
    got = paired_bootstrap_delta(arm, base, truth, n_boot=50, subset=subset)["delta"]
    assert got == pytest.approx(expected_subset, abs=1e-6)


def test_weighted_replicates_equal_explicit_resampling():
    """The matmul shortcut must score a replicate exactly as indexing the rows and seeds would."""
    rng = np.random.default_rng(5)
    truth = make_truth(rng, n=120, n_labels=6).astype(bool)
    arm, base = rng.random((3, 120, 6)) < 0.2, rng.random((3, 120, 6)) < 0.2
    row_idx = rng.integers(0, 120, size=(4, 120))
    seed_idx = np.array([[0, 0, 2], [1, 2, 1], [2, 2, 2], [0, 1, 2]])
    got = _replicate_deltas(_count_matrix(arm, base, truth), row_idx, seed_idx, 3)
    for b in range(4):
        rows = row_idx[b]
        expected = np.mean([torch_f1(arm[s][rows], truth[rows], "macro") - torch_f1(base[s][rows], truth[rows], "macro")
                            for s in seed_idx[b]])
        assert got[b] == pytest.approx(expected, abs=1e-6)


def test_bootstrap_is_deterministic_given_seed_and_sees_row_variance():
    rng = np.random.default_rng(6)
    truth = make_truth(rng, n=400)
    arm, base = flipped(rng, truth, 0.2), flipped(rng, truth, 0.3)
    first = paired_bootstrap_delta(arm, base, truth, n_boot=300, seed=7)
    assert first == paired_bootstrap_delta(arm, base, truth, n_boot=300, seed=7)
    assert first != paired_bootstrap_delta(arm, base, truth, n_boot=300, seed=8)
    # Every seed identical: seed resampling alone would give a zero-width interval; row resampling must widen it.
    one = np.repeat(arm[:1], 5, axis=0), np.repeat(base[:1], 5, axis=0)
    result = paired_bootstrap_delta(*one, truth, n_boot=300, seed=0)
    assert result["high"] - result["low"] > 0.005


def test_seed_disagreement_widens_the_interval():
    """Seeds that disagree on the sign, each with no row noise at all: only seed resampling can see the spread."""
    truth = make_truth(np.random.default_rng(8)).astype(bool)
    arm, base = np.repeat(truth[None], 5, axis=0), np.repeat(truth[None], 5, axis=0)
    for s in range(5):  # per-seed Δ = +0.1, -0.1, +0.1, -0.1, +0.1: one whole label lost by one side
        (base if s % 2 == 0 else arm)[s, :, 0] = False
    result = paired_bootstrap_delta(arm, base, truth, n_boot=500, seed=0)
    assert result["delta"] == pytest.approx(0.02)
    assert result["low"] < 0 < result["high"] and result["high"] - result["low"] > 0.1


def test_paired_bootstrap_rejects_unpaired_arms():
    truth = np.zeros((10, 3), dtype=bool)
    with pytest.raises(ValueError, match="paired"):
        paired_bootstrap_delta(np.zeros((3, 10, 3), bool), np.zeros((2, 10, 3), bool), truth)


def test_per_label_delta_matches_per_label_f1_difference():
    rng = np.random.default_rng(7)
    truth = make_truth(rng, n=300)
    arm, base = flipped(rng, truth, 0.1), flipped(rng, truth, 0.5)
    delta = per_label_delta(arm, base, truth)
    assert delta.shape == (10,) and np.all(delta > 0)
    assert np.allclose(delta, (per_label_f1(arm, truth) - per_label_f1(base, truth)).mean(axis=0))


def test_rarest_labels_orders_by_support_with_index_ties():
    truth = np.zeros((20, 6), dtype=np.uint8)
    for label, support in enumerate([9, 2, 0, 5, 2, 12]):
        truth[:support, label] = 1
    assert rarest_labels(truth, 3).tolist() == [2, 1, 4]
    assert rarest_labels(truth, 1).tolist() == [2]


def test_plot_writers_produce_pngs(tmp_path):
    rows = [("focal", 0.02, 0.01, 0.03, 0.01, -0.005, 0.02),
            ("oversample", -0.01, -0.02, 0.004, float("nan"), float("nan"), float("nan"))]
    forest = tmp_path / "forest.png"
    forest_plot(rows, forest)
    assert forest.read_bytes()[:8] == PNG_MAGIC
    heat = tmp_path / "sub" / "heat.png"
    matrix = np.array([[0.1, -0.05, np.nan], [0.0, 0.2, -0.3]])
    delta_heatmap(matrix, ["focal", "oversample"], ["joy", "anger", "grief"], heat)
    assert heat.read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError, match="arms"):
        delta_heatmap(matrix, ["focal"], ["joy", "anger", "grief"], heat)
