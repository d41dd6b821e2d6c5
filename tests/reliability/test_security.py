"""Loading never runs code: weights_only checkpoints, safetensors, verified data, no remote code, no secrets
written anywhere."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import FAST_RUN, ROOT, compose_train, goemotions_overrides, goemotions_rows, snapshot, write_goemotions
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from emotune.data.checksums import DataFileError
from emotune.recipes.evaluate import evaluate
from emotune.recipes.train import train

FAKE_WANDB_KEY = "local-0123456789abcdef0123456789abcdef01234567"


class Payload:
    """Unpickling this creates `marker`: proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def plant(path: Path, marker: Path) -> None:
    state = torch.load(path, map_location="cpu", weights_only=True)
    torch.save({**state, "extra": Payload(marker)}, path)


@pytest.mark.parametrize("entry", ["evaluate", "resume"])
def test_a_checkpoint_carrying_code_is_refused_and_never_run(finished_run, tmp_path, entry) -> None:
    run_dir = shutil.copytree(finished_run, tmp_path / "run")
    marker = tmp_path / "code-ran"
    checkpoint = run_dir / "checkpoints" / ("best.ckpt" if entry == "evaluate" else "last.ckpt")
    plant(checkpoint, marker)
    before = snapshot(run_dir)
    with pytest.raises(ValueError, match=rf"{checkpoint.name}: refused, it holds more than weights .*weights_only"):
        if entry == "evaluate":
            evaluate(run_dir, "val")
        else:
            data = finished_run.parent / "goemotions"
            train(compose_train(tmp_path, [*FAST_RUN, *goemotions_overrides(data), "ckpt_path=last"]))
    assert not marker.exists() and snapshot(run_dir) == before


def test_every_torch_load_is_weights_only() -> None:
    calls = [(path, line) for path in (ROOT / "src").rglob("*.py")
             for line in path.read_text().splitlines() if "torch.load(" in line]
    assert calls and all("weights_only=True" in line for _, line in calls), calls


def test_the_run_dir_holds_no_pickles_outside_checkpoints(finished_run) -> None:
    """Weights are safetensors, state is JSON: sharing a run dir's exports shares nothing executable."""
    for path in finished_run.rglob("*"):
        if path.is_file() and "checkpoints" not in path.parts:
            head = path.read_bytes()[:4]
            assert head[:1] != b"\x80" and head != b"PK\x03\x04", path
    assert (finished_run / "head.safetensors").is_file() and (finished_run / "encoder" / "lsa.safetensors").is_file()


def test_a_data_file_that_fails_its_checksum_is_refused(tmp_path, finished_run) -> None:
    data = write_goemotions(tmp_path / "data", {"train.tsv": goemotions_rows(60), "dev.tsv": goemotions_rows(20)})
    (data / "emotions.txt").write_text((data / "emotions.txt").read_text() + "\nglee")
    run_dir = shutil.copytree(finished_run, tmp_path / "run")
    before = snapshot(run_dir)
    cfg = compose_train(tmp_path, [*FAST_RUN, f"data.data_dir={data}"])
    with pytest.raises(DataFileError, match=r"(emotions\.txt|\.tsv): sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}"):
        train(cfg)
    assert snapshot(run_dir) == before


CUSTOM_CODE = """
from pathlib import Path
Path({marker!r}).touch()
from transformers import PretrainedConfig
class TinyConfig(PretrainedConfig):
    model_type = "tiny-custom"
"""


def test_remote_code_is_off_unless_asked_and_never_runs(tmp_path) -> None:
    model_dir, marker = tmp_path / "custom-model", tmp_path / "code-ran"
    model_dir.mkdir()
    (model_dir / "custom.py").write_text(CUSTOM_CODE.format(marker=str(marker)))
    (model_dir / "config.json").write_text(json.dumps({
        "model_type": "tiny-custom", "auto_map": {"AutoConfig": "custom.TinyConfig", "AutoModel": "custom.TinyModel"}}))
    cfg = compose_train(tmp_path, ["model=text", f"backbone.name_or_path={model_dir}", "quant=none", "lora=none"])
    assert cfg.backbone.trust_remote_code is False
    with pytest.raises(InstantiationException, match=r"(?s)contains custom code.*trust_remote_code=True"):
        instantiate(cfg.backbone, quant=cfg.quant, lora=cfg.lora)
    assert not marker.exists()


def test_a_planted_wandb_key_reaches_no_log_config_or_report(tmp_path) -> None:
    data = write_goemotions(tmp_path / "data", {"train.tsv": goemotions_rows(120), "dev.tsv": goemotions_rows(40)})
    run_dir = tmp_path / "run"
    env = {**os.environ, "WANDB_API_KEY": FAKE_WANDB_KEY, "WANDB_SILENT": "true"}
    result = subprocess.run([sys.executable, str(ROOT / "train.py"), *FAST_RUN, *goemotions_overrides(data),
                             "logger=wandb", f"hydra.run.dir={run_dir}", f"paths.cache_dir={tmp_path / 'cache'}",
                             "trainer.enable_progress_bar=false"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    evaluated = subprocess.run([sys.executable, str(ROOT / "evaluate.py"), f"run_dir={run_dir}", "split=val"],
                               capture_output=True, text=True, env=env, timeout=300)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    written = [p for p in run_dir.rglob("*") if p.is_file()]
    assert any("wandb" in p.parts for p in written), "the offline W&B run was written"
    pattern = re.compile(re.escape(FAKE_WANDB_KEY[-16:]).encode())
    leaks = [str(p) for p in written if pattern.search(p.read_bytes())]
    assert leaks == []
    assert FAKE_WANDB_KEY[-16:] not in result.stdout + result.stderr + evaluated.stdout + evaluated.stderr
