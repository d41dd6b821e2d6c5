"""A relaunched multirun grid skips the jobs that already finished, and runs only what is new."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT, keyword_rows


def multirun(tmp_path: Path, data: Path, seeds: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    args = ["-m", "experiment=quickstart", "data=table", f"data.train_file={data}", "encoder.dim=16",
            "encoder.min_df=1", "trainer.max_epochs=1", "trainer.enable_progress_bar=false", "skip_finished=true",
            f"seed={seeds}", f"hydra.sweep.dir={tmp_path / 'grid'}", f"paths.cache_dir={tmp_path / 'cache'}"]
    return subprocess.run([sys.executable, str(ROOT / "train.py"), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_a_relaunched_grid_skips_finished_runs(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(200)))
    first = multirun(tmp_path, data, "1,2")
    assert first.returncode == 0, first.stderr[-3000:]
    checkpoints = {job: (tmp_path / "grid" / job / "checkpoints" / "best.ckpt").stat().st_mtime_ns for job in "01"}

    again = multirun(tmp_path, data, "1,2,3")
    assert again.returncode == 0, again.stderr[-3000:]
    logged = again.stdout + again.stderr
    assert logged.count("Skipping") == 2 and "(skip_finished=true)" in logged
    assert {job: (tmp_path / "grid" / job / "checkpoints" / "best.ckpt").stat().st_mtime_ns for job in "01"} == \
        checkpoints
    assert (tmp_path / "grid" / "2" / "head.safetensors").is_file()
    seeds = [json.loads((tmp_path / "grid" / job / "run.json").read_text())["seed"] for job in "012"]
    assert seeds == [1, 2, 3]
