"""AUDIT ONLY: the reference protocol, which resamples before splitting and so leaks test rows into train.

All available splits are merged, the majority is thinned, ISMOTE runs on the whole pool, the real rows are
split 60:20:20 and every synthetic row goes to train. Synthetic training rows are then interpolated from val
and test rows, so the scores measure memory, not generalisation. It exists to reproduce and expose that.
"""

from __future__ import annotations

import logging

import numpy as np

from emotune.data.checksums import DataFileError
from emotune.data.embedding_datamodule import EmbeddingDataModule
from emotune.data.labeled_texts import LabeledTexts

log = logging.getLogger(__name__)

WARNING = ("LEAKY REPLAY: resampling ran on train, val and test together before splitting, so synthetic training "
           "rows are built from evaluation rows. These scores are not comparable to anything.")


class LeakyReplayDataModule(EmbeddingDataModule):
    def __init__(self, *args, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), split_seed: int = 0,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6:
            raise ValueError(f"datamodule.fractions={list(fractions)}: expected three shares summing to 1")
        self.fractions, self.split_seed = tuple(fractions), split_seed
        self._leaky: dict[str, tuple[LabeledTexts, np.ndarray]] | None = None

    def _pool(self) -> LabeledTexts:
        parts = []
        for name in ("train", "val", "test"):
            try:
                parts.append(super().split(name))
            except (DataFileError, ValueError) as err:
                log.warning("Leaky replay pools without the %s split: %s", name, err)
        return LabeledTexts([t for p in parts for t in p.texts], np.concatenate([p.labels for p in parts]),
                            origin="+".join(p.origin for p in parts))

    def _build(self) -> None:
        log.warning(WARNING)
        pool = self._pool()
        if self.encoder.needs_fit and self.encoder.fit_hash is None:
            self.cache.fit(self.encoder, pool.texts)
        X = self.cache.encode(self.encoder, pool.texts, what="pooled texts")
        keep = np.arange(len(pool))
        if self.sampling is not None and self.sampling.undersample is not None:
            self.sampling.undersample.fit_resample(X, pool.labels, self.label_names)
            keep = self.sampling.undersample.sample_indices_
        real = pool.subset(keep)
        X_real = X[keep]
        oversample = self.sampling.oversample if self.sampling is not None else None
        X_all, Y_all = oversample.fit_resample(X_real, real.labels, self.label_names) if oversample else (
            X_real, real.labels)
        order = np.random.default_rng(self.split_seed).permutation(len(real))
        cuts = np.cumsum([round(f * len(real)) for f in self.fractions[:2]])
        rows = dict(zip(("train", "val", "test"), np.split(order, cuts)))
        self.pool_rows_ = {name: np.sort(idx) for name, idx in rows.items()}  # into the thinned pool, for audits
        self._leaky = {name: (real.subset(idx), X_real[idx]) for name, idx in self.pool_rows_.items()}
        train, X_train = self._leaky["train"]
        self._train = (np.concatenate([X_train, X_all[len(real):]]), np.concatenate([train.labels, Y_all[len(real):]]))

    def _partitions(self) -> dict[str, tuple[LabeledTexts, np.ndarray]]:
        if self._leaky is None:
            self._build()
        return self._leaky

    def split(self, name: str) -> LabeledTexts:
        return self._partitions()[name][0]

    def embeddings(self, name: str) -> np.ndarray:
        return self._partitions()[name][1]

    def train_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        self._partitions()
        return self._train
