"""Hydra creates the run dir before the task runs, so an unwritable one would fail inside Hydra with a traceback;
this callback says so in one line first. It also creates a multirun's sweep dir before the sweeper starts, since
Hydra makes it only once jobs launch, and an Optuna sweeper opens its sqlite storage there before that."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from emotune.utils.errors import fail


def unwritable(path: Path) -> Path | None:
    """The nearest existing ancestor, when it stops `path` from being created or written."""
    existing = next(p for p in [path, *path.parents] if p.exists())
    return None if existing.is_dir() and os.access(existing, os.W_OK) else existing


class WritableOutputDir(Callback):
    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.check(config.hydra.run.dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.check(config.hydra.sweep.dir, "hydra.sweep.dir")
        Path(config.hydra.sweep.dir).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def check(directory: str, key: str) -> None:
        path = Path(directory).expanduser().absolute()
        blocker = unwritable(path)
        if blocker is not None:
            fail(Path(sys.argv[0]).name, [f"{key}={directory}: cannot be created ({blocker} is not a writable "
                                          "directory)"])
