"""Sentence-embedding input: texts are encoded once (cached on disk) by an encoder fitted on train only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from emotune.data.datamodule import EmotionDataModule
from emotune.data.protocols import DataSource
from emotune.encoders.cache import EmbeddingCache
from emotune.encoders.protocol import TextEncoder


class EmbeddingDataModule(EmotionDataModule):
    def __init__(self, source: DataSource, encoder: TextEncoder, cache_dir: str | None = None, **kwargs) -> None:
        super().__init__(source, **kwargs)
        self.encoder = encoder
        self.cache = EmbeddingCache(cache_dir)
        self._embeddings: dict[str, np.ndarray] = {}
        self.expected_width: tuple[int, Path] | None = None

    def embeddings(self, name: str) -> np.ndarray:
        if name not in self._embeddings:
            if self.encoder.needs_fit and self.encoder.fit_hash is None:
                self.cache.fit(self.encoder, self.split("train").texts)
            data = self.split(name)
            what = f"{name} texts ({data.origin})"
            embeddings = self.cache.encode(self.encoder, data.texts, what=what)
            if self.expected_width and embeddings.shape[1] != self.expected_width[0]:
                width, folder = self.expected_width
                raise ValueError(f"{folder} gives {embeddings.shape[1]}-wide embeddings of the {what}, "
                                 f"but the model in {folder.parent} was trained on {width}-wide ones: was "
                                 f"{folder.name}/ replaced, or the encoder's model folder changed?")
            self._embeddings[name] = embeddings
        return self._embeddings[name]

    def features(self, name: str) -> np.ndarray:
        return self.embeddings(name)

    @property
    def input_width(self) -> int:
        return int(self.embeddings("train").shape[1])

    def make_dataset(self, name: str, X: np.ndarray, Y: np.ndarray) -> TensorDataset:
        return TensorDataset(torch.from_numpy(X), torch.from_numpy(Y.astype(np.float32)))

    def save_state(self, folder: Path) -> None:
        self.encoder.save_state(folder)

    def load_state(self, folder: Path, input_width: int | None = None) -> None:
        self.encoder.load_state(folder)
        self.expected_width = (input_width, folder) if input_width else None
