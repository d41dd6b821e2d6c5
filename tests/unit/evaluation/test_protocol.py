"""The three roles: train (resampled), selection (best epoch, thresholds), report. By default none overlap; a
report on a split that chose anything says so in the table itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import FAST_RUN, compose_train, goemotions_overrides, goemotions_rows, write_goemotions

from emotune.recipes.train import train


def goemotions(tmp_path: Path, with_test: bool) -> Path:
    splits = {"train.tsv": goemotions_rows(200), "dev.tsv": goemotions_rows(60, seed=1)}
    if with_test:
        splits["test.tsv"] = goemotions_rows(60, seed=2)
    return write_goemotions(tmp_path / "goemotions", splits)


@pytest.mark.parametrize(("with_test", "roles"), [(True, {"train": "train", "selection": "val", "report": "test"}),
                                                  (False, {"train": "train", "selection": "tune", "report": "val"})])
def test_roles_never_overlap_by_default(tmp_path: Path, with_test: bool, roles: dict) -> None:
    cfg = compose_train(tmp_path, [*FAST_RUN, *goemotions_overrides(goemotions(tmp_path, with_test))])
    summary = train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    assert summary["roles"] == roles
    assert json.loads((run_dir / "metrics.json").read_text())["roles"] == roles
    assert json.loads((run_dir / "thresholds.json").read_text())["tuned_on"] == roles["selection"]
    report = json.loads((run_dir / f"eval_{roles['report']}" / "metrics.json").read_text())
    assert report["split"] == roles["report"] and report["chose"] == [] and not report["optimistic"]
    assert f"{roles['report']} chose nothing" in (run_dir / f"eval_{roles['report']}" / "report.md").read_text()


def test_a_report_on_the_selection_split_is_labelled_optimistic(tmp_path: Path, capsys) -> None:
    """Selecting on val without a test split makes val both selection and report: allowed, never silent."""
    cfg = compose_train(tmp_path, [*FAST_RUN, *goemotions_overrides(goemotions(tmp_path, False)),
                                   "datamodule.selection=val"])
    train(cfg)
    folder = Path(cfg.paths.output_dir) / "eval_val"
    report = json.loads((folder / "metrics.json").read_text())
    assert report["optimistic"] and report["chose"] == ["picked the best epoch", "tuned the thresholds",
                                                   "fitted the calibration"]
    assert "**OPTIMISTIC: val picked the best epoch and tuned the thresholds" in (folder / "report.md").read_text()
    assert "OPTIMISTIC: val picked the best epoch" in capsys.readouterr().out  # in the printed table's caption


def test_thresholds_on_another_split_than_the_selection_are_refused_before_fit(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, [*FAST_RUN, *goemotions_overrides(goemotions(tmp_path, False)),
                                   "thresholds.tune_on=val"])
    with pytest.raises(ValueError, match="thresholds.tune_on=val but the selection split is tune"):
        train(cfg)
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()
