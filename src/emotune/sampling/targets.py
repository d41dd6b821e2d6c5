"""Target positives per label from an imbalanced-learn style `sampling_strategy`."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


def resolve_targets(strategy: int | float | Mapping, counts: np.ndarray, label_names: list[str]) -> np.ndarray:
    """int: every label up to that many positives; float in (0, 1]: that share of the largest label's count;
    dict: name -> target for the named labels only. Labels already above an int/float target are left alone;
    an explicit dict target below the current count is an error."""
    counts = np.asarray(counts, dtype=np.int64)
    if isinstance(strategy, bool):
        raise ValueError(f"sampling_strategy={strategy!r}: expected an int, a ratio in (0, 1] or a dict")
    if isinstance(strategy, int):
        if strategy < 1:
            raise ValueError(f"sampling_strategy={strategy}: expected a positive number of positives per label")
        return np.maximum(counts, strategy)
    if isinstance(strategy, float):
        if not 0 < strategy <= 1:
            raise ValueError(f"sampling_strategy={strategy}: a ratio must lie in (0, 1]")
        return np.maximum(counts, math.ceil(strategy * int(counts.max())))
    if isinstance(strategy, Mapping):
        targets = counts.copy()
        for name, target in strategy.items():
            if name not in label_names:
                raise ValueError(f"sampling_strategy: unknown label {name!r}, expected one of {label_names}")
            i = label_names.index(name)
            if int(target) < counts[i]:
                raise ValueError(
                    f"sampling_strategy: target {int(target)} for {name!r} is below its current count {counts[i]}; "
                    "oversampling only adds rows"
                )
            targets[i] = int(target)
        return targets
    raise ValueError(f"sampling_strategy={strategy!r}: expected an int, a ratio in (0, 1] or a dict")


def check_xy(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float32)
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ValueError(f"expected X (n, d) and multi-hot Y (n, labels) with the same n, got {X.shape}, {Y.shape}")
    if not np.isin(Y, (0, 1)).all():
        raise ValueError("Y must be multi-hot: every entry 0 or 1")
    bad = np.flatnonzero(~np.isfinite(X).all(axis=1))
    if bad.size:
        raise ValueError(f"X row {int(bad[0])} contains NaN or inf")
    return X, Y.astype(np.uint8)


def label_index(names: list[str] | None, label: str | int, n_labels: int) -> int:
    if isinstance(label, int) and 0 <= label < n_labels:
        return label
    if names is not None and label in names:
        return names.index(label)
    raise ValueError(f"label {label!r} not found; labels are {names or list(range(n_labels))}")
