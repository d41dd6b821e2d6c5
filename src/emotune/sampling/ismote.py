"""ISMOTE (Li et al., Sci. Rep. 15:23521, 2025) for multi-label data, as the reference implements it.

For a seed q and one of its k nearest neighbours j inside a label's bag, with d = X_q - X_j and
alpha, beta ~ U[0, 1): base = X_q + alpha*d; new = base - beta*d if |base - X_q| >= |d|/2, else base + beta*d.
So new = X_q + t*d with t in (-1/2, 3/2). `direction="paper"` uses d = X_j - X_q, which puts the base
between the two samples as the paper's abstract describes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.neighbors import NearestNeighbors

from emotune.sampling.label_rules import RULES, synthetic_labels
from emotune.sampling.oversample import Batch, MultiLabelOversampler

log = logging.getLogger(__name__)

DIRECTIONS = ("reference", "paper")


class ISMOTE(MultiLabelOversampler):
    """One Euclidean kNN fit per label bag; all rows of a label are drawn in one vectorised step."""

    def __init__(
        self,
        sampling_strategy: int | float | Mapping = 4000,
        k_neighbors: int = 5,
        direction: str = "reference",
        label_rule: str = "copy",
        counting: str = "running",
        exclude: Sequence[str | int] = (),
        random_state: int | None = None,
    ) -> None:
        super().__init__(sampling_strategy, counting, exclude, random_state)
        if direction not in DIRECTIONS:
            raise ValueError(f"direction={direction!r}: expected one of {DIRECTIONS}")
        if label_rule not in RULES:
            raise ValueError(f"label_rule={label_rule!r}: expected one of {RULES}")
        if k_neighbors < 1:
            raise ValueError(f"k_neighbors={k_neighbors}: expected at least 1")
        self.k_neighbors, self.direction, self.label_rule = k_neighbors, direction, label_rule

    def _fit_bag(self, name: str, X_bag: np.ndarray) -> None:
        """A bag of n rows has only n - 1 neighbours per seed, so k drops to that for this label alone, as the
        reference does; the base class never passes a bag too small for one neighbour."""
        k = min(self.k_neighbors, len(X_bag) - 1)
        if k < self.k_neighbors:
            log.warning("ISMOTE: label %r has %d positives in train, so k_neighbors=%d is clamped to %d for it",
                        name, len(X_bag), self.k_neighbors, k)
        self._knn = NearestNeighbors(n_neighbors=k + 1).fit(X_bag)
        self._neighbours = np.full((len(X_bag), k), -1, dtype=np.int64)

    def _neighbours_of(self, X_bag: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """Queried only for rows drawn as seeds: a large bag that needs few rows never pays for all of them."""
        unique = np.unique(seeds)
        missing = unique[self._neighbours[unique, 0] < 0]
        if missing.size:
            self._neighbours[missing] = self._knn.kneighbors(X_bag[missing], return_distance=False)[:, 1:]
        return self._neighbours[seeds]

    def _make(self, X_bag: np.ndarray, Y_bag: np.ndarray, seeds: np.ndarray, rng: np.random.Generator) -> Batch:
        n = len(seeds)
        neighbours = self._neighbours_of(X_bag, seeds)
        picked = neighbours[np.arange(n), rng.integers(0, neighbours.shape[1], size=n)]
        d = X_bag[seeds] - X_bag[picked]
        if self.direction == "paper":
            d = -d
        alpha, beta = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
        t = np.where(alpha >= 0.5, alpha - beta, alpha + beta)
        X_new = X_bag[seeds] + t[:, None] * d
        neighbour_labels = Y_bag[neighbours] if self.label_rule != "copy" else None
        Y_new = synthetic_labels(self.label_rule, Y_bag[seeds], neighbour_labels)
        return Batch(X_new, Y_new, seeds, picked)
