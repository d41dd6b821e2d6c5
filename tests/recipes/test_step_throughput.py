"""The step-throughput benchmark runs tiny on CPU and reports what it measured, by the rules it states."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from step_throughput import REFERENCE_ROWS, peak_for  # noqa: E402


def test_tiny_benchmark_on_cpu_reports_both_modes_and_scales_to_full_depth(tmp_path) -> None:
    out = tmp_path / "throughput.json"
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "step_throughput.py"), "--arch", "tiny",
                             "--layers", "2", "--device", "cpu", "--batch-sizes", "2,4", "--steps", "2", "--warmup",
                             "1", "--optimizer", "adamw", "--peak-tflops", "1", "--workdir", str(tmp_path),
                             "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["layers"] == 2 and figures["full_layers"] == 4 and figures["quant"] == "nf4"
    n = 2 * (64 * 16 * (2 * 4 + 2 * 2) + 3 * 64 * 128 + 2 * 64)
    assert figures["n_params_counted"] == n
    rows = {(r["mode"], r["batch"]): r for r in figures["rows"]}
    assert set(rows) == {("embedding", 2), ("embedding", 4), ("text", 2), ("text", 4)}
    for (mode, batch), row in rows.items():
        tokens = 1 if mode == "embedding" else 32
        assert row["flops_per_step"] == 6 * n * batch * tokens
        assert row["samples_per_s"] == batch / row["step_s"] > 0
        assert row["mfu"] == pytest.approx(row["tflops"])
        assert row["weight_gbps"] * 1e9 * row["step_s"] > 2 * 4 * n  # nf4 bytes come on top of the bf16 copy
        assert row["scaled_samples_per_s"] == pytest.approx(row["samples_per_s"] / 2)
        assert row["layer_weights_gb"] > 0 and row["working_gb_per_layer"] is not None
        assert row["scaled_peak_memory_gb"] == pytest.approx(
            row["peak_memory_gb"] + 2 * (row["layer_weights_gb"] + row["working_gb_per_layer"]))
        assert ("q_proj" in row["lora_targets"]) == (mode == "text")  # the fast variant's targets per input
    assert figures["reference_15_epochs"]["rows"] == REFERENCE_ROWS
    assert "Reference run" in result.stdout and "MFU" in result.stdout
    assert not list(tmp_path.glob("tmp*")), "the random checkpoint is removed"


@pytest.mark.parametrize(("name", "peak"), [("NVIDIA H100 80GB HBM3", 989.4), ("NVIDIA H100 PCIe", 756.0),
                                            ("NVIDIA H100 NVL", 835.5), ("NVIDIA H200", 989.4),
                                            ("NVIDIA H200 NVL", 835.5), ("NVIDIA H100", None), ("Tesla T4", None)])
def test_peak_flops_match_the_exact_variant(name, peak) -> None:
    assert peak_for(name) == peak
