"""The LightningModule: loss, metrics, optimisation and trainable-only checkpoints around the network."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import nn

from emotune.evaluation.metrics import build_metrics, flatten

REBUILD_KEY = "emotune"


def check_covers(expected: dict[str, torch.Size], state: dict[str, torch.Tensor], origin: str) -> None:
    """Names and shapes must match the trainable parameters exactly: a changed encoder width or LoRA rank is
    reported here, with its key, instead of as a size-mismatch traceback."""
    missing, unexpected = expected.keys() - state.keys(), state.keys() - expected.keys()
    if missing or unexpected:
        raise ValueError(f"{origin} does not match the model (was lora or the backbone changed?): missing "
                         f"{sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]}")
    for name, shape in expected.items():
        if state[name].shape != shape:
            raise ValueError(f"{origin}: {name} has shape {list(state[name].shape)} but the model expects "
                             f"{list(shape)} (was the input width, e.g. encoder.dim, or lora.r changed?)")


def learned_buffers(net: nn.Module) -> dict[str, torch.Tensor]:
    """State that training changes but no optimizer steps: the running statistics of the layers around the
    backbone (batch norm's). Checkpoints and exports keep them beside the trainable parameters."""
    return {f"net.{name}": b for name, b in net.named_buffers() if not name.startswith("backbone.")}


class EmotionClassifier(L.LightningModule):
    """Checkpoints hold only trainable weights plus `rebuild` (label names and counts, input width), never the
    backbone: the run dir's config.yaml says how to rebuild the rest. `net` builds the network when
    `configure_model` runs."""

    def __init__(
        self,
        net: Callable[[], nn.Module],
        loss: nn.Module,
        label_names: list[str],
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., torch.optim.lr_scheduler.LRScheduler],
        threshold: float = 0.5,
        rebuild: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.build_net, self.net, self.loss_fn = net, None, loss
        self.label_names = list(label_names)
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.rebuild = rebuild or {}
        self.strict_loading = False
        metrics = build_metrics(len(label_names), threshold)
        self.val_metrics = metrics

    def configure_model(self) -> None:
        """Lightning calls this on every rank once its processes have started, so under DDP each rank loads the
        backbone once, onto its own device, while the others load theirs; outside a Trainer call it directly."""
        if self.net is None:
            self.net = self.build_net()

    def forward(self, inputs: torch.Tensor | dict[str, torch.Tensor]) -> torch.Tensor:
        """`inputs` is a batch of embeddings (model=embedding) or of token ids and masks (model=text)."""
        return self.net(inputs)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        inputs, labels = batch
        loss = self.loss_fn(self(inputs), labels)
        # Not on the progress bar: that would read the value back from the device on every step.
        self.log("train/loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        """Selection only (best epoch); reported numbers come from evaluate.py, through the inference path."""
        inputs, labels = batch
        logits = self(inputs)
        self.log("val/loss", self.loss_fn(logits, labels), on_epoch=True, prog_bar=True)
        self.val_metrics.update(torch.sigmoid(logits.float()), labels.int())

    def on_validation_epoch_end(self) -> None:
        values = flatten(self.val_metrics.compute(), self.label_names, "val")
        headline = values.pop("val/macro_f1")
        self.log_dict(values)
        self.log("val/macro_f1", headline, prog_bar=True)
        self.val_metrics.reset()

    def predict_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        """Raw logits: the run's calibration (emotune.evaluation.calibration) turns them into probabilities."""
        return self(batch[0]).float()

    def planned_shapes(self) -> dict[str, torch.Size]:
        """The trainable names and shapes `configure_model` will build, from a copy without weights on the meta
        device: a checkpoint can be checked against them before the backbone is loaded. Once built, the net's own."""
        if self.net is not None:
            return self.trainable_shapes()
        with torch.device("meta"):
            net = self.build_net(weights=False)
        planned = {f"net.{name}": p.shape for name, p in net.named_parameters() if p.requires_grad}
        planned |= {name: b.shape for name, b in learned_buffers(net).items()}
        return {**self.trainable_shapes(), **planned}

    def configure_optimizers(self) -> dict:
        """Biases and norm weights (1-d) get no weight decay, as in Hugging Face's Trainer."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [{"params": [p for p in params if p.ndim >= 2]},
                  {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
        optimizer = self.optimizer_factory([g for g in groups if g["params"]])
        total = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = self.scheduler_factory(optimizer, total_steps=total)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def learned_state(self) -> dict[str, torch.Tensor]:
        """Everything a checkpoint or an export keeps: trainable parameters and the net's learned buffers."""
        params = {name: p for name, p in self.named_parameters() if p.requires_grad}
        return params | (learned_buffers(self.net) if self.net is not None else {})

    def trainable_shapes(self) -> dict[str, torch.Size]:
        return {name: t.shape for name, t in self.learned_state().items()}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Resuming loads non-strictly (the backbone is not saved), so coverage is checked here instead; the
        RNG state comes back too, so dropout after a resume draws what it would have drawn."""
        resumed = self._trainer.ckpt_path if self._trainer is not None else None
        check_covers(self.trainable_shapes(), checkpoint["state_dict"], str(resumed or "the checkpoint being resumed"))
        if "rng" in checkpoint:
            torch.set_rng_state(checkpoint["rng"]["cpu"])
            if torch.cuda.is_available() and "cuda" in checkpoint["rng"]:
                torch.cuda.set_rng_state_all(checkpoint["rng"]["cuda"])

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        keep = self.trainable_shapes()
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}
        checkpoint[REBUILD_KEY] = {**self.rebuild, "label_names": self.label_names}
        checkpoint["rng"] = {"cpu": torch.get_rng_state()}
        if torch.cuda.is_available():
            checkpoint["rng"]["cuda"] = torch.cuda.get_rng_state_all()

    def load_trainable(self, state_dict: dict[str, torch.Tensor], origin: str) -> None:
        """Loads a trainable-only state dict, insisting it covers exactly the trainable parameters."""
        check_covers(self.trainable_shapes(), state_dict, origin)
        self.load_state_dict(state_dict, strict=False)
