"""What a sentence encoder must provide for `model=embedding`: LSA and sentence-transformers both satisfy it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TextEncoder(Protocol):
    """`identity()` keys the embedding cache, so it must change whenever the vectors would. An encoder with
    `needs_fit` also has `fit(texts, fit_hash)` and a `fit_hash` attribute, and is fitted on train only."""

    needs_fit: bool

    def identity(self) -> dict: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n_texts, width) float32, finite."""
        ...

    def save_state(self, folder: Path) -> None:
        """Writes what `load_state` needs into the run dir, as arrays and JSON (never pickle)."""
        ...

    def load_state(self, folder: Path) -> None: ...
