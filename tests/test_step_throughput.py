"""The step-throughput benchmark runs tiny on CPU and reports what it measured, by the FLOP rule it states."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT


def test_tiny_benchmark_on_cpu_reports_both_modes(tmp_path) -> None:
    out = tmp_path / "throughput.json"
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "step_throughput.py"), "--arch", "tiny",
                             "--layers", "1", "--device", "cpu", "--batch-sizes", "2,4", "--steps", "2", "--warmup",
                             "1", "--optimizer", "adamw", "--peak-tflops", "1", "--out", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["layers"] == 1 and figures["full_layers"] == 2 and figures["quant"] == "nf4"
    assert figures["n_params_counted"] == 64 * 16 * (2 * 4 + 2 * 2) + 3 * 64 * 128 + 2 * 64
    rows = {(r["mode"], r["batch"]): r for r in figures["rows"]}
    assert set(rows) == {("embedding", 2), ("embedding", 4), ("text", 2), ("text", 4)}
    for (mode, batch), row in rows.items():
        tokens = 1 if mode == "embedding" else 32
        assert row["flops_per_step"] == 6 * figures["n_params_counted"] * batch * tokens
        assert row["samples_per_s"] == batch / row["step_s"] > 0
        assert row["mfu"] == pytest.approx(row["tflops"])
        assert row["scaled_samples_per_s"] == pytest.approx(row["samples_per_s"] / 2)
    assert figures["reference_15_epochs"]["seconds"] > 0
    assert "Reference run" in result.stdout and "MFU" in result.stdout
