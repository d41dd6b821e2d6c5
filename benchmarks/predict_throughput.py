"""Texts per second of a finished token-input run scored four ways, in one process, on GoEmotions val:

    python benchmarks/predict_throughput.py --run-dir outputs/minilm --data-dir ../shared/data/goemotions \
        --batch-size 64 --threads 2

(a) eager: emotune's own inference path (`emotune.inference.RunScorer`, Lightning's predict loop);
(b) pipeline: transformers' `pipeline("text-classification", top_k=None)` on the run's `emotune export --format hf`
    folder (missing, with the reason, for a run that does not export: pooling=mean);
(c) onnx fp32 and (d) onnx int8: `emotune export --format onnx [--quantize int8]`,
    scored by emotune.inference.onnx_scoring.
Each path scores a few texts untimed first (thread pools, first allocations), then the whole set once. torch and
onnxruntime get the same --threads. Val macro-F1 uses the run's thresholds, tuned on its selection split (printed:
it is an honest figure only when that split is not val), and max |Δprob| compares each path with eager.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf
from torchmetrics.classification import MultilabelF1Score

from emotune.export.hf import export_hf
from emotune.export.onnx import export_onnx
from emotune.inference.onnx_scoring import ONNX_MODEL, OnnxScorer
from emotune.inference.scoring import RunScorer
from emotune.run.loader import TrainedRun, load_run

WARMUP = 16  # texts


def pipeline_scorer(run_dir: Path, folder: Path, batch_size: int) -> Callable[[list[str]], np.ndarray] | str:
    """The pipeline path, or why there is none."""
    from transformers import pipeline

    try:
        export_hf(load_run(run_dir, accelerator="cpu"), folder)
    except ValueError as error:
        return str(error)
    classify = pipeline("text-classification", model=str(folder), top_k=None, batch_size=batch_size, device=-1)
    names = [classify.model.config.id2label[i] for i in range(classify.model.config.num_labels)]

    def score(texts: list[str]) -> np.ndarray:
        rows = [{s["label"]: s["score"] for s in row} for row in classify(texts, truncation=True)]
        return np.array([[row[name] for name in names] for row in rows])

    return score


def macro_f1(probs: np.ndarray, labels: np.ndarray, thresholds: np.ndarray) -> float:
    metric = MultilabelF1Score(num_labels=labels.shape[1], average="macro")
    return float(metric(torch.from_numpy(probs >= thresholds).float(), torch.from_numpy(labels).int()))


def timed(score: Callable[[list[str]], np.ndarray], texts: list[str]) -> tuple[float, np.ndarray]:
    score(texts[:WARMUP])
    start = time.perf_counter()
    probs = score(texts)
    return len(texts) / (time.perf_counter() - start), probs


def val_split(run: TrainedRun, data_dir: str, n: int | None) -> tuple[list[str], np.ndarray]:
    """Val as the run's datamodule reads it (its label set), from --data-dir."""
    split = run.datamodule(OmegaConf.merge(run.cfg.data, {"data_dir": data_dir})).split("val")
    return split.texts[:n], split.labels[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True, help="a finished model=text run")
    parser.add_argument("--data-dir", default="../shared/data/goemotions", help="a GoEmotions folder (dev.tsv)")
    parser.add_argument("--texts", type=int, default=None, help="the first N val rows (default: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run_dir = Path(args.run_dir)
    run = load_run(run_dir, accelerator="cpu")
    texts, labels = val_split(run, args.data_dir, args.texts)
    thresholds = run.threshold_vector(None)
    eager = RunScorer(run)
    paths: dict[str, Callable[[list[str]], np.ndarray]] = {
        "eager (emotune.inference)": lambda batch: eager.probabilities(batch, args.batch_size)}
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        piped = pipeline_scorer(run_dir, Path(tmp, "hf"), args.batch_size)
        if isinstance(piped, str):
            notes.append(f"no pipeline row: {piped}")
        else:
            paths["transformers pipeline (hf export)"] = piped
        for name, quantize in (("onnx fp32", None), ("onnx int8", "int8")):
            folder = export_onnx(load_run(run_dir, accelerator="cpu"), Path(tmp, name.replace(" ", "-")), quantize)
            notes.append(f"{name}: {(folder / ONNX_MODEL).stat().st_size / 2**20:.1f} MiB")
            scorer = OnnxScorer(folder, threads=args.threads)
            paths[name] = lambda batch, scorer=scorer: scorer.probabilities(batch, args.batch_size)
        results = {name: timed(score, texts) for name, score in paths.items()}
    eager = results["eager (emotune.inference)"][1]
    baseline_name = next((n for n in results if n.startswith("transformers")), "eager (emotune.inference)")
    baseline = results[baseline_name][0]
    print(f"{run_dir}: {len(texts)} val texts, batch size {args.batch_size}, {args.threads} threads, max_length "
          f"{run.cfg.datamodule.max_length}")
    tuned_on = run.thresholds.get("tuned_on")
    print(f"val macro-F1 below uses the run's thresholds, tuned on its selection split {tuned_on!r} (roles: "
          f"{run.roles})" + (": val chose them, so it is optimistic" if tuned_on == "val" else "") + ".")
    print(f"\n| path | texts/s | speed-up vs {baseline_name.split(' (')[0]} | val macro-F1 | max abs Δprob vs eager |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (rate, probs) in results.items():
        print(f"| {name} | {rate:.1f} | {rate / baseline:.2f}x | {macro_f1(probs, labels, thresholds):.4f} | "
              f"{np.abs(probs - eager).max():.2e} |")
    print("\n" + "\n".join(notes))


if __name__ == "__main__":
    main()
