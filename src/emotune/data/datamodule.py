"""The DataModule owns the splits, their encoding to embeddings, and the data loaders."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from emotune.data.label_stats import LabelStats
from emotune.data.labeled_texts import LabeledTexts
from emotune.encoders.cache import EmbeddingCache
from emotune.sampling.pipeline import TrainResampler

log = logging.getLogger(__name__)

STAGE_SPLITS = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), "predict": ()}


class EmotionDataModule(L.LightningDataModule):
    """The encoder is fitted on the train split only, before any other split is encoded, and `sampling`
    resamples the train split only: val and test rows never reach it."""

    def __init__(
        self,
        source,
        encoder,
        sampling: TrainResampler | None = None,
        cache_dir: str | None = None,
        batch_size: int = 64,
        eval_batch_size: int = 512,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.source = source
        self.encoder = encoder
        self.sampling = sampling
        self.cache = EmbeddingCache(cache_dir)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_workers = num_workers
        self._splits: dict[str, LabeledTexts] = {}
        self._embeddings: dict[str, np.ndarray] = {}
        self._train: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def label_names(self) -> list[str]:
        return list(self.source.label_names)

    def split(self, name: str) -> LabeledTexts:
        if name not in self._splits:
            self._splits[name] = self.source.load(name)
        return self._splits[name]

    def embeddings(self, name: str) -> np.ndarray:
        if name not in self._embeddings:
            if self.encoder.needs_fit and self.encoder.fit_hash is None:
                self.cache.fit(self.encoder, self.split("train").texts)
            data = self.split(name)
            self._embeddings[name] = self.cache.encode(self.encoder, data.texts, what=f"{name} texts ({data.origin})")
        return self._embeddings[name]

    def train_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The train split's embeddings and labels after resampling, computed once."""
        if self._train is None:
            train = self.split("train")
            empty = [n for n, c in zip(self.label_names, train.labels.sum(axis=0)) if c == 0]
            if empty:
                raise ValueError(f"{train.origin}: labels {empty} have no positives in the train split")
            X, Y = self.embeddings("train"), train.labels
            self._train = self.sampling.fit_resample(X, Y, self.label_names) if self.sampling else (X, Y)
        return self._train

    def train_counts(self) -> dict[str, list[int]]:
        before = self.split("train").labels.sum(axis=0).astype(int).tolist()
        after = self.train_arrays()[1].sum(axis=0).astype(int).tolist()
        return {"before": before, "after": after}

    def train_label_stats(self) -> LabelStats:
        return LabelStats.of(self.label_names, self.train_arrays()[1])

    @property
    def embedding_dim(self) -> int:
        return int(self.embeddings("train").shape[1])

    def save_encoder(self, folder: Path) -> None:
        self.encoder.save_state(folder)

    def setup(self, stage: str | None = None) -> None:
        for name in STAGE_SPLITS.get(stage or "fit", ()):
            self.train_arrays() if name == "train" else self.embeddings(name)

    def dataset(self, name: str) -> TensorDataset:
        X, Y = self.train_arrays() if name == "train" else (self.embeddings(name), self.split(name).labels)
        return TensorDataset(torch.from_numpy(X), torch.from_numpy(Y.astype(np.float32)))

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.dataset(name),
            batch_size=self.batch_size if shuffle else self.eval_batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")

    def loader(self, name: str) -> DataLoader:
        """An unshuffled loader for any split, for evaluation outside `trainer.fit`."""
        return self._loader(name, shuffle=False)
