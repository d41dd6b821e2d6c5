"""Token input: texts are tokenized with the backbone's tokenizer and padded per batch."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler
from transformers import AutoTokenizer, PreTrainedTokenizerBase
from transformers.trainer_pt_utils import LengthGroupedSampler

from emotune.data.datamodule import EmotionDataModule
from emotune.data.protocols import DataSource
from emotune.run.files import TOKENIZER
from emotune.sampling import ISMOTE

log = logging.getLogger(__name__)


def load_tokenizer(name_or_path: str | Path, trust_remote_code: bool = False) -> PreTrainedTokenizerBase:
    """Batches pad on the right, whatever side the tokenizer was saved with: every family then numbers a text's
    positions from 0 as in pretraining (left padding shifts them, which changes the outputs of encoders with
    absolute position embeddings), and the tokenizer saved with the run and its exports pads the same way.
    Decoder tokenizers often have no pad token. Padding with an existing token (EOS, else UNK) is safe because the
    mask hides it, and unlike a new token it needs no new embedding row; the log says which one it is."""
    tokenizer = AutoTokenizer.from_pretrained(str(name_or_path), trust_remote_code=trust_remote_code)
    if tokenizer.padding_side != "right":
        log.info("Tokenizer %s pads on the %s: padding on the right instead", name_or_path, tokenizer.padding_side)
        tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        stand_in = tokenizer.eos_token or tokenizer.unk_token
        if stand_in is None:
            raise ValueError(f"tokenizer {name_or_path} has no pad, eos or unk token to pad batches with: give it a "
                             "pad_token (tokenizer_config.json)")
        tokenizer.pad_token = stand_in
        log.info("Tokenizer %s has no pad token: padding with %r (id %d); the attention mask hides it", name_or_path,
                 stand_in, tokenizer.pad_token_id)
    return tokenizer


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


class TextDataModule(EmotionDataModule):
    """Resampling duplicates or drops whole rows here (its features are row ids): ISMOTE, which interpolates
    embeddings, is refused rather than silently doing nothing."""

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
            texts = self.split(name).texts
            self._tokens[name] = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return self._tokens[name]

    def make_dataset(self, name: str, X: np.ndarray, Y: np.ndarray) -> TokenRows:
        tokens = self.tokens(name)
        return TokenRows([tokens[int(i)] for i in X[:, 0]], Y)

    def save_state(self, run_dir: Path) -> None:
        self.tokenizer.save_pretrained(run_dir / TOKENIZER)

    def load_state(self, run_dir: Path, input_width: int | None = None) -> None:
        self.tokenizer_source, self._tokenizer = run_dir / TOKENIZER, None
        self._tokens.clear()
