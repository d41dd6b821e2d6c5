"""A token-input run exports to an ONNX folder that `emotune predict --onnx` scores with onnxruntime: within 1e-5 of
`emotune predict --run-dir` in float32, within 0.1 with int8 weights."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import PROBE_TEXTS, TextRun, assert_close, exported_with_cli, predicted

from emotune.cli import main
from emotune.export.onnx import export_onnx
from emotune.inference.onnx_scoring import OnnxScorer
from emotune.inference.scoring import RunScorer
from emotune.run.loader import load_run


def run_method(run: TextRun) -> str:
    return json.loads((run.path / "calibration.json").read_text())["method"]


# Measured: 0.0525 at most here, on the tiny Mistral run. Its network's own logits move by 0.03 at most under int8,
# but its temperature calibration multiplies them by up to 10.7 (a 64-wide model, barely trained), so the gap in
# probability is about ten times that. A broken quantization moves probabilities by tenths.
INT8_ATOL = 0.1


@pytest.fixture(scope="module", params=["bert", "mistral"])
def exported(request, trained_text_run, tmp_path_factory) -> tuple[TextRun, Path]:
    """A run of each family (Mistral's with LoRA, merged on export) and its float32 export through the CLI's own
    code, in this process: its scoring runs in a fresh one."""
    run = trained_text_run(request.param)
    return run, exported_with_cli(run.path, tmp_path_factory.mktemp(f"onnx-{request.param}") / "onnx", "onnx")


def test_predict_with_onnx_matches_the_run(exported):
    run, out = exported
    assert_close(predicted("--onnx", str(out)), run.expected, atol=1e-5)
    config = json.loads((out / "config.json").read_text())
    thresholds = json.loads((run.path / "thresholds.json").read_text())
    assert config["problem_type"] == "multi_label_classification"
    assert list(config["id2label"].values()) == list(config["label2id"]) == list(thresholds["per_label"])
    assert config["thresholds"] == pytest.approx(thresholds["per_label"])
    assert config["thresholds_tuned_on"] == thresholds["tuned_on"]
    assert config["onnx_quantization"] == {"weights": "float32"}
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 16
    assert (out / "README.md").read_text() == (run.path / "README.md").read_text()


def test_predict_with_onnx_runs_with_torch_unimportable(exported):
    """A deployment without torch: `None` in sys.modules makes `import torch` (and Lightning) fail, and makes
    transformers see no torch."""
    run, out = exported
    code = ("import sys\n"
            "for name in ('torch', 'lightning', 'pytorch_lightning'):\n"
            "    sys.modules[name] = None\n"
            "import emotune.cli\n"
            f"emotune.cli.main(['predict', '--onnx', {str(out)!r}, '--input', '-', '--output', '-'])\n")
    done = subprocess.run([sys.executable, "-c", code], input="\n".join(PROBE_TEXTS), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_close([json.loads(line)["probabilities"] for line in done.stdout.splitlines()], run.expected, atol=1e-5)


def test_after_an_export_the_loaded_run_scores_as_before(exported, tmp_path):
    """The export folds the calibration into the head; the run it loaded must not apply it a second time."""
    run, _ = exported
    loaded = load_run(run.path, accelerator="cpu")
    assert loaded.calibration.method  # the tiny runs are calibrated
    before = RunScorer(loaded).probabilities(PROBE_TEXTS)
    export_onnx(loaded, tmp_path / "again")
    assert loaded.calibration.method is None and (loaded.calibration.scale == 1).all()
    np.testing.assert_allclose(RunScorer(loaded).probabilities(PROBE_TEXTS), before, atol=1e-5)
    assert json.loads((tmp_path / "again" / "config.json").read_text())["calibration"]["method"] == run_method(run)


def test_int8_stays_close_and_is_smaller(exported, tmp_path):
    run, fp32 = exported
    out = export_onnx(load_run(run.path, accelerator="cpu"), tmp_path / "int8", quantize="int8")
    assert json.loads((out / "config.json").read_text())["onnx_quantization"]["weights"] == "int8"
    assert (out / "model.onnx").stat().st_size < 0.8 * (fp32 / "model.onnx").stat().st_size
    scorer = OnnxScorer(out)
    got = [dict(zip(scorer.label_names, map(float, row))) for row in scorer.probabilities(PROBE_TEXTS, batch_size=5)]
    assert_close(got, run.expected, atol=INT8_ATOL)


def test_a_mean_pooled_run_exports(trained_text_run, tmp_path):
    """No transformers class pools by the mean, but the graph is the run's own network."""
    run_dir = trained_text_run("bert-mean").path
    out = export_onnx(load_run(run_dir, accelerator="cpu"), tmp_path / "onnx")
    want = RunScorer(load_run(run_dir, accelerator="cpu")).probabilities(PROBE_TEXTS)
    np.testing.assert_allclose(OnnxScorer(out).probabilities(PROBE_TEXTS), want, atol=1e-5)
    card = (run_dir / "README.md").read_text()  # its model card offers the export that works
    assert "emotune export --run-dir DIR --format onnx" in card and "--format hf" not in card


def test_refusals_name_the_reason(finished_run, trained_text_run, tmp_path):
    with pytest.raises(ValueError, match=r"embedding-input run \(model=embedding\)"):
        export_onnx(load_run(finished_run), tmp_path / "embedding")
    assert not (tmp_path / "embedding").exists()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    run = load_run(trained_text_run("bert").path, accelerator="cpu")
    with pytest.raises(FileExistsError, match="already holds files"):
        export_onnx(run, taken)
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    run.cfg.quant = {"bnb_4bit_quant_type": "nf4"}
    with pytest.raises(ValueError, match="nf4 backbone, which no ONNX operator runs"):
        export_onnx(run, tmp_path / "nf4")


@pytest.mark.parametrize(("args", "message"), [
    (["export", "--run-dir", "r", "--format", "hf", "--output", "o", "--quantize", "int8"],
     "--quantize int8 applies to --format onnx only"),
    (["export", "--run-dir", "r", "--format", "onnx", "--output", "o", "--adapter"],
     "--adapter applies to --format hf only"),
    (["predict", "--onnx", "{empty}", "--input", "-", "--output", "-"], "model.onnx: not found"),
    (["predict", "--onnx", "{empty}", "--run-dir", "r", "--input", "-", "--output", "-"],
     "argument --run-dir: not allowed with argument --onnx"),
])
def test_wrong_arguments_fail_in_one_line(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([a.format(empty=tmp_path) for a in args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]
