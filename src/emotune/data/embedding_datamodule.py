"""Sentence-embedding input: texts are encoded once (cached on disk) by an encoder fitted on train only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch.utils.data import TensorDataset

from emotune.data.datamodule import EmotionDataModule
from emotune.data.protocols import DataSource
from emotune.encoders.cache import EmbeddingCache, check_finite
from emotune.encoders.protocol import TextEncoder


def check_width(embeddings: np.ndarray, expected: tuple[int, Path] | None, what: str) -> None:
    """`expected`: the width the trained model takes and the run's encoder folder, which a user may have replaced."""
    if expected and embeddings.shape[1] != expected[0]:
        width, folder = expected
        raise ValueError(f"{folder} gives {embeddings.shape[1]}-wide embeddings of the {what}, but the model in "
                         f"{folder.parent} was trained on {width}-wide ones: was {folder.name}/ replaced, or the "
                         "encoder's model folder changed?")


class EmbeddingInputs:
    """Texts to score, encoded by the run's encoder on the fly: a scoring machine writes no embedding cache."""

    collate_fn = None

    def __init__(self, encoder: TextEncoder, expected_width: tuple[int, Path] | None) -> None:
        self.encoder, self.expected_width = encoder, expected_width

    def dataset(self, texts: list[str]) -> TensorDataset:
        embeddings = np.ascontiguousarray(self.encoder.encode(texts), dtype=np.float32)
        check_finite(embeddings, "texts to score")
        check_width(embeddings, self.expected_width, "texts to score")
        return TensorDataset(torch.from_numpy(embeddings))


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
            check_width(embeddings, self.expected_width, what)
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

    @classmethod
    def scoring_inputs(cls, cfg: DictConfig, folder: Path, input_width: int | None) -> EmbeddingInputs:
        """`cfg`: the run's datamodule config; `folder`: its saved encoder state."""
        encoder = instantiate(cfg.encoder)
        encoder.load_state(folder)
        return EmbeddingInputs(encoder, (input_width, folder) if input_width else None)
