"""Model names are either hub ids or local folders; the preflight and the model card tell them apart the same way."""

from __future__ import annotations

from pathlib import Path


def looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or Path(name).expanduser().exists()
