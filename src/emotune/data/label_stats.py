"""What a loss may know about the training labels: their names and positive counts after resampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LabelStats:
    names: list[str]
    positives: list[int]
    n_rows: int

    @classmethod
    def of(cls, names: list[str], labels: np.ndarray) -> LabelStats:
        return cls(list(names), np.asarray(labels).sum(axis=0).astype(int).tolist(), int(len(labels)))

    def as_dict(self) -> dict:
        return {"names": self.names, "positives": self.positives, "n_rows": self.n_rows}
