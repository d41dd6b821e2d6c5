"""The exported run dir: a PEFT adapter anyone can load, and `emotune predict` in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
from helpers import compose_train, keyword_rows
from peft import PeftModel
from safetensors.torch import load_file
from torch.utils.data import DataLoader
from transformers import AutoModel

from emotune.inference.scoring import RunScorer
from emotune.recipes.evaluate import evaluate
from emotune.recipes.train import train
from emotune.run.loader import load_run

TEXTS = [text for text, _ in keyword_rows(30, seed=7)]


def emotune(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emotune.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=300, env={**os.environ})


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_mistral) -> Path:
    tmp_path = tmp_path_factory.mktemp("export")
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(300)))
    cfg = compose_train(tmp_path, [f"data.train_file={data}", "data=table", "encoder.dim=16", "encoder.min_df=1",
                                   f"backbone.name_or_path={tiny_mistral}", "lora.r=4", "trainer=cpu",
                                   "trainer.max_epochs=2", "optimizer.lr=3e-3", "datamodule.batch_size=32"])
    train(cfg)
    return Path(cfg.paths.output_dir)


def test_run_dir_is_self_contained(lora_run):
    for name in ("config.yaml", "labels.json", "thresholds.json", "head.safetensors", "export.json",
                 "adapter/adapter_config.json", "adapter/adapter_model.safetensors", "encoder/lsa.safetensors"):
        assert (lora_run / name).is_file(), name
    head = load_file(str(lora_run / "head.safetensors"))
    assert head and all(k.startswith(("net.projection.", "net.norm.", "net.head.")) for k in head)


def test_adapter_loads_with_peft(lora_run, tiny_mistral):
    base = AutoModel.from_pretrained(tiny_mistral, dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(base, lora_run / "adapter")
    saved = load_file(str(lora_run / "adapter" / "adapter_model.safetensors"))
    loaded = {k: v for k, v in peft_model.state_dict().items() if "lora_" in k}
    assert len(saved) == len(loaded) > 0
    assert any(v.abs().sum() > 0 for k, v in saved.items() if "lora_B" in k)  # trained, not the zero init


@pytest.mark.slow
def test_fresh_process_reproduces_the_checkpoint_probabilities(lora_run, tmp_path):
    run = load_run(lora_run, "best")  # the training checkpoint, not the export
    model = run.model
    inputs = RunScorer(run).inputs  # the run's own encoder, batched here by hand rather than by the scorer
    with torch.no_grad():
        logits = torch.cat([model(x).float() for x, in DataLoader(inputs.dataset(TEXTS), batch_size=3)])
    expected = run.calibration.probabilities(logits)
    assert run.calibration.method == run.cfg.model.calibration and run.calibration.fitted_on == run.roles["selection"]
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(TEXTS) + "\n")
    output = tmp_path / "o.jsonl"
    result = emotune("predict", "--run-dir", str(lora_run), "--input", str(source), "--output", str(output))
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [r["text"] for r in rows] == TEXTS
    got = torch.tensor([[r["probabilities"][n] for n in model.label_names] for r in rows], dtype=torch.float64)
    assert torch.allclose(got, expected, atol=1e-6)
    tuned = json.loads((lora_run / "thresholds.json").read_text())["per_label"]
    assert tuned and set(tuned) == set(model.label_names)
    for row in rows:  # predict applies the per-label thresholds tuned after training
        assert row["labels"] == [n for n, p in row["probabilities"].items() if p >= tuned[n]]
    result = emotune("predict", "--run-dir", str(lora_run), "--input", str(source), "--output", "-", "--uncalibrated")
    assert result.returncode == 0, result.stderr[-2000:]
    raw = [json.loads(line) for line in result.stdout.splitlines()]
    got = torch.tensor([[r["probabilities"][n] for n in model.label_names] for r in raw], dtype=torch.float64)
    assert torch.allclose(got, torch.sigmoid(logits.double()), atol=1e-6)
    assert not torch.allclose(got, expected, atol=1e-3)
    assert [r["labels"] for r in raw] == [r["labels"] for r in rows]  # the thresholds follow the outputs


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_predict_reads_a_column_and_writes_csv(lora_run, tmp_path, fmt):
    source = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        pd.DataFrame({"id": range(5), "body": TEXTS[:5]}).to_csv(source, index=False)
    else:
        source.write_text("".join(json.dumps({"body": t}) + "\n" for t in TEXTS[:5]))
    out = tmp_path / "out.csv"
    result = emotune("predict", "--run-dir", str(lora_run), "--input", str(source), "--output", str(out),
                     "--text-column", "body", "--threshold", "0.3")
    assert result.returncode == 0, result.stderr[-2000:]
    frame = pd.read_csv(out, keep_default_na=False)
    assert frame["text"].tolist() == TEXTS[:5] and {"joy", "anger", "sadness"} <= set(frame.columns)
    assert all(set(filter(None, row["labels"].split("|"))) == {n for n in ("anger", "joy", "sadness") if row[n] >= 0.3}
               for _, row in frame.iterrows())


def test_predict_from_stdin_to_stdout(lora_run):
    result = emotune("predict", "--run-dir", str(lora_run), "--input", "-", "--output", "-",
                     stdin="sunshine and the\n\nfurious tears\n")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["text"]) for r in rows] == [(1, "sunshine and the"), (3, "furious tears")]


def test_incomplete_run_dir_and_bad_input_get_clear_errors(lora_run, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.yaml", "labels.json", "export.json"):
        (broken / name).write_bytes((lora_run / name).read_bytes())
    result = emotune("predict", "--run-dir", str(broken), "--input", "-", "--output", "-", stdin="text\n")
    assert result.returncode == 2
    assert "is not a usable training run dir: missing run.json, thresholds.json, head.safetensors" in result.stderr
    result = emotune("predict", "--run-dir", str(lora_run), "--input", "-", "--output", "-", stdin="\n  \n")
    assert result.returncode == 2 and "no texts to score" in result.stderr
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    result = emotune("predict", "--run-dir", str(lora_run), "--input", str(latin), "--output", "-")
    assert result.returncode == 2 and "latin.txt: not UTF-8 (byte 3)" in result.stderr


def test_text_mode_run_exports_its_tokenizer_and_predicts(tmp_path, small_table_overrides, tiny_family):
    cfg = compose_train(tmp_path, small_table_overrides + [
        "model=text", f"backbone.name_or_path={tiny_family('bert')}", "quant=none", "lora=none", "trainer=cpu",
        "trainer.max_epochs=1", "datamodule.max_length=16"])
    train(cfg)
    run_dir = Path(cfg.paths.output_dir)
    assert (run_dir / "tokenizer" / "tokenizer.json").is_file() and not (run_dir / "adapter").exists()
    assert any(k.startswith("net.backbone.") for k in load_file(str(run_dir / "head.safetensors")))
    result = emotune("predict", "--run-dir", str(run_dir), "--input", "-", "--output", "-", stdin="tears\n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert set(json.loads(result.stdout)["probabilities"]) == {"anger", "joy", "sadness"}
    report = evaluate(run_dir, "test")
    assert report["n_rows"] == 40 and report["thresholds_tuned_on"] == "val"
    assert (run_dir / "eval_test" / "per_class.csv").is_file()
