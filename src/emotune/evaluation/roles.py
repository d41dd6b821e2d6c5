"""The three roles a split plays: train (resampled), selection (picks the best epoch, tunes the thresholds) and
report (the numbers people quote). By default no split plays two."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SELECTIONS = ("auto", "val", "tune")


@dataclass(frozen=True)
class Roles:
    train: str
    selection: str
    report: str

    @property
    def overlap(self) -> bool:
        """The report split also did selection: its numbers are optimistic."""
        return self.selection == self.report

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def resolve_roles(selection: str, has_test: bool) -> Roles:
    """`auto` selects on val and reports on test when the data has a test split; without one (the public
    GoEmotions test split is held back here) it selects on `tune`, carved from train, and reports on val."""
    if selection not in SELECTIONS:
        raise ValueError(f"datamodule.selection={selection!r}: expected one of {SELECTIONS}")
    if selection == "auto":
        selection = "val" if has_test else "tune"
    return Roles(train="train", selection=selection, report="test" if has_test else "val")
