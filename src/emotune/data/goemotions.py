"""GoEmotions from the official TSV release: verified, downloaded when missing, mapped to a label set."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from emotune.data.checksums import DataFileError, download_verified, not_utf8, verify
from emotune.data.label_sets import label_set_matrix
from emotune.data.labeled_texts import LabeledTexts, multi_hot

log = logging.getLogger(__name__)

SOURCE_URL = "https://raw.githubusercontent.com/google-research/google-research/master/goemotions/data/"
SHA256 = {
    "train.tsv": "1c254a142be5c00e80d819b9ae1bbd36d94b2eeb8f4b1271846508d57e57d9c5",
    "dev.tsv": "575489c079c9de1097062a01738f998590d6b7ead66dd1c9fd1d2ba01fd8bc62",
    "test.tsv": "0587b2dd8b27b97352adbfc3fb083d46005c8946657fdc2b1ca8b1cc7f1f8be4",
    "emotions.txt": "45c3ef86782d2a4d7fedcd6d8c111aa0d0e94720689bd164fac94fefb4495a89",
    "ekman_mapping.json": "d6b1fea382917c1685c42e1324a0344106be9390f52a3850ce032656d103a328",
    "sentiment_dict.json": "801f6f028082141bd38541a4b14d65b33bdc55d29c7b2aaa029fefecf206f76b",
}
SPLIT_FILES = {"train": "train.tsv", "val": "dev.tsv", "test": "test.tsv"}
LABEL_SET_FILES = {"ekman": "ekman_mapping.json", "sentiment": "sentiment_dict.json"}


def read_tsv(path: Path, n_labels: int) -> tuple[list[str], list[list[int]]]:
    """Rows are text, comma-separated ids, comment id; quoted texts are unquoted as csv would."""
    try:
        return parse_tsv(path, n_labels)
    except UnicodeDecodeError as err:
        raise not_utf8(path) from err


def parse_tsv(path: Path, n_labels: int) -> tuple[list[str], list[list[int]]]:
    texts, ids = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for line_no, row in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if len(row) != 3:
                raise DataFileError(
                    f"{path}, row {line_no}: expected 3 tab-separated columns (text, label ids, id), got {len(row)}"
                )
            if not row[0].strip():
                raise DataFileError(f"{path}, row {line_no}: empty text, expected a comment")
            try:
                row_ids = [int(part) for part in row[1].split(",")]
            except ValueError as err:
                raise DataFileError(
                    f"{path}, row {line_no}: label ids {row[1]!r} are not comma-separated integers"
                ) from err
            bad = [i for i in row_ids if not 0 <= i < n_labels]
            if bad:
                raise DataFileError(
                    f"{path}, row {line_no}: label id {bad[0]} out of range, expected 0..{n_labels - 1}"
                )
            texts.append(row[0])
            ids.append(row_ids)
    return texts, ids


class GoEmotions:
    """The official train/dev/test splits as train/val/test, under one of the label sets."""

    dataset = "google-research-datasets/go_emotions"

    def __init__(
        self,
        data_dir: str,
        label_set: str = "all",
        preferred_labels: list[str] | None = None,
        download: bool = True,
        verify_checksums: bool = True,
        source_url: str = SOURCE_URL,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.source_url = source_url
        self.label_set = label_set
        self.download = download
        self.verify_checksums = verify_checksums
        self.fine_labels = self._fine_labels()
        needed = LABEL_SET_FILES.get(label_set)
        if needed:
            self._ensure(needed)
        self.label_names, self._mapping = label_set_matrix(
            label_set, self.fine_labels, self.data_dir, list(preferred_labels or [])
        )

    def _ensure(self, name: str) -> Path:
        path = self.data_dir / name
        if not path.exists():
            if not self.download:
                raise DataFileError(self._missing_message(name, "data.download=false"))
            log.info("Downloading %s from %s", name, self.source_url)
            try:
                download_verified(self.source_url + name, path, SHA256[name])
            except OSError as err:
                raise DataFileError(self._missing_message(name, f"download failed: {err}")) from err
        elif self.verify_checksums:
            verify(path, SHA256[name])
        return path

    def _missing_message(self, name: str, why: str) -> str:
        return (
            f"{self.data_dir / name} is missing ({why}). Put the official GoEmotions files "
            f"({', '.join(sorted(SHA256))}) from {self.source_url} into {self.data_dir}, "
            "or set data.data_dir to the folder that holds them."
        )

    def _fine_labels(self) -> list[str]:
        path = self._ensure("emotions.txt")
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if "neutral" not in names:
            raise DataFileError(f"{path}: expected one emotion per line, 'neutral' among them")
        return names

    def has_split(self, split: str) -> bool:
        return split in SPLIT_FILES and (self.data_dir / SPLIT_FILES[split]).is_file()

    def load(self, split: str) -> LabeledTexts:
        if split not in SPLIT_FILES:
            raise ValueError(f"split={split!r}: expected one of {list(SPLIT_FILES)}")
        path = self._ensure(SPLIT_FILES[split])
        texts, ids = read_tsv(path, len(self.fine_labels))
        fine = multi_hot(ids, len(self.fine_labels))
        labels = (fine.astype(np.int32) @ self._mapping > 0).astype(np.uint8)
        return LabeledTexts(texts, labels, origin=str(path))
