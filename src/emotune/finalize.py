"""After fitting: reload the best checkpoint, tune per-label thresholds on a held-out split, export the run."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
import torch
from omegaconf import DictConfig

from emotune.checkpoint_io import read_checkpoint
from emotune.data.datamodule import EmotionDataModule
from emotune.export import export_run
from emotune.model.module import EmotionClassifier
from emotune.thresholds import thresholds_record, tune_thresholds

log = logging.getLogger(__name__)


def prediction_trainer(cfg: DictConfig) -> L.Trainer:
    """One device, no logger: scores every row in order, even after a multi-process fit (whose own trainer
    would give each rank a share of the rows)."""
    return L.Trainer(accelerator=cfg.trainer.accelerator, devices=1, precision=cfg.trainer.precision, logger=False,
                     enable_checkpointing=False, enable_progress_bar=False)


def finalize_run(trainer: L.Trainer, model: EmotionClassifier, datamodule: EmotionDataModule, cfg: DictConfig,
                 run_dir: Path, embedding_dim: int | None) -> None:
    best = trainer.checkpoint_callback.best_model_path
    model.load_trainable(read_checkpoint(best)["state_dict"], best)
    split = cfg.thresholds.tune_on
    tuned = None
    if split:
        probs = torch.cat(prediction_trainer(cfg).predict(model, datamodule.loader(split))).float().numpy()
        tuned = tune_thresholds(probs, datamodule.split(split).labels)
        log.info("Per-label thresholds tuned on %s: %s", split,
                 ", ".join(f"{n} {t:.2f}" for n, t in zip(datamodule.label_names, tuned)))
    thresholds = thresholds_record(datamodule.label_names, cfg.model.threshold, tuned, split)
    export_run(model, run_dir, datamodule.train_label_stats(), embedding_dim, thresholds)
