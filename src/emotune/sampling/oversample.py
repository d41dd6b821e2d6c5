"""Multi-label oversampling to per-label targets; subclasses decide how a synthetic row is made."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from emotune.sampling.targets import check_xy, label_index, resolve_targets

log = logging.getLogger(__name__)

COUNTING = ("running", "reference")
MAX_ROUNDS = 100
MIN_POSITIVES = 2  # a synthetic row needs a seed and a second real row of the same label


@dataclass
class Batch:
    """Synthetic rows with the bag positions of the seed and neighbour each was built from."""

    X: np.ndarray
    Y: np.ndarray
    seeds: np.ndarray
    neighbours: np.ndarray

    def take(self, rows: np.ndarray) -> Batch:
        return Batch(self.X[rows], self.Y[rows], self.seeds[rows], self.neighbours[rows])

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        return Batch(*(np.concatenate([getattr(b, f) for b in batches]) for f in ("X", "Y", "seeds", "neighbours")))


class MultiLabelOversampler:
    """`counting=running` (default) takes the rarest label first, counts positives as synthetic rows add them,
    and never lets a label pass its target; `counting=reference` replays the reference, which computes every
    label's shortfall up front in label order and so overshoots through co-occurring labels.

    Bags hold real rows only. After `fit_resample`, `synthetic_seeds_` and `synthetic_neighbors_` give the
    input rows each synthetic row was built from, and `synthetic_for_` the label it was made for.
    Labels in `exclude` (e.g. the majority just undersampled) are never targets."""

    def __init__(
        self,
        sampling_strategy: int | float | Mapping = 4000,
        counting: str = "running",
        exclude: Sequence[str | int] = (),
        random_state: int | None = None,
    ) -> None:
        if counting not in COUNTING:
            raise ValueError(f"counting={counting!r}: expected one of {COUNTING}")
        self.sampling_strategy = sampling_strategy
        self.counting = counting
        self.exclude = list(exclude)
        self.random_state = random_state

    def _fit_bag(self, name: str, X_bag: np.ndarray) -> None:
        """Prepares what `_make` needs for one label's bag (e.g. its nearest neighbours). `fit_resample` skips
        labels with fewer than MIN_POSITIVES positives for every oversampler, so a bag here has at least that."""

    def _make(self, X_bag: np.ndarray, Y_bag: np.ndarray, seeds: np.ndarray, rng: np.random.Generator) -> Batch:
        raise NotImplementedError

    def fit_resample(
        self, X: np.ndarray, Y: np.ndarray, label_names: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        X, Y = check_xy(X, Y)
        names = list(label_names) if label_names else [str(i) for i in range(Y.shape[1])]
        self.counts_before_ = Y.sum(axis=0).astype(np.int64)
        self.targets_ = resolve_targets(self.sampling_strategy, self.counts_before_, names)
        for label in self.exclude:
            i = label_index(names, label, Y.shape[1])
            self.targets_[i] = self.counts_before_[i]
        rng = np.random.default_rng(self.random_state)
        running = self.counting == "running"
        order = np.argsort(self.counts_before_, kind="stable") if running else range(Y.shape[1])
        current = self.counts_before_.copy()
        made: list[Batch] = []
        made_for: list[np.ndarray] = []
        for label in order:
            baseline = current if running else self.counts_before_
            bag = np.flatnonzero(Y[:, label])
            if self.targets_[label] <= baseline[label]:
                continue
            if len(bag) < MIN_POSITIVES:
                log.warning("Oversampling skips %r: %d positive(s), at least %d are needed", names[label], len(bag),
                            MIN_POSITIVES)
                continue
            self._fit_bag(names[label], X[bag])
            if running:
                batch = self._fill(X[bag], Y[bag], label, self.targets_ - current, rng)
            else:
                need = int(self.targets_[label] - baseline[label])
                batch = self._make(X[bag], Y[bag], rng.integers(0, len(bag), size=need), rng)
            batch.seeds, batch.neighbours = bag[batch.seeds], bag[batch.neighbours]
            made.append(batch)
            made_for.append(np.full(len(batch.seeds), label))
            current += batch.Y.sum(axis=0, dtype=np.int64)
            if running and current[label] < self.targets_[label]:
                log.warning("Oversampling %r reached %d of its target %d: its seeds carry labels already at "
                            "their targets", names[label], current[label], self.targets_[label])
        return self._assemble(X, Y, made, made_for)

    def _fill(self, X_bag: np.ndarray, Y_bag: np.ndarray, label: int, room: np.ndarray,
              rng: np.random.Generator) -> Batch:
        """Makes rows until `label` reaches its target, rejecting any that would push a label past its own."""
        room = room.copy()
        allowed = np.flatnonzero(~(Y_bag.astype(bool) & (room <= 0)).any(axis=1))
        kept: list[Batch] = []
        acceptance = 1.0
        for _ in range(MAX_ROUNDS):
            need = int(room[label])
            if need <= 0 or allowed.size == 0:
                break
            seeds = allowed[rng.integers(0, allowed.size, size=math.ceil(need / acceptance))]
            batch = self._make(X_bag, Y_bag, seeds, rng)
            ok = np.flatnonzero(~(batch.Y.astype(bool) & (room <= 0)).any(axis=1))
            acceptance = max(ok.size / len(seeds), 0.05)
            fits = (np.cumsum(batch.Y[ok], axis=0, dtype=np.int64) <= room).all(axis=1)
            batch = batch.take(ok[: fits.size if fits.all() else int(fits.argmin())])
            room -= batch.Y.sum(axis=0, dtype=np.int64)
            kept.append(batch)
        if not kept:
            return Batch(np.empty((0, X_bag.shape[1]), np.float32), np.empty((0, Y_bag.shape[1]), np.uint8),
                         np.empty(0, np.int64), np.empty(0, np.int64))
        return Batch.concat(kept)

    def _assemble(self, X: np.ndarray, Y: np.ndarray, made: list[Batch], made_for: list[np.ndarray]):
        synthetic = Batch.concat(made) if made else Batch(X[:0], Y[:0], np.empty(0, np.int64), np.empty(0, np.int64))
        self.synthetic_seeds_, self.synthetic_neighbors_ = synthetic.seeds, synthetic.neighbours
        self.synthetic_for_ = np.concatenate(made_for) if made_for else np.empty(0, np.int64)
        X_out = np.concatenate([X, synthetic.X.astype(np.float32, copy=False)])
        Y_out = np.concatenate([Y, synthetic.Y.astype(np.uint8, copy=False)])
        self.counts_after_ = Y_out.sum(axis=0).astype(np.int64)
        return X_out, Y_out
