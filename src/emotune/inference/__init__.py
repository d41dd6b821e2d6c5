"""Scoring texts with a trained run: one `Scorer` interface (`scorer`), in torch (`scoring.RunScorer`) or from an
ONNX export without torch (`onnx_scoring.OnnxScorer`), and the files `emotune predict` reads and writes.

`RunScorer` and `predict_logits` are importable from here, resolved on first use, so that `open_scorer` and the
ONNX scorer never load torch."""

from __future__ import annotations

from typing import Any

from emotune.inference.scorer import Scored, Scorer, decide, open_scorer

__all__ = ["RunScorer", "Scored", "Scorer", "decide", "open_scorer", "predict_logits"]


def __getattr__(name: str) -> Any:
    if name in ("RunScorer", "predict_logits"):
        from emotune.inference import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'emotune.inference' has no attribute {name!r}")
