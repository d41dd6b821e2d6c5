"""Hydra creates the run dir before the task runs, so an unwritable one would fail inside Hydra with a traceback;
this callback says so in one line first."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from emotune.errors import fail


def unwritable(path: Path) -> Path | None:
    """The nearest existing ancestor, when it stops `path` from being created or written."""
    existing = next(p for p in [path, *path.parents] if p.exists())
    return None if existing.is_dir() and os.access(existing, os.W_OK) else existing


class WritableOutputDir(Callback):
    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.check(config.hydra.run.dir, "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self.check(config.hydra.sweep.dir, "hydra.sweep.dir")

    @staticmethod
    def check(directory: str, key: str) -> None:
        path = Path(directory).expanduser().absolute()
        blocker = unwritable(path)
        if blocker is not None:
            fail(Path(sys.argv[0]).name, [f"{key}={directory}: cannot be created ({blocker} is not a writable "
                                          "directory)"])
