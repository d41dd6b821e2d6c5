"""Verified files: nothing is parsed until its sha256 matches what the source publishes."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from emotune.utils.atomic import atomic_write


class DataFileError(ValueError):
    """A data file is missing, corrupt or malformed; the message names the file and what was expected."""


def not_utf8(path: Path) -> DataFileError:
    """Names the first line that is not UTF-8, which a decoder reading in chunks cannot."""
    for line_no, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as err:
            return DataFileError(f"{path}, row {line_no}: not UTF-8 (byte {err.start} of the row); re-encode "
                                 "the file as UTF-8")
    return DataFileError(f"{path}: not UTF-8; re-encode the file as UTF-8")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, expected_sha256: str) -> None:
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise DataFileError(
            f"{path}: sha256 is {actual}, expected {expected_sha256}. The file is corrupt or not the "
            "official release; delete it to download it again, or replace it with the official file."
        )


def download_verified(url: str, dest: Path, expected_sha256: str, timeout: float = 60.0) -> None:
    """Verified before the rename: a failed or tampered download never lands at `dest`."""

    def fetch(tmp: Path) -> None:
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
        verify(tmp, expected_sha256)

    atomic_write(dest, fetch)
