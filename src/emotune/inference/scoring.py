"""Scoring in torch: a split (evaluation) or texts (`RunScorer`) become logits through Lightning's
`Trainer.predict`, and the run's calibration turns those into probabilities."""

from __future__ import annotations

import logging

import lightning as L
import numpy as np
import torch
from hydra.utils import get_class
from torch.utils.data import DataLoader

from emotune.inference.scorer import Scored, check_texts, in_input_order, length_order, scored
from emotune.model import EmotionClassifier
from emotune.run.files import input_state_dir
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


class RunScorer:
    """A `Scorer` for a loaded run: texts become rows through the run's own encoder or tokenizer (the datamodule
    class's `scoring_inputs`: no splits, no resampling, no embedding cache), logits through Lightning's predict loop,
    and probabilities through the run's calibration unless `calibrated=False` asks for the raw sigmoid outputs."""

    def __init__(self, run: TrainedRun, calibrated: bool = True) -> None:
        self.run, self.calibrated = run, calibrated
        self.label_names = run.label_names
        datamodule_class = get_class(run.cfg.datamodule._target_)
        state = input_state_dir(run.path, datamodule_class.reads_tokens)
        self.inputs = datamodule_class.scoring_inputs(run.cfg.datamodule, state, run.input_width)

    def thresholds(self, override: float | None = None) -> np.ndarray:
        return self.run.threshold_vector(override, self.calibrated)

    def score(self, texts: list[str], batch_size: int = 64, override: float | None = None) -> Scored:
        check_texts(texts)
        logits = self.logits(texts, batch_size).double()
        shown = self.run.calibration.probabilities(logits) if self.calibrated else torch.sigmoid(logits)
        return scored(logits.numpy(), shown.numpy(), self.run.decision_cuts(), override)

    def logits(self, texts: list[str], batch_size: int = 64) -> torch.Tensor:
        """In the order of `texts`, scored in batches of similar length."""
        order = length_order(texts)
        loader = DataLoader(self.inputs.dataset([texts[i] for i in order]), batch_size=batch_size,
                            collate_fn=self.inputs.collate_fn)
        logits = predict_logits(self.run.model, loader, precision=self.run.precision,
                                progress=len(texts) >= PROGRESS_FROM)
        return in_input_order(logits, order)

    def probabilities(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return self.score(texts, batch_size).probabilities
