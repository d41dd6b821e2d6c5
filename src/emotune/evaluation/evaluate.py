"""Reloads a run and reports every label on a split, at its tuned thresholds and at the fixed one."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from emotune.atomic import ensure_writable_dir
from emotune.evaluation.per_label import per_label_report
from emotune.evaluation.plots import write_plots
from emotune.evaluation.report import print_table, write_report
from emotune.inference import predict_loader
from emotune.run.loader import TrainedRun, load_run

log = logging.getLogger(__name__)


def with_thresholds(run: TrainedRun, split: str, probs: torch.Tensor, labels: torch.Tensor) -> dict:
    """The run's tuned per-label thresholds when it has them (the headline), and the fixed one beside them."""
    fixed = run.cfg.model.threshold
    at_fixed = per_label_report(probs, labels, run.label_names, fixed)
    if not run.thresholds.get("per_label"):
        return at_fixed
    tuned_on = run.thresholds.get("tuned_on")
    if run.weights == "last":
        log.warning("The tuned thresholds were chosen for the best weights; with the last ones the fixed threshold "
                    "is the fairer headline")
    if tuned_on == split:
        log.warning("Thresholds were tuned on %s itself: these %s scores are optimistic", split, split)
    tuned = per_label_report(probs, labels, run.label_names, run.threshold_vector())
    summary = {k: at_fixed[k] for k in ("macro_f1", "micro_f1", "macro_precision", "macro_recall", "exact_match")}
    return {**tuned, "thresholds_tuned_on": tuned_on, "at_fixed_threshold": {"threshold": fixed, **summary}}


def evaluate(run_dir: Path, split: str, checkpoint: str = "best", data_overrides: DictConfig | None = None) -> dict:
    """Writes run_dir/eval_<split>/{metrics.json, per_class.csv, report.md, *.png} and returns the report."""
    run = load_run(run_dir, checkpoint)
    out_dir = ensure_writable_dir(run.path / f"eval_{split}", "evaluation output")
    datamodule = run.datamodule(OmegaConf.merge(run.cfg.data, data_overrides or {}))
    probs = predict_loader(run.model, datamodule.loader(split))
    labels = torch.from_numpy(datamodule.split(split).labels)
    report = with_thresholds(run, split, probs, labels)
    title = f"{run.path.name} on {split} ({checkpoint} weights)"
    print_table(report, title)
    write_report(report, out_dir, title)
    write_plots(report, probs, labels, run.label_names, out_dir)
    return report
