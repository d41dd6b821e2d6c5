"""The in-memory form every data source produces: texts with a multi-hot label matrix."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from emotune.utils.hashing import texts_hash


@dataclass
class LabeledTexts:
    """One split. `labels` is multi-hot (n_rows, n_labels) uint8; `origin` names the file for errors."""

    texts: list[str]
    labels: np.ndarray
    origin: str = "<memory>"

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, dtype=np.uint8)
        if self.labels.ndim != 2 or self.labels.shape[0] != len(self.texts):
            raise ValueError(
                f"{self.origin}: labels must be (n_rows, n_labels) with n_rows={len(self.texts)}, "
                f"got shape {self.labels.shape}"
            )

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: np.ndarray) -> LabeledTexts:
        return LabeledTexts([self.texts[i] for i in rows], self.labels[rows], self.origin)

    def content_hash(self) -> str:
        """Identifies the exact texts and labels, so runs can tell whether they saw the same data."""
        h = hashlib.sha256(texts_hash(self.texts).encode())
        h.update(np.ascontiguousarray(self.labels).tobytes())
        return h.hexdigest()


def multi_hot(label_ids: list[list[int]], n_labels: int) -> np.ndarray:
    out = np.zeros((len(label_ids), n_labels), dtype=np.uint8)
    for row, ids in enumerate(label_ids):
        out[row, ids] = 1
    return out
