"""A token-input run exports to a folder that transformers' own classes and `pipeline` load in a fresh process, with
the probabilities `emotune predict` gives."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PROBE_TEXTS, assert_close, compose_train, emotune_cli

from emotune.export.hf import export_hf
from emotune.recipes.train import train
from emotune.run.loader import load_run

TEXTS = PROBE_TEXTS


def python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module", params=["bert", "mistral"])
def text_run(request, trained_text_run) -> tuple[str, Path, list[dict[str, float]]]:
    """A trained run of each family, with what `emotune predict` (in a fresh process) gives for TEXTS."""
    run = trained_text_run(request.param)
    return request.param, run.path, run.expected


@pytest.mark.slow
def test_pipeline_on_the_export_matches_emotune_predict(text_run, tmp_path):
    family, run_dir, expected = text_run
    out = tmp_path / "hf"
    done = emotune_cli("export", "--run-dir", str(run_dir), "--format", "hf", "--output", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    described, scored = python(
        "import json\nfrom transformers import AutoModelForSequenceClassification, pipeline\n"
        f"model = AutoModelForSequenceClassification.from_pretrained({str(out)!r})\n"
        "print(json.dumps({'class': type(model).__name__, 'problem': model.config.problem_type,\n"
        "                  'labels': list(model.config.id2label.values()), 'thresholds': model.config.thresholds}))\n"
        f"scores = pipeline('text-classification', model={str(out)!r}, top_k=None)({TEXTS!r})\n"
        "print(json.dumps([{s['label']: s['score'] for s in row} for row in scores]))").splitlines()[-2:]
    loaded, thresholds = json.loads(described), json.loads((run_dir / "thresholds.json").read_text())
    assert loaded["class"].endswith("ForSequenceClassification")
    assert loaded["problem"] == "multi_label_classification"
    assert loaded["labels"] == list(thresholds["per_label"]) == list(loaded["thresholds"])
    assert list(loaded["thresholds"].values()) == pytest.approx(list(thresholds["per_label"].values()))
    assert_close(json.loads(scored), expected)
    assert (out / "tokenizer_config.json").is_file()
    assert "emotune export --run-dir DIR --format hf" in (out / "README.md").read_text()  # the run's card came along


def test_the_adapter_loads_with_auto_peft(text_run, tmp_path):
    family, run_dir, expected = text_run
    if family != "mistral":
        pytest.skip("a full fine-tune has no adapter")
    out = export_hf(load_run(run_dir, accelerator="cpu"), tmp_path / "adapter", merge=False)
    scores = json.loads(python(
        "import json, torch\nfrom peft import AutoPeftModelForSequenceClassification\n"
        "from transformers import AutoConfig, AutoTokenizer\n"
        f"config = AutoConfig.from_pretrained({str(out)!r})\n"
        f"model = AutoPeftModelForSequenceClassification.from_pretrained({str(out)!r}, id2label=config.id2label, "
        "label2id=config.label2id, problem_type=config.problem_type, pad_token_id=config.pad_token_id).eval()\n"
        f"tokenizer = AutoTokenizer.from_pretrained({str(out)!r})\n"
        "labels = model.config.id2label\n"
        f"rows = []\nfor text in {TEXTS!r}:\n"
        "    with torch.no_grad():\n"
        "        probs = torch.sigmoid(model(**tokenizer(text, return_tensors='pt')).logits)[0]\n"
        "    rows.append({labels[i]: float(p) for i, p in enumerate(probs)})\n"
        "print(json.dumps(rows))"))
    assert_close(scores, expected)


def test_an_embedding_run_says_what_it_holds_instead(finished_run, tmp_path):
    with pytest.raises(ValueError, match=r"embedding-input run \(model=embedding\).*score with emotune predict"):
        export_hf(load_run(finished_run), tmp_path / "hf")
    assert not (tmp_path / "hf").exists()


def test_an_nf4_run_exports_as_an_adapter_not_merged(tmp_path, small_table_overrides, tiny_mistral):
    """Requantizing merged weights would round most of LoRA's update away."""
    cfg = compose_train(tmp_path, small_table_overrides + [
        "model=text", "trainer=cpu", f"backbone.name_or_path={tiny_mistral}", "quant=nf4", "lora.r=4",
        "lora.target_modules=null", "datamodule.max_length=16", "debug=fdr"])
    train(cfg)
    run = load_run(cfg.paths.output_dir, accelerator="cpu")
    with pytest.raises(ValueError, match="nf4 backbone: merging LoRA into 4-bit weights rounds .* --adapter"):
        export_hf(run, tmp_path / "merged")
    assert (export_hf(run, tmp_path / "adapter", merge=False) / "adapter_model.safetensors").is_file()
