"""Random oversampling by row duplication: the baseline ISMOTE has to beat."""

from __future__ import annotations

import numpy as np

from emotune.sampling.oversample import Batch, MultiLabelOversampler


class RandomOversampler(MultiLabelOversampler):
    def _make(self, X_bag: np.ndarray, Y_bag: np.ndarray, seeds: np.ndarray, rng: np.random.Generator) -> Batch:
        return Batch(X_bag[seeds], Y_bag[seeds].copy(), seeds, seeds)
