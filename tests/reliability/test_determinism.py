"""The same seed gives the same resampled train set and the same val metrics, in separate processes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FAST_RUN, ROOT, goemotions_overrides, goemotions_rows, write_goemotions

RANDOM_SAMPLING = ["sampling=undersample_ismote", "sampling.undersample.mode=random",
                   "sampling.undersample.keep_ratio=0.5", "sampling.oversample.k_neighbors=1",
                   "sampling.oversample.sampling_strategy=30", "model.net.dropout=0.3"]
pytestmark = pytest.mark.slow  # three training processes


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    tmp_path = tmp_path_factory.mktemp("determinism")
    data = write_goemotions(tmp_path / "data", {"train.tsv": goemotions_rows(200), "dev.tsv": goemotions_rows(60)})
    out = {}
    for name, seed in (("first", 3), ("second", 3), ("other_seed", 4)):
        out[name] = tmp_path / name
        subprocess.run([sys.executable, str(ROOT / "train.py"), *FAST_RUN, *RANDOM_SAMPLING, f"seed={seed}",
                        *goemotions_overrides(data), f"hydra.run.dir={out[name]}",
                        f"paths.cache_dir={tmp_path / name}-c", "trainer.enable_progress_bar=false"],
                       check=True, capture_output=True, timeout=300)
    return out


def read(run_dir: Path, name: str) -> dict:
    return json.loads((run_dir / name).read_text())


def test_the_same_seed_resamples_the_same_train_set(runs) -> None:
    assert read(runs["first"], "run.json")["train_hash"] == read(runs["second"], "run.json")["train_hash"]
    assert read(runs["first"], "run.json")["train_hash"] != read(runs["other_seed"], "run.json")["train_hash"]


def test_the_same_seed_gives_the_same_val_metrics(runs) -> None:
    first, second = read(runs["first"], "metrics.json"), read(runs["second"], "metrics.json")
    assert first["final"]["metrics"] == second["final"]["metrics"]
    assert first["best"] == second["best"]
    assert first["final"]["metrics"] != read(runs["other_seed"], "metrics.json")["final"]["metrics"]
