"""Scoring texts with a trained run: in torch (`scoring`) or from an ONNX export without torch (`onnx_scoring`).

`emotune.inference.probabilities` and `predict_logits` stay importable from here, resolved on first use, so that
importing `emotune.inference.onnx_scoring` never loads torch."""

from __future__ import annotations

from typing import Any

__all__ = ["predict_logits", "probabilities"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from emotune.inference import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'emotune.inference' has no attribute {name!r}")
