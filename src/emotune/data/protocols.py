"""What a data source must provide: `data=goemotions`, `data=table` and texts to score all satisfy it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from emotune.data.labeled_texts import LabeledTexts


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
