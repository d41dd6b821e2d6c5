"""What a sentence encoder must provide for `model=embedding`: LSA and sentence-transformers both satisfy it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class TextEncoder(Protocol):
    """`identity()` keys the embedding cache, so it must change whenever the vectors would. One with `needs_fit`
    is also a `FittedEncoder`."""

    needs_fit: bool

    def identity(self) -> dict: ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n_texts, width) float32, finite."""
        ...

    def save_state(self, folder: Path) -> None:
        """Writes what `load_state` needs into the run dir, as arrays and JSON (never pickle)."""
        ...

    def load_state(self, folder: Path) -> None: ...


@runtime_checkable
class FittedEncoder(TextEncoder, Protocol):
    """An encoder with `needs_fit` (LSA): fitted on the train texts only; `fit_hash` names those texts, so the cache
    keeps one fitted state per train split."""

    fit_hash: str | None

    def fit(self, texts: list[str], fit_hash: str) -> None: ...
