"""`emotune report` and `compare` answer without loading the training stack, and `emotune predict --onnx` scores
without torch, in a fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "lightning", "transformers", "pandas", "matplotlib")


def loaded_after(code: str) -> list[str]:
    """Runs `code` in a fresh interpreter (this one already holds everything) and lists the heavy modules it loaded."""
    probe = f"{code}\nimport sys\nprint('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [m for m in done.stdout.rsplit("loaded:", 1)[1].strip().split(",") if m]


def write_run(path: Path, macro: float) -> Path:
    path.mkdir(parents=True)
    best = {"val/macro_f1": macro, "val/micro_f1": macro, "val/f1/joy": macro}
    (path / "metrics.json").write_text(json.dumps({"best": {"epoch": 1, "metrics": best}}))
    (path / "config.yaml").write_text("{}\n")
    (path / "run.json").write_text(json.dumps({"data_hash": "h", "seed": 1}))
    (path / "eval_val").mkdir()
    (path / "eval_val" / "metrics.json").write_text(json.dumps({"macro_f1": macro, "micro_f1": macro,
                                                               "per_label": {"joy": {"f1": macro}}}))
    return path


def test_parsing_report_and_compare_imports_nothing_heavy():
    code = ("import emotune.cli as cli\n"
            "cli.parser().parse_args(['report', 'multirun'])\n"
            "cli.parser().parse_args(['compare', 'a', 'b', '--split', 'val'])\n"
            "import emotune.reporting.compare, emotune.reporting.sweep_report")
    assert loaded_after(code) == []


def test_compare_runs_without_heavy_imports(tmp_path):
    a, b = write_run(tmp_path / "a", 0.3), write_run(tmp_path / "b", 0.4)
    assert loaded_after(f"import emotune.cli\nemotune.cli.main(['compare', {str(a)!r}, {str(b)!r}])") == []


def test_report_loads_only_matplotlib_for_its_plot(tmp_path):
    write_run(tmp_path / "multirun" / "0", 0.3)
    code = f"import emotune.cli\nemotune.cli.main(['report', {str(tmp_path / 'multirun')!r}])"
    assert loaded_after(code) == ["matplotlib"]


def test_predict_with_onnx_imports_no_torch():
    code = ("import emotune.cli as cli\n"
            "cli.parser().parse_args(['predict', '--onnx', 'x', '--input', 'a.txt', '--output', 'b.jsonl'])\n"
            "import emotune.inference.onnx_scoring, emotune.inference.prediction_io, emotune.run.files")
    assert [m for m in loaded_after(code) if m != "pandas"] == []


def test_report_help_prints_usage():
    done = subprocess.run([sys.executable, "-m", "emotune.cli", "report", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: emotune report")
