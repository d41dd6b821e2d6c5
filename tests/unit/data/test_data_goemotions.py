import hashlib
import threading
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import numpy as np
import pytest
from helpers import GOEMOTIONS_LABELS, write_goemotions

from emotune.data import DataFileError, GoEmotions
from emotune.data.goemotions import SHA256

QUOTED = '"Three words, no subtlety. ""Dude. Stop. Seriously."" "'


def source(folder: Path, **kw) -> GoEmotions:
    return GoEmotions(str(folder), download=False, verify_checksums=False, **kw)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rows = [
        (QUOTED, [3]),
        ("plain text, with a comma", [2, 3]),
        ("so happy and grateful", [17, 15]),
        ("nothing much", [27]),
    ]
    return write_goemotions(tmp_path / "ge", {"train.tsv": rows})


def test_official_emotions_file_passes_its_checksum(folder: Path) -> None:
    assert hashlib.sha256((folder / "emotions.txt").read_bytes()).hexdigest() == SHA256["emotions.txt"]
    assert GoEmotions(str(folder), download=False).fine_labels == GOEMOTIONS_LABELS


def test_quoted_rows_are_unquoted(folder: Path) -> None:
    train = source(folder).load("train")
    assert train.texts[0] == 'Three words, no subtlety. "Dude. Stop. Seriously." '
    assert train.texts[1] == "plain text, with a comma"
    assert train.labels.shape == (4, 28)
    assert train.labels[1].nonzero()[0].tolist() == [2, 3]


def test_every_label_set(folder: Path) -> None:
    ekman = source(folder, label_set="ekman")
    assert ekman.label_names == ["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"]
    rows = ekman.load("train").labels
    assert rows[1].tolist() == [1, 0, 0, 0, 0, 0, 0]  # anger + annoyance -> anger
    assert rows[2].tolist() == [0, 0, 0, 1, 0, 0, 0]  # joy + gratitude -> joy
    assert rows[3].tolist() == [0, 0, 0, 0, 0, 0, 1]

    sentiment = source(folder, label_set="sentiment")
    assert sentiment.label_names == ["positive", "negative", "ambiguous", "neutral"]
    assert sentiment.load("train").labels.tolist() == [[0, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]

    preferred = source(folder, label_set="preferred", preferred_labels=["annoyance", "joy"])
    assert preferred.label_names == ["annoyance", "joy"]
    assert preferred.load("train").labels.tolist() == [[1, 0], [1, 0], [0, 1], [0, 0]]

    assert source(folder, label_set="all").label_names == GOEMOTIONS_LABELS
    with pytest.raises(ValueError, match="label_set='plutchik'"):
        source(folder, label_set="plutchik")


def test_out_of_range_label_id_names_file_and_row(tmp_path: Path) -> None:
    folder = write_goemotions(tmp_path / "ge", {"train.tsv": [("fine", [1]), ("broken", [1, 28])]})
    with pytest.raises(DataFileError, match=r"train\.tsv, row 2: label id 28 out of range, expected 0\.\.27"):
        source(folder).load("train")


def test_malformed_row_names_file_and_row(folder: Path) -> None:
    with open(folder / "train.tsv", "a") as f:
        f.write("a row without its other columns\n")
    with pytest.raises(DataFileError, match=r"train\.tsv, row 5: expected 3 tab-separated columns"):
        source(folder).load("train")


def test_missing_split_offline_says_which_files_to_put_where(folder: Path) -> None:
    with pytest.raises(DataFileError) as err:
        source(folder).load("test")
    message = str(err.value)
    assert str(folder / "test.tsv") in message and "is missing" in message and "data.data_dir" in message


def test_corrupt_file_fails_its_checksum(folder: Path) -> None:
    (folder / "train.tsv").write_text("tampered\t1\tx\n")
    (folder / "train.tsv").chmod(0o644)
    with pytest.raises(DataFileError, match=r"train\.tsv: sha256 is .* expected 1c254a14"):
        GoEmotions(str(folder), download=False).load("train")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path):
    """A local HTTP mirror of the official files, standing in for the canonical URL."""
    served = write_goemotions(tmp_path / "mirror", {})
    server = HTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_missing_file_is_downloaded_and_verified(tmp_path: Path, mirror) -> None:
    _, url = mirror
    target = tmp_path / "fresh"
    ge = GoEmotions(str(target), source_url=url)
    assert ge.fine_labels == GOEMOTIONS_LABELS
    assert (target / "emotions.txt").is_file()


def test_tampered_download_is_rejected_and_not_kept(tmp_path: Path, mirror) -> None:
    served, url = mirror
    (served / "emotions.txt").write_text("\n".join(GOEMOTIONS_LABELS) + "\nextra")
    target = tmp_path / "fresh"
    with pytest.raises(DataFileError, match="sha256"):
        GoEmotions(str(target), source_url=url)
    assert not (target / "emotions.txt").exists()
    assert list(target.iterdir()) == []


def test_unreachable_source_says_which_files_to_put_where(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"emotions\.txt is missing \(download failed"):
        GoEmotions(str(tmp_path / "nowhere"), source_url="http://127.0.0.1:9/")


def test_labels_are_multi_hot_uint8(folder: Path) -> None:
    labels = source(folder).load("train").labels
    assert labels.dtype == np.uint8 and set(np.unique(labels)) <= {0, 1}
