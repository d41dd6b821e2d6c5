"""Writes metrics.json: the final and the best validation metrics, for scripts and sweep reports."""

from __future__ import annotations

from pathlib import Path

import lightning as L

from emotune.atomic import write_json


class RunSummary(L.Callback):
    """Rewritten after every validation, so a killed run still leaves the metrics it reached."""

    def __init__(self, path: str, monitor: str = "val/macro_f1", mode: str = "max") -> None:
        self.path = Path(path)
        self.monitor, self.mode = monitor, mode
        self.best: dict | None = None
        self.final: dict | None = None

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
        self._write(trainer)

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.final is not None:
            self._write(trainer)

    def _write(self, trainer: L.Trainer) -> None:
        checkpoint = trainer.checkpoint_callback
        write_json(
            self.path,
            {
                "monitor": self.monitor,
                "best": self.best,
                "final": self.final,
                "best_checkpoint": getattr(checkpoint, "best_model_path", None) or None,
            },
        )

    def state_dict(self) -> dict:
        return {"best": self.best, "final": self.final}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.final = state_dict["best"], state_dict["final"]
