"""AUDIT ONLY: the reference protocol, which resamples before splitting and so leaks test rows into train.

All available splits are merged, every row carrying the thinned label is thinned, ISMOTE runs on the whole
pool, the real rows are split 60:20:20 and every synthetic row goes to train. Synthetic training rows are then
interpolated from val and test rows, so the scores measure memory, not generalisation. It exists to reproduce
and expose that leak, and no other: the reference's encoder was pretrained and never saw the pool, so a fitted
encoder (LSA) here learns from the train part's texts only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from emotune.data.checksums import DataFileError
from emotune.data.embedding_datamodule import EmbeddingDataModule
from emotune.data.labeled_texts import LabeledTexts
from emotune.evaluation.roles import resolve_roles
from emotune.sampling.targets import label_index

log = logging.getLogger(__name__)

WARNING = ("LEAKY REPLAY: resampling ran on train, val and test together before splitting, so synthetic training "
           "rows are built from evaluation rows. These scores are not comparable to anything.")
PARTS = ("train", "val", "test")


def reference_thinning(labels: np.ndarray, column: int, every: int) -> np.ndarray:
    """The pool rows the reference keeps, in pool order. Unlike `sampling=undersample`, which only thins rows
    whose only labels are majority labels, the notebooks thinned every row carrying the label, whatever else
    it carries: of those rows, in pool order, the 1st, the (every+1)-th, ... stay (ceil(n / every) of n), and
    every row without the label stays. On the pooled GoEmotions that is neutral 17,772 -> 2,962."""
    carries = np.asarray(labels)[:, column].astype(bool)
    rank = np.cumsum(carries) - 1  # the row's place among the rows carrying the label
    return np.flatnonzero(~carries | (rank % every == 0))


def reference_split_sizes(n: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """Held-out parts are rounded up, as scikit-learn's train_test_split does (train vs the rest, then the rest
    in two): 39,453 real rows give REFERENCE.md's 23,671 / 7,891 / 7,891, where rounding each share to the
    nearest row would give 23,672 / 7,891 / 7,890. Rounding to 9 places first keeps 0.1 + 0.2 from rounding up."""
    _, val, test = fractions
    held_out = math.ceil(round((val + test) * n, 9))
    n_test = math.ceil(round(test / (val + test) * held_out, 9))
    return n - held_out, held_out - n_test, n_test


class LeakyReplayDataModule(EmbeddingDataModule):
    """`thin_label` / `thin_every` are the reference's thinning (see `reference_thinning`), so `sampling` must
    not thin as well; its oversampler runs on the whole thinned pool, which is the leak being replayed. It makes
    its own val and test parts whatever splits the source has, and like the reference selects on val and
    reports on test: a `tune` split carved from train would drop train rows from the pool."""

    leaky = True

    def __init__(self, *args, fractions: Sequence[float] = (0.6, 0.2, 0.2), split_seed: int = 0,
                 thin_label: str | int = "neutral", thin_every: int = 6, selection: str = "val", **kwargs) -> None:
        if selection not in ("auto", "val"):
            raise ValueError(f"datamodule.selection={selection!r}: the leaky replay selects on its own val part")
        super().__init__(*args, selection="val", **kwargs)
        self.roles = resolve_roles("val", has_test=True)
        if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-6 or min(fractions) <= 0:
            raise ValueError(f"datamodule.fractions={list(fractions)}: expected three positive shares summing to 1")
        if thin_every < 1:
            raise ValueError(f"datamodule.thin_every={thin_every}: expected >= 1 (1 keeps every row)")
        if self.sampling is not None and self.sampling.undersample is not None:
            raise ValueError("the leaky replay thins by the reference's rule (datamodule.thin_label, thin_every); "
                             "sampling.undersample would thin a second time: use sampling=ismote or sampling=none")
        self.fractions, self.split_seed = tuple(fractions), split_seed
        self.thin_label, self.thin_every = thin_label, thin_every
        self._leaky: dict[str, tuple[LabeledTexts, np.ndarray]] | None = None

    def _pool(self) -> LabeledTexts:
        """Train, then val, then test, as the notebooks concatenated them: the order decides which rows thinning
        keeps."""
        parts = []
        for name in PARTS:
            try:
                parts.append(super().split(name))
            except (DataFileError, ValueError) as err:
                log.warning("Leaky replay pools without the %s split: %s", name, err)
        return LabeledTexts([t for p in parts for t in p.texts], np.concatenate([p.labels for p in parts]),
                            origin="+".join(p.origin for p in parts))

    def _build(self) -> None:
        """The reference's order (thin, ISMOTE on the thinned pool, split its real rows, synthetic rows to
        train), except that the split is drawn before encoding: it depends only on the number of real rows, and
        a fitted encoder must know it to learn from the train part alone."""
        log.warning(WARNING)
        pool = self._pool()
        column = label_index(self.label_names, self.thin_label, pool.labels.shape[1])
        self.thinned_rows_ = reference_thinning(pool.labels, column, self.thin_every)  # into the merged pool
        real = pool.subset(self.thinned_rows_)
        order = np.random.default_rng(self.split_seed).permutation(len(real))
        cuts = np.cumsum(reference_split_sizes(len(real), self.fractions)[:2])
        self.pool_rows_ = {name: np.sort(idx) for name, idx in zip(PARTS, np.split(order, cuts))}  # into `real`
        if self.encoder.needs_fit and self.encoder.fit_hash is None:
            self.cache.fit(self.encoder, real.subset(self.pool_rows_["train"]).texts)
        X_real = self.cache.encode(self.encoder, real.texts, what="thinned pool texts")
        oversample = self.sampling.oversample if self.sampling is not None else None
        X_all, Y_all = oversample.fit_resample(X_real, real.labels, self.label_names) if oversample else (
            X_real, real.labels)
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
