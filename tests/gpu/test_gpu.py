"""nf4 + LoRA on CUDA in bf16. Runs where a GPU is present (`pytest -m gpu`); skipped elsewhere."""

from pathlib import Path

import pytest
import torch
from helpers import compose_train, epoch_losses

from emotune.recipes.train import train

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]


def cuda_overrides(model_path: Path, extra: list[str]) -> list[str]:
    return [f"backbone.name_or_path={model_path}", "quant=nf4", "lora.r=4", "lora.alpha=8",
            "trainer.accelerator=gpu", "trainer.precision=bf16-mixed", "trainer.max_epochs=4",
            "trainer.accumulate_grad_batches=1", "optimizer.lr=3e-3", "loss=bce", "scheduler.warmup_ratio=0", *extra]


@pytest.mark.parametrize("mode", ["embedding", "text"])
def test_nf4_lora_learns_on_cuda_in_bf16(tmp_path, small_table_overrides, tiny_mistral, mode):
    extra = ["model=text", "lora.target_modules=null", "datamodule.max_length=16"] if mode == "text" else []
    cfg = compose_train(tmp_path, small_table_overrides + cuda_overrides(tiny_mistral, extra))
    assert cfg.trainer.precision == "bf16-mixed"
    summary = train(cfg)
    losses = epoch_losses(Path(cfg.paths.output_dir))
    assert losses[-1] < 0.8 * losses[0]
    assert summary["best"]["metrics"]["val/macro_f1"] > 0.5


def test_best_precision_is_bf16_on_this_gpu(tmp_path):
    if not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    assert compose_train(tmp_path, []).trainer.precision == "bf16-mixed"


def test_step_throughput_benchmark_on_cuda(tmp_path):
    """The benchmark's GPU path: nf4 placed on the device, bf16 autocast, peak memory and MFU reported."""
    import json
    import subprocess
    import sys

    from helpers import ROOT

    out = tmp_path / "throughput.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "step_throughput.py"), "--arch", "tiny", "--device",
                    "cuda", "--batch-sizes", "8,64", "--steps", "3", "--peak-tflops", "100", "--out", str(out)],
                   check=True, timeout=600)
    figures = json.loads(out.read_text())
    assert figures["optimizer"] == "bitsandbytes.optim.AdamW8bit"
    for row in figures["rows"]:
        assert not row["oom"] and row["peak_memory_gb"] > 0 and 0 < row["mfu"] < 1
