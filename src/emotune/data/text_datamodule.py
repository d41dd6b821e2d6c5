"""Token input: texts are tokenized with the backbone's tokenizer and padded per batch."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig
from torch.utils.data import Dataset, Sampler
from transformers import PreTrainedTokenizerBase
from transformers.trainer_pt_utils import LengthGroupedSampler

from emotune.backbone.tokenizer import load_tokenizer
from emotune.data.datamodule import EmotionDataModule
from emotune.data.protocols import DataSource
from emotune.sampling import ISMOTE

log = logging.getLogger(__name__)


class TokenRows(Dataset):
    def __init__(self, encodings: list[list[int]], labels: np.ndarray) -> None:
        self.encodings, self.labels = encodings, torch.from_numpy(labels.astype(np.float32))

    def __len__(self) -> int:
        return len(self.encodings)

    def __getitem__(self, i: int) -> tuple[list[int], torch.Tensor]:
        return self.encodings[i], self.labels[i]


class PadCollator:
    """Dynamic padding: each batch is padded to its own longest row."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        self.tokenizer = tokenizer

    def __call__(self, rows: list[tuple[list[int], torch.Tensor]]) -> tuple[dict, torch.Tensor]:
        inputs = self.tokenizer.pad([{"input_ids": ids} for ids, _ in rows], return_tensors="pt")
        return dict(inputs), torch.stack([labels for _, labels in rows])


class TokenInputs:
    """Texts to score, tokenized as training tokenized them: truncated to the run's max_length, padded per batch."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int) -> None:
        self.tokenizer, self.max_length = tokenizer, max_length

    @property
    def collate_fn(self) -> PadCollator:
        return PadCollator(self.tokenizer)

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        return self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]

    def dataset(self, texts: list[str]) -> TokenRows:
        return TokenRows(self.token_ids(texts), np.zeros((len(texts), 0), np.float32))


class TextDataModule(EmotionDataModule):
    """Resampling duplicates or drops whole rows here (its features are row ids): ISMOTE, which interpolates
    embeddings, is refused rather than silently doing nothing."""

    reads_tokens = True

    def __init__(self, source: DataSource, tokenizer: str, max_length: int = 128, trust_remote_code: bool = False,
                 group_by_length: bool = False, **kwargs) -> None:
        super().__init__(source, **kwargs)
        if self.sampling is not None and isinstance(self.sampling.oversample, ISMOTE):
            raise ValueError(
                "sampling with ISMOTE interpolates sentence embeddings, and model=text has none: use "
                "sampling=random_oversample (row duplication) or sampling=undersample, or model=embedding"
            )
        self.tokenizer_source, self.trust_remote_code = tokenizer, trust_remote_code
        self.max_length, self.group_by_length = max_length, group_by_length
        self._tokenizer: PreTrainedTokenizerBase | None = None
        self._tokens: dict[str, list[list[int]]] = {}

    @property
    def tokenizer(self) -> PreTrainedTokenizerBase:
        """Loaded on first use, so a run dir's own copy can stand in for a hub name that is not reachable."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.tokenizer_source, self.trust_remote_code)
        return self._tokenizer

    @property
    def collate_fn(self) -> PadCollator:
        return PadCollator(self.tokenizer)

    def train_sampler(self, dataset: TokenRows) -> Sampler | None:
        """Batches of similar length pad less, so a CPU epoch takes less time; order within a window of
        50 batches is still random (transformers' LengthGroupedSampler)."""
        if not self.group_by_length:
            return None
        return LengthGroupedSampler(self.batch_size, lengths=[len(ids) for ids in dataset.encodings])

    def features(self, name: str) -> np.ndarray:
        return np.arange(len(self.split(name)), dtype=np.float32)[:, None]

    def tokens(self, name: str) -> list[list[int]]:
        if name not in self._tokens:
            self._tokens[name] = TokenInputs(self.tokenizer, self.max_length).token_ids(self.split(name).texts)
        return self._tokens[name]

    def make_dataset(self, name: str, X: np.ndarray, Y: np.ndarray) -> TokenRows:
        tokens = self.tokens(name)
        return TokenRows([tokens[int(i)] for i in X[:, 0]], Y)

    def save_state(self, folder: Path) -> None:
        self.tokenizer.save_pretrained(folder)

    def load_state(self, folder: Path, input_width: int | None = None) -> None:
        self.tokenizer_source, self._tokenizer = folder, None
        self._tokens.clear()

    @classmethod
    def scoring_inputs(cls, cfg: DictConfig, folder: Path, input_width: int | None = None) -> TokenInputs:
        """`cfg`: the run's datamodule config; `folder`: its saved tokenizer."""
        return TokenInputs(load_tokenizer(folder, cfg.trust_remote_code), cfg.max_length)
