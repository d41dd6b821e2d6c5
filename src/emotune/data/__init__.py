"""Rows and labels: GoEmotions and tables, label sets, the three split roles' rows, and the embedding and token
datamodules. The names below resolve on first use, so reading a table (`emotune predict --onnx`) loads no torch."""

from __future__ import annotations

from importlib import import_module
from typing import Any

EXPORTS = {"build_datamodule": "build", "DataFileError": "checksums", "EmotionDataModule": "datamodule",
           "EmbeddingDataModule": "embedding_datamodule", "GoEmotions": "goemotions", "LabelStats": "label_stats",
           "LabeledTexts": "labeled_texts", "LeakyReplayDataModule": "leaky_replay", "TableSource": "table",
           "TextDataModule": "text_datamodule"}
__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    if name in EXPORTS:
        return getattr(import_module(f"emotune.data.{EXPORTS[name]}"), name)
    raise AttributeError(f"module 'emotune.data' has no attribute {name!r}")
