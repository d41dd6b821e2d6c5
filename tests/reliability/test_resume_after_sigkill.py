"""A training process killed mid-epoch and resumed with ckpt_path=last ends where an uninterrupted run ends."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, keyword_rows

EPOCHS = 4


def command(data: Path, run_dir: Path, cache: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "train.py"), "experiment=quickstart", "data=table", f"data.train_file={data}",
            "encoder.dim=16", "encoder.min_df=1", "datamodule.batch_size=4", f"trainer.max_epochs={EPOCHS}",
            "trainer.enable_progress_bar=false", f"hydra.run.dir={run_dir}", f"paths.cache_dir={cache}", *extra]


def final_metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())["final"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("resume") / "train.jsonl"
    path.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(6000)))
    return path


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_an_uninterrupted_run(data, tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(command(data, whole, tmp_path / "cache"), check=True, capture_output=True, env=env, timeout=600)

    process = subprocess.Popen(command(data, killed, tmp_path / "cache"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 300
    last = killed / "checkpoints" / "last.ckpt"
    while not last.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # the first epoch's checkpoint is written; now well into the second epoch
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    assert final_metrics(killed)["epoch"] < EPOCHS - 1, "the kill must land before the run finished"

    resumed = subprocess.run(command(data, killed, tmp_path / "cache", "ckpt_path=last"), capture_output=True,
                             text=True, env=env, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Restored all states from the checkpoint" in resumed.stdout + resumed.stderr
    expected, got = final_metrics(whole), final_metrics(killed)
    assert got["epoch"] == expected["epoch"] == EPOCHS - 1 and got["step"] == expected["step"]
    for key, value in expected["metrics"].items():
        assert got["metrics"][key] == pytest.approx(value, abs=1e-6), key
