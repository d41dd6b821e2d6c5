"""Reloads a run's best checkpoint and reports every label on a split."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from emotune.atomic import ensure_writable_dir
from emotune.checkpoint_io import read_checkpoint
from emotune.data import build_datamodule
from emotune.data.label_stats import LabelStats
from emotune.evaluation import per_label_report, print_table, write_report
from emotune.evaluation.plots import write_plots
from emotune.finalize import prediction_trainer
from emotune.model import EmotionClassifier, build_classifier
from emotune.model.module import REBUILD_KEY
from emotune.thresholds import threshold_vector

log = logging.getLogger(__name__)


def load_run(run_dir: Path, checkpoint: str = "best") -> tuple[DictConfig, EmotionClassifier]:
    """Rebuilds the model from a run dir: config and labels from the checkpoint, weights via weights_only."""
    path = run_dir / "checkpoints" / f"{checkpoint}.ckpt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found; is {run_dir} a finished training run dir?")
    state = read_checkpoint(path)
    if REBUILD_KEY not in state:
        raise ValueError(f"{path}: not an emotune checkpoint (no '{REBUILD_KEY}' entry)")
    info = state[REBUILD_KEY]
    cfg = OmegaConf.create(info["config"])
    model = build_classifier(cfg, LabelStats(**info["train_labels"]), info["embedding_dim"])
    model.load_trainable(state["state_dict"], str(path))
    return cfg, model.eval()


def with_thresholds(run_dir: Path, split: str, probs: torch.Tensor, labels: torch.Tensor, names: list[str],
                    fixed: float) -> dict:
    """The run's tuned per-label thresholds when it has them (the headline), and the fixed one beside them."""
    at_fixed = per_label_report(probs, labels, names, fixed)
    path = run_dir / "thresholds.json"
    record = json.loads(path.read_text()) if path.is_file() else {}
    if not record.get("per_label"):
        return at_fixed
    if record.get("tuned_on") == split:
        log.warning("Thresholds were tuned on %s itself: these %s scores are optimistic", split, split)
    tuned = per_label_report(probs, labels, names, threshold_vector(record, names))
    summary = {k: at_fixed[k] for k in ("macro_f1", "micro_f1", "macro_precision", "macro_recall", "exact_match")}
    return {**tuned, "thresholds_tuned_on": record.get("tuned_on"), "at_fixed_threshold": {"threshold": fixed,
                                                                                           **summary}}


def evaluate(run_dir: Path, split: str, checkpoint: str = "best", data_overrides: dict | None = None) -> dict:
    """Writes run_dir/eval_<split>/{metrics.json, per_class.csv, report.md} and returns the report."""
    cfg, model = load_run(run_dir, checkpoint)
    out_dir = ensure_writable_dir(run_dir / f"eval_{split}", "evaluation output")
    data_cfg = OmegaConf.merge(cfg.data, data_overrides or {})
    datamodule = build_datamodule(cfg, data_cfg)
    datamodule.load_state(run_dir, model.rebuild["embedding_dim"])
    if datamodule.label_names != model.label_names:
        raise ValueError(
            f"label set mismatch: the checkpoint has {model.label_names}, the {split} data has "
            f"{datamodule.label_names}"
        )
    probs = torch.cat(prediction_trainer(cfg).predict(model, datamodule.loader(split)))
    labels = torch.from_numpy(datamodule.split(split).labels)
    report = with_thresholds(run_dir, split, probs, labels, model.label_names, cfg.model.threshold)
    title = f"{run_dir.name} on {split} ({checkpoint} checkpoint)"
    print_table(report, title)
    write_report(report, out_dir, title)
    write_plots(report, probs, labels, model.label_names, out_dir)
    return report
