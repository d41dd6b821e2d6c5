"""Users' own multi-label data from CSV, TSV or JSONL, with val and test carved from train when absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from emotune.data.checksums import DataFileError
from emotune.data.labeled_texts import LabeledTexts, multi_hot

READERS = {".csv": ",", ".tsv": "\t"}


def read_table(path: Path, text_column: str, labels_column: str) -> tuple[pd.DataFrame, int]:
    """Returns the frame and the file line of its first row, so errors can name real line numbers."""
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            frame, first_line = pd.read_json(path, lines=True, dtype=False), 1
        elif suffix in READERS:
            frame = pd.read_csv(path, sep=READERS[suffix], dtype=str, keep_default_na=False)
            first_line = 2
        else:
            raise DataFileError(f"{path}: unsupported extension {suffix!r}, expected .csv, .tsv or .jsonl")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        if isinstance(err, DataFileError):
            raise
        raise DataFileError(f"{path}: could not be parsed as {suffix[1:].upper()}: {err}") from err
    for column in (text_column, labels_column):
        if column not in frame.columns:
            raise DataFileError(f"{path}: column {column!r} not found, columns are {list(frame.columns)}")
    return frame, first_line


def split_labels(value: object, delimiter: str) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [part.strip() for part in str(value).split(delimiter) if part.strip()]


class TableSource:
    """Reads `train_file`, `val_file`, `test_file`; labels are names or integer ids, as a list or a string."""

    dataset = None

    def __init__(
        self,
        train_file: str,
        text_column: str = "text",
        labels_column: str = "labels",
        val_file: str | None = None,
        test_file: str | None = None,
        label_names: list[str] | None = None,
        label_delimiter: str = ",",
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
        seed: int = 0,
    ) -> None:
        self.text_column, self.labels_column, self.delimiter = text_column, labels_column, label_delimiter
        raw = {"train": self._read(Path(train_file).expanduser())}
        for split, file in (("val", val_file), ("test", test_file)):
            if file:
                raw[split] = self._read(Path(file).expanduser())
        self.label_names = list(label_names) if label_names else self._infer_names(raw["train"])
        self._splits = {split: self._encode(*parts) for split, parts in raw.items()}
        self._carve({"val": val_fraction, "test": test_fraction}, seed)

    def _read(self, path: Path) -> tuple[Path, int, list[str], list[list[str]]]:
        frame, first_line = read_table(path, self.text_column, self.labels_column)
        texts = frame[self.text_column].tolist()
        for row, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise DataFileError(
                    f"{path}, line {first_line + row}: empty text in column {self.text_column!r}, expected a string"
                )
        labels = [split_labels(v, self.delimiter) for v in frame[self.labels_column]]
        return path, first_line, texts, labels

    @staticmethod
    def _infer_names(train: tuple[Path, int, list[str], list[list[str]]]) -> list[str]:
        path, _, _, labels = train
        names = sorted({name for row in labels for name in row})
        if any(name.lstrip("-").isdigit() for name in names):
            raise DataFileError(f"{path}: labels are integer ids, so data.label_names must list the label names")
        if not names:
            raise DataFileError(f"{path}: no labels found in the labels column")
        return names

    def _encode(self, path: Path, first_line: int, texts: list[str], labels: list[list[str]]) -> LabeledTexts:
        index = {name: i for i, name in enumerate(self.label_names)}
        ids = []
        for row, names in enumerate(labels):
            line = first_line + row
            row_ids = []
            for name in names:
                if name in index:
                    row_ids.append(index[name])
                elif name.lstrip("-").isdigit():
                    if not 0 <= int(name) < len(self.label_names):
                        raise DataFileError(
                            f"{path}, line {line}: label id {name} out of range, "
                            f"expected 0..{len(self.label_names) - 1}"
                        )
                    row_ids.append(int(name))
                else:
                    raise DataFileError(
                        f"{path}, line {line}: unknown label {name!r}, expected one of {self.label_names}"
                    )
            ids.append(row_ids)
        return LabeledTexts(texts, multi_hot(ids, len(self.label_names)), origin=str(path))

    def _carve(self, fractions: dict[str, float], seed: int) -> None:
        """Takes missing val/test rows from train before anything else touches train."""
        missing = {split: f for split, f in fractions.items() if split not in self._splits and f > 0}
        if not missing:
            return
        train = self._splits["train"]
        order = np.random.default_rng(seed).permutation(len(train))
        start = 0
        for split, fraction in missing.items():
            n = int(round(fraction * len(train)))
            if n < 1 or start + n >= len(train):
                raise DataFileError(f"{train.origin}: too few rows ({len(train)}) to carve {split} by {fraction}")
            self._splits[split] = train.subset(np.sort(order[start : start + n]))
            start += n
        self._splits["train"] = train.subset(np.sort(order[start:]))

    def has_split(self, split: str) -> bool:
        return split in self._splits

    def load(self, split: str) -> LabeledTexts:
        if split not in self._splits:
            raise ValueError(f"split={split!r}: this table has {sorted(self._splits)}; set data.{split}_file")
        return self._splits[split]
