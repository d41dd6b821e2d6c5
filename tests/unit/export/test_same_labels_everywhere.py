"""Every way to score a run gives the same labels for the same texts: `emotune predict`, `emotune serve` (run dir
and ONNX), and the hf (through transformers' `pipeline`), ONNX and Sentence Transformers exports."""

import json
import subprocess
import sys

import httpx
import numpy as np
import pytest
from helpers import PROBE_TEXTS, exported_with_cli, predicted_rows, running_server
from transformers import pipeline


def labels_of(scores: list[dict[str, float]], cuts: dict[str, float]) -> list[list[str]]:
    return [[name for name in cuts if row[name] >= cuts[name]] for row in scores]


def served_labels(*source: str) -> list[list[str]]:
    with running_server(*source) as url:
        response = httpx.post(f"{url}/predict", json={"texts": PROBE_TEXTS}, timeout=120, trust_env=False)
    assert response.status_code == 200, response.text
    return [row["labels"] for row in response.json()["predictions"]]


def pipeline_labels(folder) -> list[list[str]]:
    classify = pipeline("text-classification", model=str(folder), top_k=None, function_to_apply="sigmoid",
                        device="cpu")
    thresholds = json.loads((folder / "config.json").read_text())["thresholds"]
    return labels_of([{s["label"]: s["score"] for s in scores} for scores in classify(PROBE_TEXTS, truncation=True)],
                     thresholds)


def sentence_transformer_labels(folder) -> list[list[str]]:
    code = ("import json, sys\nfrom sentence_transformers import SentenceTransformer\n"
            "m = SentenceTransformer(sys.argv[1], device='cpu')\n"
            "print(json.dumps(m.encode(json.loads(sys.stdin.read())).tolist()))")
    done = subprocess.run([sys.executable, "-c", code, str(folder)], input=json.dumps(PROBE_TEXTS),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    config = json.loads((folder / "config.json").read_text())
    names = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    logits = np.array(json.loads(done.stdout.strip().splitlines()[-1]), dtype=np.float64)
    return labels_of([dict(zip(names, row)) for row in logits], config["threshold_logits"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bert", "bert-mean"])
def test_every_scoring_path_gives_the_same_labels(name, trained_text_run, tmp_path):
    run = trained_text_run(name)
    want = [row["labels"] for row in predicted_rows("--run-dir", str(run.path))]
    assert len({tuple(labels) for labels in want}) > 1  # texts get different labels, or the comparison says little
    onnx = exported_with_cli(run.path, tmp_path / "onnx", "onnx")
    got = {"serve --run-dir": served_labels("--run-dir", str(run.path)),
           "predict --onnx": [row["labels"] for row in predicted_rows("--onnx", str(onnx))],
           "serve --onnx": served_labels("--onnx", str(onnx))}
    if name == "bert-mean":
        got["sentence-transformers"] = sentence_transformer_labels(exported_with_cli(run.path, tmp_path / "st",
                                                                          "sentence-transformers"))
    else:
        got["pipeline (hf export)"] = pipeline_labels(exported_with_cli(run.path, tmp_path / "hf", "hf"))
    assert {path: labels for path, labels in got.items() if labels != want} == {}
