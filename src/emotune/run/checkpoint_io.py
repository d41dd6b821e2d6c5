"""Checkpoints are written whole or not at all, and read without unpickling code."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from emotune.model.module import check_covers
from emotune.utils.atomic import atomic_write


def read_checkpoint(path: str | Path, mmap: bool = False) -> dict[str, Any]:
    """`weights_only=True`: a checkpoint from someone else can hold tensors and plain data, never code to run.
    `mmap=True` reads tensor data only when touched, for checks that need names and shapes alone."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as error:
        raise ValueError(f"{path}: refused, it holds more than weights and plain data (loaded with "
                         f"weights_only=True, mmap=mmap): {str(error).splitlines()[0]}") from error
    except (RuntimeError, EOFError) as error:
        raise ValueError(f"{path}: not a readable checkpoint (truncated or corrupt?): {error}") from error


def check_resume(planned: Callable[[], dict[str, torch.Size]], checkpoint_dir: Path | None,
                 ckpt_path: str | None) -> None:
    """Run before `Trainer.fit`, which starts the loggers (a CSV logger clears its metrics file) and builds the
    backbone: resuming from a checkpoint that does not fit the configured model (another encoder width, LoRA rank
    or backbone) fails in seconds with the run dir as it was. `planned`: `EmotionClassifier.planned_shapes`, called
    only when there is a checkpoint to check."""
    if not ckpt_path:
        return
    if ckpt_path == "last" and checkpoint_dir is None:
        raise ValueError("ckpt_path=last needs a ModelCheckpoint in callbacks (it names the checkpoint folder); "
                         "give a checkpoint path instead")
    path = checkpoint_dir / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path)
    if ckpt_path == "last" and not path.is_file():
        return  # Lightning starts from scratch, and says so
    check_covers(planned(), read_checkpoint(path, mmap=True)["state_dict"], str(path))


class AtomicCheckpointIO(TorchCheckpointIO):
    """A kill during a save leaves the previous `last.ckpt`/`best.ckpt` in place, never a half-written file."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        atomic_write(Path(path), lambda tmp: torch.save(checkpoint, tmp))

    def load_checkpoint(self, path: str | Path, map_location: Any = None, weights_only: bool | None = None) -> dict:
        return read_checkpoint(path)
