"""Scores a split with a model and reports every label, at the tuned thresholds and at the fixed one, with the
calibration error before and after the run's calibration, saying what the split chose. Training reports its report
split this way; `evaluate.py` does the same for a saved run."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from emotune.data.datamodule import EmotionDataModule
from emotune.evaluation.calibration import Calibration, calibration_errors
from emotune.evaluation.per_label import per_label_report
from emotune.evaluation.plots import write_plots
from emotune.evaluation.report import markdown, per_class_csv, print_table
from emotune.inference.scoring import predict_logits
from emotune.run.files import METRICS, PER_CLASS, PROBABILITIES, RAW_PROBABILITIES, REPORT, TRUTH, eval_dir
from emotune.run.loader import TrainedRun, load_run
from emotune.utils.atomic import atomic_write, ensure_writable_dir, save_npy, write_json, write_text

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("macro_f1", "micro_f1", "macro_precision", "macro_recall", "exact_match")


def with_thresholds(run: TrainedRun, names: list[str], raw: torch.Tensor, labels: torch.Tensor) -> dict:
    """The tuned per-label thresholds when the run has them (the headline), and beside them the fixed threshold:
    both decide on the raw sigmoid outputs, where the thresholds were tuned (the calibrated probabilities make the
    same tuned decisions; a calibration fitted on the selection split would shift the untuned rule)."""
    fixed = run.cfg.model.threshold
    at_fixed = per_label_report(raw, labels, names, fixed)
    if not run.thresholds.get("per_label"):
        return {**at_fixed, "thresholds_on": "raw"}
    tuned = per_label_report(raw, labels, names, run.raw_thresholds())
    return {**tuned, "thresholds_on": "raw", "thresholds_tuned_on": run.thresholds.get("tuned_on"),
            "at_fixed_threshold": {"threshold": fixed, **{k: at_fixed[k] for k in SUMMARY_KEYS}}}


def choices(split: str, roles: dict, tuned_on: str | None, calibrated_on: str | None) -> list[str]:
    """What this split chose: any choice makes numbers measured on it optimistic."""
    made = ["picked the best epoch"] if split == roles.get("selection") else []
    made += ["tuned the thresholds"] if split == tuned_on else []
    return made + (["fitted the calibration"] if split == calibrated_on else [])


def calibration_summary(calibration: Calibration, raw: torch.Tensor, probs: torch.Tensor,
                        labels: torch.Tensor) -> dict:
    before = calibration_errors(raw, labels)
    after = calibration_errors(probs, labels) if calibration.method else before
    return {"method": calibration.method, "fitted_on": calibration.fitted_on,
            **{f"{key}_before": value for key, value in before.items()},
            **{f"{key}_after": value for key, value in after.items()}}


def write_report(report: dict, out_dir: Path, title: str) -> None:
    """metrics.json, per_class.csv and report.md; the plots, which report.md embeds, are written before it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / METRICS, report)
    write_text(out_dir / PER_CLASS, per_class_csv(report))
    write_text(out_dir / REPORT, markdown(report, title, out_dir))


def report_split(run: TrainedRun, datamodule: EmotionDataModule, split: str) -> dict:
    """Writes eval_<split>/{metrics.json, per_class.csv, report.md, probabilities.npy, raw_probabilities.npy,
    labels.npy, *.png}. Every score decides on the raw sigmoid outputs (raw_probabilities.npy), as `emotune predict`
    does; probabilities.npy holds the calibrated probabilities predict shows, which the calibration error measures."""
    logits = predict_logits(run.model, datamodule.loader(split), precision=run.precision)
    raw, probs = torch.sigmoid(logits.double()), run.calibration.probabilities(logits)
    labels = torch.from_numpy(datamodule.split(split).labels)
    report = with_thresholds(run, datamodule.label_names, raw, labels)
    report["calibration"] = calibration_summary(run.calibration, raw, probs, labels)
    tuned_on = run.thresholds.get("tuned_on") if run.thresholds.get("per_label") else None
    chose = choices(split, run.roles, tuned_on, run.calibration.fitted_on)
    if chose:
        log.warning("%s %s: these %s scores are optimistic", split, " and ".join(chose), split)
    report.update(split=split, roles=run.roles, chose=chose, optimistic=bool(chose), leaky=datamodule.leaky)
    out_dir = ensure_writable_dir(eval_dir(run.path, split), "evaluation output")
    atomic_write(out_dir / PROBABILITIES, lambda tmp: save_npy(tmp, probs.numpy()))
    atomic_write(out_dir / RAW_PROBABILITIES, lambda tmp: save_npy(tmp, raw.numpy()))
    atomic_write(out_dir / TRUTH, lambda tmp: save_npy(tmp, labels.numpy().astype(np.uint8)))
    if run.cfg.report.plots:
        write_plots(report, probs, labels, datamodule.label_names, out_dir, raw)
    title = f"{run.path.name} on {split} ({run.weights} weights)"
    print_table(report, title)
    write_report(report, out_dir, title)
    return report


def evaluate(run_dir: Path, split: str = "report", checkpoint: str = "best",
             data_overrides: DictConfig | None = None) -> dict:
    """`split=report` is the run's report split (test with a test split, else val)."""
    run = load_run(run_dir, checkpoint)
    split = run.roles["report"] if split == "report" else split
    if run.weights == "last" and (run.thresholds.get("per_label") or run.calibration.method):
        log.warning("The calibration and the tuned thresholds were fitted to the best weights; with the last ones "
                    "the fixed threshold is the fairer headline")
    return report_split(run, run.datamodule(OmegaConf.merge(run.cfg.data, data_overrides or {})), split)
