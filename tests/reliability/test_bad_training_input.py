"""Bad training input, aimed at a finished run dir: a clear error naming the file, key or row, and the run
dir exactly as it was."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import FAST_RUN, ROOT, compose_train, goemotions_overrides, goemotions_rows, snapshot, write_goemotions
from hydra.errors import ConfigCompositionException

from emotune.data.checksums import DataFileError
from emotune.recipes.train import train

Rows = list[tuple[str, list[int]]]


@pytest.fixture
def run_dir(tmp_path: Path, finished_run: Path) -> Path:
    """A copy of a finished run, where compose_train points paths.output_dir."""
    shutil.copytree(finished_run, tmp_path / "run")
    return tmp_path / "run"


@pytest.fixture
def fails_intact(tmp_path: Path, run_dir: Path) -> Callable[..., str]:
    """Trains into the finished run with `overrides`; returns the error message after checking nothing changed."""

    def check(overrides: list[str], error: type[Exception], match: str) -> str:
        before = snapshot(run_dir)
        with pytest.raises(error, match=match) as caught:
            train(compose_train(tmp_path, [*FAST_RUN, *overrides]))
        assert snapshot(run_dir) == before
        return str(caught.value)

    return check


def goemotions_dir(tmp_path: Path, train_rows: Rows | None = None, extra: bytes = b"") -> list[str]:
    folder = write_goemotions(tmp_path / "data", {"train.tsv": train_rows or goemotions_rows(120),
                                                  "dev.tsv": goemotions_rows(40, seed=1),
                                                  "test.tsv": goemotions_rows(40, seed=2)})
    with open(folder / "train.tsv", "ab") as f:
        f.write(extra)
    return goemotions_overrides(folder)


def test_malformed_tsv_row(tmp_path, fails_intact) -> None:
    fails_intact(goemotions_dir(tmp_path, extra=b"a row without its other columns\n"), DataFileError,
                 r"train\.tsv, row 233: expected 3 tab-separated columns \(text, label ids, id\), got 1")


def test_malformed_csv_row(tmp_path, fails_intact) -> None:
    data = tmp_path / "train.csv"
    data.write_text('text,labels\n"so happy",joy\n"a, b",joy,extra\n')
    message = fails_intact(["data=table", f"data.train_file={data}"], DataFileError, r"train\.csv: could not be parsed")
    assert "line 3" in message


def test_empty_text(tmp_path, fails_intact) -> None:
    fails_intact(goemotions_dir(tmp_path, extra=b" \t17\tidx\n"), DataFileError,
                 r"train\.tsv, row 233: empty text, expected a comment")


def test_label_id_out_of_range(tmp_path, fails_intact) -> None:
    fails_intact(goemotions_dir(tmp_path, extra=b"too far\t3,28\tidx\n"), DataFileError,
                 r"train\.tsv, row 233: label id 28 out of range, expected 0..27")


def test_unknown_label_name(tmp_path, fails_intact) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": f"text {i}", "labels": ["joy"]}) + "\n" for i in range(20))
                    + json.dumps({"text": "odd", "labels": ["glee"]}) + "\n")
    fails_intact(["data=table", f"data.train_file={data}", "data.label_names=[joy,anger]"], DataFileError,
                 r"train\.jsonl, line 21: unknown label 'glee'")


def test_a_label_without_positives_in_train(tmp_path, fails_intact) -> None:
    grief = 16
    rows = [row for row in goemotions_rows(120) if grief not in row[1]]
    fails_intact(goemotions_dir(tmp_path, rows), ValueError,
                 r"train\.tsv: labels \['grief'\] have no positives in the train split")


def test_training_file_that_is_not_utf8(tmp_path, fails_intact) -> None:
    fails_intact(goemotions_dir(tmp_path, extra="caf\xe9 au lait\t17\tidx\n".encode("latin-1")), DataFileError,
                 r"train\.tsv, row 233: not UTF-8 \(byte 3 of the row\)")


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_embeddings(tmp_path, fails_intact, value) -> None:
    fails_intact([*goemotions_dir(tmp_path), "encoder._target_=faulty_encoder.NonFiniteLsa", f"+encoder.bad={value}"],
                 ValueError, r"train texts \(.*train\.tsv\): embedding row 2 contains NaN or inf")


def test_sampling_target_below_the_current_count(tmp_path, fails_intact) -> None:
    fails_intact([*goemotions_dir(tmp_path), "sampling=ismote", "sampling.oversample.sampling_strategy={joy:1}"],
                 ValueError, r"target 1 for 'joy' is below its current count")


def test_resuming_with_another_embedding_width(tmp_path, fails_intact) -> None:
    fails_intact([*goemotions_dir(tmp_path), "ckpt_path=last", "encoder.dim=8"], ValueError,
                 r"last\.ckpt: net\.projection\.0\.weight has shape \[\d+, 16\] but the model expects \[\d+, 8\]")


def test_unwritable_output_dir(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    cfg = compose_train(tmp_path, [*FAST_RUN, *goemotions_dir(tmp_path), f"paths.output_dir={blocker / 'run'}"])
    with pytest.raises(OSError, match=r"paths\.output_dir: .*a-file/run is not a writable directory"):
        train(cfg)
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize(("override", "named"), [("loss.gama=2", "Key 'gama' is not in struct"),
                                                 ("sampling=ismot", "Could not find 'sampling/ismot'")])
def test_hydra_typos_fail_instead_of_being_ignored(tmp_path, override, named) -> None:
    with pytest.raises(ConfigCompositionException) as caught:
        compose_train(tmp_path, [override])
    assert named in str(caught.value) + str(caught.value.__cause__)


def test_a_typo_on_the_command_line_leaves_the_run_dir_alone(tmp_path, run_dir) -> None:
    before = snapshot(run_dir)
    result = subprocess.run([sys.executable, str(ROOT / "train.py"), "loss.gama=2", f"hydra.run.dir={run_dir}"],
                            capture_output=True, text=True, timeout=120, env={**os.environ})
    assert result.returncode != 0 and "gama" in result.stderr
    assert snapshot(run_dir) == before
