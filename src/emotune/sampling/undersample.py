"""Thins rows whose only labels are majority labels; a row with any minority label is always kept."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emotune.sampling.targets import check_xy, label_index

MODES = ("systematic", "random")


class MajorityUndersampler:
    """`systematic` keeps every `keep_every`-th majority-only row (the reference keeps every 6th neutral);
    `random` keeps `keep_ratio` of them, or exactly `target_count`, drawn with `random_state`."""

    def __init__(
        self,
        majority: Sequence[str | int] = ("neutral",),
        mode: str = "systematic",
        keep_every: int | None = 6,
        keep_ratio: float | None = None,
        target_count: int | None = None,
        random_state: int | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"undersample.mode={mode!r}: expected one of {MODES}")
        if mode == "systematic" and not (keep_every and keep_every >= 1):
            raise ValueError("undersample.mode=systematic needs keep_every >= 1")
        if mode == "random" and (keep_ratio is None) == (target_count is None):
            raise ValueError("undersample.mode=random needs exactly one of keep_ratio and target_count")
        if keep_ratio is not None and not 0 <= keep_ratio <= 1:
            raise ValueError(f"undersample.keep_ratio={keep_ratio}: expected a share in [0, 1]")
        self.majority = list(majority)
        self.mode, self.keep_every, self.keep_ratio, self.target_count = mode, keep_every, keep_ratio, target_count
        self.random_state = random_state

    def fit_resample(
        self, X: np.ndarray, Y: np.ndarray, label_names: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        X, Y = check_xy(X, Y)
        is_majority = np.zeros(Y.shape[1], dtype=bool)
        is_majority[[label_index(label_names, m, Y.shape[1]) for m in self.majority]] = True
        only_majority = Y[:, is_majority].any(axis=1) & ~Y[:, ~is_majority].any(axis=1)
        candidates = np.flatnonzero(only_majority)
        keep = self._keep(candidates)
        self.sample_indices_ = np.sort(np.concatenate([np.flatnonzero(~only_majority), keep]))
        return X[self.sample_indices_], Y[self.sample_indices_]

    def _keep(self, candidates: np.ndarray) -> np.ndarray:
        if self.mode == "systematic":
            return candidates[:: self.keep_every]
        n = round(self.keep_ratio * len(candidates)) if self.keep_ratio is not None else self.target_count
        if n > len(candidates):
            raise ValueError(
                f"undersample.target_count={n} exceeds the {len(candidates)} majority-only rows; it can only thin"
            )
        return np.random.default_rng(self.random_state).choice(candidates, size=n, replace=False)
