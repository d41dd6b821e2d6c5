"""Undersampling then oversampling, as one step the DataModule applies to the train split only."""

from __future__ import annotations

import numpy as np

from emotune.sampling.oversample import MultiLabelOversampler
from emotune.sampling.undersample import MajorityUndersampler


class TrainResampler:
    """Either step may be None (`sampling=none` has neither); `counts_` records the label counts before and
    after, which every run writes out."""

    def __init__(
        self, undersample: MajorityUndersampler | None = None, oversample: MultiLabelOversampler | None = None
    ) -> None:
        self.undersample, self.oversample = undersample, oversample

    def fit_resample(
        self, X: np.ndarray, Y: np.ndarray, label_names: list[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        before = np.asarray(Y).sum(axis=0)
        for step in (self.undersample, self.oversample):
            if step is not None:
                X, Y = step.fit_resample(X, Y, label_names)
        self.counts_ = {"before": before.astype(int).tolist(), "after": np.asarray(Y).sum(axis=0).astype(int).tolist()}
        return X, Y
