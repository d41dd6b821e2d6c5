"""Evaluating and scoring with run dirs and inputs that are wrong: a clear error, and nothing already written
(the run dir, an earlier predictions file) damaged."""

import shutil
from pathlib import Path

import pytest
from helpers import snapshot

from emotune.cli import main as emotune
from emotune.data.checksums import DataFileError
from emotune.encoders import LsaEncoder
from emotune.recipes.evaluate import evaluate


@pytest.fixture
def run_dir(tmp_path: Path, finished_run: Path) -> Path:
    shutil.copytree(finished_run, tmp_path / "run")
    return tmp_path / "run"


def fails_intact(run_dir: Path, error: type[Exception], match: str, split: str = "val", **overrides) -> None:
    before = snapshot(run_dir)
    with pytest.raises(error, match=match):
        evaluate(run_dir, split, data_overrides=overrides)
    assert snapshot(run_dir) == before


def predict_fails_intact(capsys, run_dir: Path, output: Path, match: str, *args: str) -> None:
    """An earlier predictions file at `output` survives the failed command."""
    output.write_text("earlier predictions\n")
    before = snapshot(run_dir)
    with pytest.raises(SystemExit) as caught:
        emotune(["predict", "--run-dir", str(run_dir), "--output", str(output), *args])
    assert caught.value.code == 2
    assert match in capsys.readouterr().err
    assert output.read_text() == "earlier predictions\n" and snapshot(run_dir) == before


def test_run_dir_missing_its_checkpoint(run_dir) -> None:
    (run_dir / "checkpoints" / "best.ckpt").unlink()
    fails_intact(run_dir, FileNotFoundError, r"is not a usable training run dir: missing checkpoints/best\.ckpt")


def test_truncated_checkpoint(run_dir) -> None:
    best = run_dir / "checkpoints" / "best.ckpt"
    best.write_bytes(best.read_bytes()[:2000])
    fails_intact(run_dir, ValueError, r"best\.ckpt: not a readable checkpoint \(truncated or corrupt\?\)")


def test_label_set_differs_between_checkpoint_and_data(run_dir) -> None:
    fails_intact(run_dir, ValueError, r"label set mismatch: .*labels\.json has \['admiration'.*, the data has "
                                      r"\['anger', 'disgust', 'fear', 'joy', 'sadness', 'surprise', 'neutral'\]",
                 label_set="ekman")


def test_embedding_width_differs_from_the_checkpoint(run_dir, finished_run) -> None:
    train_tsv = finished_run.parent / "goemotions" / "train.tsv"
    texts = [line.split("\t")[0] for line in train_tsv.read_text().splitlines()]
    other = LsaEncoder(dim=8, min_df=1)
    other.fit(texts, fit_hash="another run")
    shutil.rmtree(run_dir / "encoder")
    other.save_state(run_dir / "encoder")
    fails_intact(run_dir, ValueError, r"encoder gives 8-wide embeddings of the val texts .* was trained on 16-wide")


def test_evaluating_a_split_that_is_missing(run_dir, finished_run, tmp_path) -> None:
    data = shutil.copytree(finished_run.parent / "goemotions", tmp_path / "no-test")
    (data / "test.tsv").unlink()
    fails_intact(run_dir, DataFileError, r"test\.tsv is missing", split="test", data_dir=str(data), download=False)


def test_predict_with_an_incomplete_run_dir(run_dir, tmp_path, capsys) -> None:
    (run_dir / "head.safetensors").unlink()
    texts = tmp_path / "texts.txt"
    texts.write_text("so happy\n")
    predict_fails_intact(capsys, run_dir, tmp_path / "out.jsonl", "is not a usable training run dir: missing "
                         "head.safetensors", "--input", str(texts))


def test_empty_predict_input(run_dir, tmp_path, capsys) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n   \n")
    predict_fails_intact(capsys, run_dir, tmp_path / "out.jsonl", "empty.txt: no texts to score", "--input", str(empty))


def test_predict_input_that_is_not_utf8(run_dir, tmp_path, capsys) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("text\ncaf\xe9 au lait\n".encode("latin-1"))
    predict_fails_intact(capsys, run_dir, tmp_path / "out.csv", "latin.csv: could not be parsed as CSV", "--input",
                         str(latin))


def test_unwritable_predict_output(run_dir, tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    texts = tmp_path / "texts.txt"
    texts.write_text("so happy\n")
    before = snapshot(run_dir)
    with pytest.raises(SystemExit):
        emotune(["predict", "--run-dir", str(run_dir), "--input", str(texts), "--output", str(blocker / "out.jsonl")])
    assert "a-file/out.jsonl: " in capsys.readouterr().err
    assert blocker.read_text() == "keep me" and snapshot(run_dir) == before
