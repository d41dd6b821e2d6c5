"""What a data source must provide (`data=goemotions` and `data=table` satisfy it), and what turns texts to score
into model rows (each datamodule's `scoring_inputs`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from emotune.data.labeled_texts import LabeledTexts

if TYPE_CHECKING:
    from torch.utils.data import Dataset


@runtime_checkable
class DataSource(Protocol):
    """Label names in model order, and each split as texts with a multi-hot matrix over those names."""

    label_names: list[str]
    dataset: str | None  # the hub id of a published dataset the rows are, for the model card; None for own data

    def load(self, split: str) -> LabeledTexts:
        """Raises ValueError naming the split and the key to set when the source has no such split."""
        ...

    def has_split(self, split: str) -> bool:
        """Whether `load(split)` has rows to give without fetching anything: a test split decides the roles."""
        ...


@runtime_checkable
class ScoringInputs(Protocol):
    """Texts to model rows with a run's own fitted encoder or tokenizer: no splits, no resampling, no cache. A row's
    first element is the model's input, as in training batches."""

    collate_fn: Callable | None

    def dataset(self, texts: list[str]) -> Dataset: ...
