"""The language model under the head: loading (quantization, LoRA), its tokenizer, and placement on devices.

`emotune.backbone.load_backbone` (the configs' and saved runs' `_target_`) resolves on first use, so importing
`placement` or `tokenizer` never loads peft and bitsandbytes."""

from __future__ import annotations

from typing import Any

__all__ = ["load_backbone"]


def __getattr__(name: str) -> Any:
    if name == "load_backbone":
        from emotune.backbone.loading import load_backbone

        return load_backbone
    raise AttributeError(f"module 'emotune.backbone' has no attribute {name!r}")
