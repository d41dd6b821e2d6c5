"""A mean-pooled token run exports as a Sentence Transformers folder: `SentenceTransformer(OUT)` loads it in a fresh
process without remote code, and `encode` gives the logits whose sigmoid is `emotune predict`'s probabilities."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import PROBE_TEXTS, TextRun, assert_close, exported_with_cli, predicted_rows

from emotune.export.sentence_transformer import export_sentence_transformer
from emotune.run.loader import load_run

ENCODE = """
import json, sys
import numpy as np
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1], device="cpu", trust_remote_code=False)
logits = model.encode(json.loads(sys.stdin.read()), batch_size=5, convert_to_numpy=True).astype(np.float64)
print(json.dumps({"logits": logits.tolist(), "probabilities": (1 / (1 + np.exp(-logits))).tolist(),
                  "modules": sorted({type(m).__name__ for m in model})}))
"""


@pytest.fixture(scope="module")
def exported(trained_text_run, tmp_path_factory) -> tuple[TextRun, Path]:
    run = trained_text_run("bert-mean")
    return run, exported_with_cli(run.path, tmp_path_factory.mktemp("st") / "st", "sentence-transformers")


def test_sentence_transformer_reproduces_predict_in_a_fresh_process(exported):
    run, out = exported
    done = subprocess.run([sys.executable, "-c", ENCODE, str(out)], input=json.dumps(PROBE_TEXTS),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["modules"] == ["Dense", "Pooling", "Transformer"]
    config = json.loads((out / "config.json").read_text())
    names = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    got = [dict(zip(names, row)) for row in result["probabilities"]]
    rows = predicted_rows("--run-dir", str(run.path))
    assert_close(got, [row["probabilities"] for row in rows], atol=1e-5)
    cuts = config["threshold_logits"]
    labels = [[n for n, z in zip(names, row) if z >= cuts[n]] for row in result["logits"]]
    assert labels == [row["labels"] for row in rows]


def test_the_folder_is_what_text_embeddings_inference_reads(exported):
    _, out = exported
    modules = json.loads((out / "modules.json").read_text())
    assert [m["type"] for m in modules] == [f"sentence_transformers.models.{name}"
                                            for name in ("Transformer", "Pooling", "Dense")]
    dense = json.loads((out / "2_Dense" / "config.json").read_text())
    assert dense["activation_function"] == "torch.nn.modules.linear.Identity" and dense["bias"] is True
    assert (out / "2_Dense" / "model.safetensors").is_file() and not list(out.rglob("*.bin"))
    assert json.loads((out / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"] is True
    assert not list(out.rglob("*.py"))  # nothing to trust: no remote code
    assert json.loads((out / "sentence_bert_config.json").read_text())["max_seq_length"] == 16
    assert (out / "README.md").is_file()


def test_a_run_the_format_cannot_hold_is_refused(trained_text_run, finished_run, tmp_path):
    with pytest.raises(ValueError, match="export it with --format hf"):
        export_sentence_transformer(load_run(trained_text_run("bert").path, accelerator="cpu"), tmp_path / "cls")
    with pytest.raises(ValueError, match=r"embedding-input run \(model=embedding\)"):
        export_sentence_transformer(load_run(finished_run), tmp_path / "embedding")
    assert not (tmp_path / "cls").exists() and not (tmp_path / "embedding").exists()
