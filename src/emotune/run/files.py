"""The files of a run dir, by name, and the check that a run dir holds what a use of it needs.

Reading these needs nothing heavy, so entry points can refuse a wrong run dir before importing the model."""

from __future__ import annotations

import json
from pathlib import Path

CONFIG, LABELS, RUN_INFO = "config.yaml", "labels.json", "run.json"  # written when training starts
THRESHOLDS, MANIFEST, HEAD = "thresholds.json", "export.json", "head.safetensors"  # written when it finishes
CALIBRATION = "calibration.json"  # written when it finishes; a run without one reports raw sigmoid outputs
METRICS = "metrics.json"  # the best and final validation metrics; in eval_<split>/, that split's report
PER_CLASS, REPORT = "per_class.csv", "report.md"  # in eval_<split>/
LABEL_COUNTS, LABEL_COUNTS_PLOT = "label_counts.csv", "label_counts.png"  # train positives before/after resampling
MODEL_CARD = "README.md"  # the hub-style model card, written last
HYDRA_OVERRIDES = Path(".hydra", "overrides.yaml")  # Hydra's record of a train.py command line
# in eval_<split>/, for ablation statistics: calibrated probabilities (tuned thresholds), raw sigmoid outputs (fixed)
PROBABILITIES, RAW_PROBABILITIES, TRUTH = "probabilities.npy", "raw_probabilities.npy", "labels.npy"
ADAPTER = "adapter"
ENCODER, TOKENIZER = "encoder", "tokenizer"  # the input's state, saved by the datamodule: a fitted encoder, a tokenizer
ADAPTER_WEIGHTS = f"{ADAPTER}/adapter_model.safetensors"
WEIGHTS = ("export", "best", "last")


def input_state_dir(run_dir: Path, tokens: bool) -> Path:
    """The folder a datamodule saves what turns raw text into model input into: its tokenizer or its encoder."""
    return Path(run_dir) / (TOKENIZER if tokens else ENCODER)


def eval_dir(run_dir: Path, split: str) -> Path:
    """Where a split's report lives: written by training for its report split, and by evaluate.py."""
    return Path(run_dir) / f"eval_{split}"


def eval_dirs(run_dir: Path) -> list[Path]:
    return sorted(path for path in Path(run_dir).glob("eval_*") if path.is_dir())


def checkpoint_file(run_dir: Path, weights: str) -> Path:
    return Path(run_dir) / "checkpoints" / f"{weights}.ckpt"


def read_json(run_dir: Path, name: str) -> dict:
    path = Path(run_dir) / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}); was it edited?") from error


def required_files(run_dir: Path, weights: str) -> list[str]:
    """`export` is what `emotune predict` uses (safetensors only); `best` and `last` are training checkpoints."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights={weights!r}: expected one of {WEIGHTS}")
    if weights != "export":
        return [CONFIG, LABELS, RUN_INFO, str(checkpoint_file(Path(), weights))]
    names = [CONFIG, LABELS, RUN_INFO, MANIFEST, THRESHOLDS, HEAD]
    if (run_dir / MANIFEST).is_file() and read_json(run_dir, MANIFEST).get("adapter"):
        names.append(ADAPTER_WEIGHTS)
    return names


def check_run_dir(run_dir: Path, weights: str = "export") -> None:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: no such run dir")
    missing = [name for name in required_files(run_dir, weights) if not (run_dir / name).is_file()]
    if missing:
        when = "when training finishes" if weights == "export" else "as training goes"
        hint = ""
        if weights != "export" and not (run_dir / "checkpoints").is_dir() and (run_dir / HEAD).is_file():
            hint = "; this run kept no checkpoints (debug or callbacks=none): use checkpoint=export"
        raise FileNotFoundError(f"{run_dir} is not a usable training run dir: missing {', '.join(missing)} "
                                f"(written {when}){hint}")
