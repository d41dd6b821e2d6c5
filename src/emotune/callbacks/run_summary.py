"""Writes metrics.json: the final and the best validation metrics, for scripts and sweep reports."""

from __future__ import annotations

from pathlib import Path

import lightning as L

from emotune.utils.atomic import write_json


class RunSummary(L.Callback):
    """Rewritten after every validation, so a killed run still leaves the metrics it reached. Without a monitor of
    its own it follows the trainer's ModelCheckpoint, so `best` is the epoch whose weights were kept."""

    def __init__(self, path: str, monitor: str | None = None, mode: str | None = None) -> None:
        self.path = Path(path)
        self.monitor, self.mode = monitor, mode
        self.best: dict | None = None
        self.final: dict | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        checkpoint = trainer.checkpoint_callback
        if self.monitor is None:
            self.monitor = getattr(checkpoint, "monitor", None) or "val/macro_f1"
            self.mode = self.mode or getattr(checkpoint, "mode", None)
        self.mode = self.mode or "max"

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        previous = self.best["metrics"][self.monitor]
        return value > previous if self.mode == "max" else value < previous

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
        self.final = {"epoch": trainer.current_epoch, "step": trainer.global_step, "metrics": metrics}
        if self._better(metrics[self.monitor]):
            self.best = self.final
        if trainer.is_global_zero:
            write_json(self.path, self.summary())

    def summary(self) -> dict:
        return {"monitor": self.monitor, "best": self.best, "final": self.final}

    def state_dict(self) -> dict:
        return {"best": self.best, "final": self.final}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.final = state_dict["best"], state_dict["final"]
