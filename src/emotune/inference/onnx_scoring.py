"""Scoring an `emotune export --format onnx` folder with onnxruntime on CPU, without emotune's model code: a
deployment needs onnxruntime, numpy and transformers (for the folder's tokenizer), not torch."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
from scipy.special import logit

from emotune.inference.scorer import Scored, check_texts, in_input_order, length_order, scored

ONNX_MODEL, ONNX_CONFIG = "model.onnx", "config.json"
INPUTS, OUTPUT = ("input_ids", "attention_mask"), "logits"  # the names optimum's ORTModelForSequenceClassification uses


def check_installed(*modules: str) -> None:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise ImportError(f"{', '.join(missing)} not installed: ONNX export and scoring need emotune's onnx extra "
                          "(pip install -e '.[onnx]')")


def read_config(folder: Path) -> dict:
    for name in (ONNX_MODEL, ONNX_CONFIG):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name}: not found; is {folder} a folder that "
                                    "`emotune export --format onnx` wrote?")
    path = folder / ONNX_CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from error
    missing = [key for key in ("id2label", "thresholds") if key not in config]
    if missing:
        raise ValueError(f"{path}: no '{missing[0]}' key; re-export the run with emotune export --format onnx")
    return config


class OnnxScorer:
    """A `Scorer` for an ONNX export. The folder's tokenizer pads each batch to its longest row and truncates to its
    `model_max_length` (the run's datamodule.max_length), as training encoded texts."""

    def __init__(self, folder: str | Path, threads: int | None = None) -> None:
        check_installed("onnxruntime")
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.folder = Path(folder)
        config = read_config(self.folder)
        self.label_names = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        self.tuned = np.array([float(config["thresholds"][name]) for name in self.label_names])
        cuts = config.get("threshold_logits")  # exports from before it was written: the thresholds' logits
        self.cuts = (np.array([float(cuts[name]) for name in self.label_names]) if cuts
                     else logit(np.clip(self.tuned, 1e-12, 1 - 1e-12)))
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(self.folder / ONNX_MODEL), options,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.folder))

    def thresholds(self, override: float | None = None) -> np.ndarray:
        return self.tuned if override is None else np.full(len(self.label_names), override)

    def logits(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Batches of texts of similar length, in the order of `texts`."""
        order = length_order(texts)
        batches = []
        for start in range(0, len(texts), batch_size):
            encoded = self.tokenizer([texts[i] for i in order[start:start + batch_size]], padding=True,
                                     truncation=True, return_tensors="np")
            feed = {name: encoded[name].astype(np.int64) for name in INPUTS}
            batches.append(self.session.run([OUTPUT], feed)[0])
        return in_input_order(np.concatenate(batches), order)

    def score(self, texts: list[str], batch_size: int = 64, override: float | None = None) -> Scored:
        check_texts(texts)
        return scored(self.logits(texts, batch_size).astype(np.float64), None, self.cuts, override)

    def probabilities(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """(n_texts, n_labels) sigmoid probabilities in float64, in the order of `texts`."""
        return self.score(texts, batch_size).probabilities
