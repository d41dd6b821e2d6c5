"""The one inference path: texts or a split become logits through Lightning's `Trainer.predict`, and the run's
calibration turns those into probabilities."""

from __future__ import annotations

import logging

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from emotune.data.in_memory import TextsSource
from emotune.model import EmotionClassifier
from emotune.run.loader import TrainedRun
from emotune.utils.resolvers import best_precision

PROGRESS_FROM = 1000  # texts; fewer finish before a progress bar would say anything


def predict_logits(model: EmotionClassifier, loader: DataLoader, accelerator: str = "auto",
                   precision: str | None = None, progress: bool = False) -> torch.Tensor:
    """One device, no logger, rows in loader order: after a multi-process fit, the fit's own trainer would give
    each rank a share of the rows. A backbone already placed on a GPU (nf4 loads there) is scored on that GPU."""
    placed = next((p.device for p in model.parameters() if p.device.type == "cuda"), None)
    devices: int | list[int] = 1
    if placed is not None:
        accelerator, devices = "gpu", [placed.index or 0]
    announcements = logging.getLogger("lightning.pytorch.utilities.rank_zero")  # device and tip lines, each time
    level = announcements.level
    announcements.setLevel(logging.WARNING)
    try:
        trainer = L.Trainer(accelerator=accelerator, devices=devices, precision=precision or best_precision(),
                            logger=False, enable_checkpointing=False, enable_progress_bar=progress,
                            enable_model_summary=False)
    finally:
        announcements.setLevel(level)
    return torch.cat(trainer.predict(model, loader)).float()


def probabilities(run: TrainedRun, texts: list[str], batch_size: int = 64, calibrated: bool = True) -> np.ndarray:
    """(n_texts, n_labels) probabilities from a loaded run, encoded exactly as its training data was; calibrated
    unless asked for the model's raw sigmoid outputs."""
    if not texts:
        raise ValueError("nothing to score: the input holds no texts")
    datamodule = run.datamodule(source=TextsSource(texts, run.label_names))
    datamodule.eval_batch_size = batch_size
    logits = predict_logits(run.model, datamodule.loader("predict"), progress=len(texts) >= PROGRESS_FROM)
    return (run.calibration.probabilities(logits) if calibrated else torch.sigmoid(logits)).numpy()
