"""What scores texts, whatever runs it: a trained run in torch (`scoring.RunScorer`) or an ONNX export with
onnxruntime (`onnx_scoring.OnnxScorer`). The CLI picks one with `open_scorer`; both batch texts the same way and
decide labels with the same rule: a label is on where the model's logit reaches the label's cut, the logit of its
tuned threshold (moved by any calibration folded into the head). Logits do not saturate as probabilities do near
0 and 1, so the decisions are those the thresholds were tuned to make, however steep the calibration. This module
imports no torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.special import expit


@dataclass(frozen=True)
class Scored:
    probabilities: np.ndarray  # (texts, labels) float64: calibrated unless a run was opened with calibrated=False
    labels: np.ndarray  # (texts, labels) bool

    def __len__(self) -> int:
        return len(self.probabilities)

    def __getitem__(self, rows: slice) -> Scored:
        return Scored(self.probabilities[rows], self.labels[rows])


@runtime_checkable
class Scorer(Protocol):
    """Probabilities in the order of `label_names`, and the thresholds that turn them into labels."""

    label_names: list[str]

    def thresholds(self, override: float | None = None) -> np.ndarray:
        """One threshold per label on `probabilities`, to read them by; `override` applies one value to every label."""
        ...

    def score(self, texts: list[str], batch_size: int = 64, override: float | None = None) -> Scored:
        """Probabilities and labels, in the order of `texts`. `override` decides every label by one threshold on the
        probabilities instead of the tuned cuts."""
        ...

    def probabilities(self, texts: list[str], batch_size: int = 64) -> np.ndarray: ...


def open_scorer(run_dir: str | Path | None = None, onnx: str | Path | None = None, calibrated: bool = True) -> Scorer:
    """A run dir loads the model in torch; an ONNX folder needs onnxruntime only. `calibrated=False` gives a run's
    raw sigmoid outputs (an ONNX export has its calibration folded into the head, so it has no such choice)."""
    if (run_dir is None) == (onnx is None):
        raise ValueError("give a run dir or an ONNX folder to score with, not both or neither")
    if onnx is not None:
        if not calibrated:
            raise ValueError("--uncalibrated applies to --run-dir only: an ONNX export has the calibration folded "
                             "into its head")
        from emotune.inference.onnx_scoring import OnnxScorer

        return OnnxScorer(onnx)
    from emotune.inference.scoring import RunScorer
    from emotune.run.loader import load_run

    return RunScorer(load_run(run_dir), calibrated)


def decide(values: np.ndarray, cuts: np.ndarray | float) -> np.ndarray:
    """The one labelling rule: a label is on where its value (a logit, or a probability for an override) reaches
    its cut."""
    return np.asarray(values) >= np.asarray(cuts)


def scored(logits: np.ndarray, shown: np.ndarray | None, cuts: np.ndarray, override: float | None) -> Scored:
    """`logits`: what the model gives, in float64; `shown`: the probabilities to report (the sigmoid of the logits
    when None); `cuts`: each label's cut on those logits."""
    shown = expit(logits) if shown is None else shown
    return Scored(shown, decide(shown, override) if override is not None else decide(logits, cuts))


def check_texts(texts: list[str]) -> None:
    if not texts:
        raise ValueError("nothing to score: the input holds no texts")


def length_order(texts: list[str]) -> np.ndarray:
    """Texts of similar length batched together pad little; `in_input_order` puts the rows back."""
    return np.argsort([len(text) for text in texts], kind="stable")


def in_input_order(rows, order: np.ndarray):
    """Rows scored in `order` (a numpy array or a torch tensor), back in the order of the input texts."""
    return rows[np.argsort(order)]
