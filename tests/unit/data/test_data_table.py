import json
from pathlib import Path

import pytest

from emotune.data import DataFileError, TableSource

ROWS = [("I love it", ["joy"]), ("so angry", ["anger"]), ("both", ["joy", "anger"]), ("neither", [])]
NAMES = ["anger", "joy"]


def write(path: Path, fmt: str, as_ids: bool) -> Path:
    def labels(row: list[str]) -> list:
        return [NAMES.index(x) for x in row] if as_ids else row

    if fmt == "jsonl":
        path.write_text("".join(json.dumps({"body": t, "tags": labels(ls)}) + "\n" for t, ls in ROWS))
    else:
        sep = "," if fmt == "csv" else "\t"
        lines = ["body" + sep + "tags"] + [f'"{t}"{sep}"{"|".join(map(str, labels(ls)))}"' for t, ls in ROWS]
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
@pytest.mark.parametrize("as_ids", [False, True])
def test_reads_every_format_with_names_and_ids(tmp_path: Path, fmt: str, as_ids: bool) -> None:
    path = write(tmp_path / f"train.{fmt}", fmt, as_ids)
    table = TableSource(str(path), text_column="body", labels_column="tags", label_delimiter="|",
                        val_file=str(path), test_file=str(path), label_names=NAMES if as_ids else None)
    assert table.label_names == NAMES
    train = table.load("train")
    assert train.texts == [t for t, _ in ROWS]
    assert train.labels.tolist() == [[0, 1], [1, 0], [1, 1], [0, 0]]


def test_val_and_test_are_carved_from_train_reproducibly(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"text": f"row {i}", "labels": ["a" if i % 2 else "b"]}) + "\n"
                            for i in range(100)))
    first = TableSource(str(path), val_fraction=0.2, test_fraction=0.1, seed=3)
    again = TableSource(str(path), val_fraction=0.2, test_fraction=0.1, seed=3)
    sizes = {s: len(first.load(s)) for s in ("train", "val", "test")}
    assert sizes == {"train": 70, "val": 20, "test": 10}
    texts = {s: set(first.load(s).texts) for s in sizes}
    assert not (texts["train"] & texts["val"]) and not (texts["train"] & texts["test"])
    assert not (texts["val"] & texts["test"])
    assert first.load("val").texts == again.load("val").texts


def test_out_of_range_id_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text("text,labels\nfine,1\nbroken,\"0,5\"\n")
    with pytest.raises(DataFileError, match=r"train\.csv, line 3: label id 5 out of range, expected 0\.\.1"):
        TableSource(str(path), label_names=NAMES)


def test_unknown_name_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"text": "a", "labels": ["joy"]}\n{"text": "b", "labels": ["glee"]}\n')
    with pytest.raises(DataFileError, match=r"train\.jsonl, line 2: unknown label 'glee'"):
        TableSource(str(path), label_names=NAMES)


def test_ids_without_names_ask_for_label_names(tmp_path: Path) -> None:
    path = write(tmp_path / "train.csv", "csv", as_ids=True)
    with pytest.raises(DataFileError, match="data.label_names"):
        TableSource(str(path), text_column="body", labels_column="tags", label_delimiter="|")


def test_missing_file_and_column_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"nope\.csv: file not found"):
        TableSource(str(tmp_path / "nope.csv"))
    path = write(tmp_path / "train.csv", "csv", as_ids=False)
    with pytest.raises(DataFileError, match=r"train\.csv: column 'text' not found"):
        TableSource(str(path))


def test_empty_text_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text('{"text": "fine", "labels": ["joy"]}\n{"text": "  ", "labels": ["joy"]}\n')
    with pytest.raises(DataFileError, match=r"train\.jsonl, line 2: empty text in column 'text'"):
        TableSource(str(path))
    path.write_text('{"text": "fine", "labels": ["joy"]}\n{"labels": ["joy"]}\n')
    with pytest.raises(DataFileError, match=r"train\.jsonl, line 2: empty text"):
        TableSource(str(path))
