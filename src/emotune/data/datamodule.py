"""The DataModule owns the splits, their encoding to embeddings, and the data loaders."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from emotune.data.labeled_texts import LabeledTexts
from emotune.encoders.cache import EmbeddingCache

log = logging.getLogger(__name__)

STAGE_SPLITS = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), "predict": ()}


class EmotionDataModule(L.LightningDataModule):
    """The encoder is fitted on the train split only, before any other split is encoded."""

    def __init__(
        self,
        source,
        encoder,
        cache_dir: str | None = None,
        batch_size: int = 64,
        eval_batch_size: int = 512,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        self.source = source
        self.encoder = encoder
        self.cache = EmbeddingCache(cache_dir)
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_workers = num_workers
        self._splits: dict[str, LabeledTexts] = {}
        self._embeddings: dict[str, np.ndarray] = {}

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

    @property
    def embedding_dim(self) -> int:
        return int(self.embeddings("train").shape[1])

    def save_encoder(self, folder: Path) -> None:
        self.encoder.save_state(folder)

    def setup(self, stage: str | None = None) -> None:
        for name in STAGE_SPLITS.get(stage or "fit", ()):
            self.embeddings(name)

    def dataset(self, name: str) -> TensorDataset:
        features = torch.from_numpy(self.embeddings(name))
        labels = torch.from_numpy(self.split(name).labels.astype(np.float32))
        return TensorDataset(features, labels)

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
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def loader(self, name: str) -> DataLoader:
        """An unshuffled loader for any split, for evaluation outside `trainer.fit`."""
        return self._loader(name, shuffle=False)
