"""The DataModule base: splits, train-only resampling and loaders; subclasses decide what a row's input is."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import lightning as L
import numpy as np
import torch
from omegaconf import DictConfig
from torch.utils.data import DataLoader, Dataset, Sampler

from emotune.data.label_stats import LabelStats
from emotune.data.labeled_texts import LabeledTexts
from emotune.data.protocols import DataSource, ScoringInputs
from emotune.evaluation.roles import resolve_roles
from emotune.sampling.pipeline import TrainResampler

log = logging.getLogger(__name__)

class EmotionDataModule(L.LightningDataModule):
    """`sampling` resamples the train split only: val and test rows never reach it. Resampling works on
    `features(name)`, a (rows, d) array: sentence embeddings, or row ids where the input is text. Lightning's
    validation loop runs on the selection split (`roles`), which picks the best epoch."""

    collate_fn = None
    reads_tokens = False  # token input saves a tokenizer, embedding input an encoder (run.files.input_state_dir)
    leaky = False  # only the audit replay of the reference's protocol is; reports mark its scores

    def __init__(
        self,
        source: DataSource,
        sampling: TrainResampler | None = None,
        batch_size: int = 64,
        eval_batch_size: int = 512,
        num_workers: int = 0,
        tune_fraction: float = 0.1,
        tune_seed: int = 0,
        selection: str = "auto",
    ) -> None:
        super().__init__()
        self.source = source
        self.sampling = sampling
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.num_workers = num_workers
        self.tune_fraction, self.tune_seed = tune_fraction, tune_seed
        self.roles = resolve_roles(selection, source.has_split("test"))
        if self.roles.selection == "tune" and not 0 < tune_fraction < 1:
            raise ValueError(f"selecting on a tune split carved from train needs datamodule.tune_fraction in (0, 1), "
                             f"got {tune_fraction}; or add a test split, or set datamodule.selection=val")
        self._splits: dict[str, LabeledTexts] = {}
        self._train: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def label_names(self) -> list[str]:
        return list(self.source.label_names)

    def split(self, name: str) -> LabeledTexts:
        """When the selection split is `tune`, it is carved from train first (seeded by `tune_seed`, so every
        seed of a grid sees the same rows): rows that are neither trained on nor reported."""
        if name not in self._splits:
            if self.roles.selection == "tune" and name in ("train", "tune"):
                full = self.source.load("train")
                order = np.random.default_rng(self.tune_seed).permutation(len(full))
                n_tune = round(self.tune_fraction * len(full))
                self._splits["tune"] = full.subset(np.sort(order[:n_tune]))
                self._splits["train"] = full.subset(np.sort(order[n_tune:]))
            else:
                self._splits[name] = self.source.load(name)
        return self._splits[name]

    def features(self, name: str) -> np.ndarray:
        raise NotImplementedError

    @property
    def input_width(self) -> int | None:
        """The width of one input vector (embeddings), or None where the input is tokens."""
        return None

    def make_dataset(self, name: str, X: np.ndarray, Y: np.ndarray) -> Dataset:
        raise NotImplementedError

    def save_state(self, folder: Path) -> None:
        """Writes what turns raw text into model input (a fitted encoder, a tokenizer) into `folder`."""

    @classmethod
    def scoring_inputs(cls, cfg: DictConfig, folder: Path, input_width: int | None) -> ScoringInputs:
        """What scoring uses instead of a datamodule: `cfg` is the run's datamodule config, `folder` the state
        `save_state` wrote; no splits, no resampling, no cache."""
        raise NotImplementedError

    def load_state(self, folder: Path, input_width: int | None = None) -> None:
        """Restores what `save_state` wrote, so evaluation encodes exactly as training did. `input_width` is
        the embedding width the trained model expects (None for token input)."""

    def train_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The train split's features and labels after resampling, computed once."""
        if self._train is None:
            train = self.split("train")
            empty = [n for n, c in zip(self.label_names, train.labels.sum(axis=0)) if c == 0]
            if empty:
                raise ValueError(f"{train.origin}: labels {empty} have no positives in the train split")
            X, Y = self.features("train"), train.labels
            self._train = self.sampling.fit_resample(X, Y, self.label_names) if self.sampling else (X, Y)
        return self._train

    def train_counts(self) -> dict[str, list[int]]:
        before = self.split("train").labels.sum(axis=0).astype(int).tolist()
        after = self.train_arrays()[1].sum(axis=0).astype(int).tolist()
        return {"before": before, "after": after}

    def data_hash(self) -> str:
        """The train and val splits before resampling: runs compared in one table should share it."""
        return hashlib.sha256("".join(self.split(s).content_hash() for s in ("train", "val")).encode()).hexdigest()

    def train_hash(self) -> str:
        """The train set after resampling, features and labels: equal hashes mean identical training data."""
        h = hashlib.sha256()
        for array in self.train_arrays():
            h.update(np.ascontiguousarray(array).data)
        return h.hexdigest()

    def train_label_stats(self) -> LabelStats:
        return LabelStats.of(self.label_names, self.train_arrays()[1])

    def setup(self, stage: str | None = None) -> None:
        if stage in (None, "fit"):
            self.train_arrays()
        if stage in (None, "fit", "validate"):
            self.features(self.roles.selection)

    def dataset(self, name: str) -> Dataset:
        X, Y = self.train_arrays() if name == "train" else (self.features(name), self.split(name).labels)
        return self.make_dataset(name, X, Y)

    def train_sampler(self, dataset: Dataset) -> Sampler | None:
        """None shuffles uniformly; a subclass may order rows, e.g. to batch texts of similar length."""
        return None

    def _loader(self, name: str, shuffle: bool) -> DataLoader:
        dataset = self.dataset(name)
        sampler = self.train_sampler(dataset) if shuffle else None
        return DataLoader(
            dataset,
            batch_size=self.batch_size if shuffle else self.eval_batch_size,
            shuffle=shuffle and sampler is None,
            sampler=sampler,
            collate_fn=self.collate_fn,
            num_workers=self.num_workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader(self.roles.selection)

    def loader(self, name: str) -> DataLoader:
        """An unshuffled loader for any split, for evaluation outside `trainer.fit`."""
        return self._loader(name, shuffle=False)
