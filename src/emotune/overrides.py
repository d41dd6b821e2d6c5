"""Command-line spellings Hydra does not take but lightning-hydra-template users type."""

from __future__ import annotations

from pathlib import Path


def null_groups_as_deletions(argv: list[str], conf_dir: Path) -> list[str]:
    """`logger=null` and `callbacks=null` drop a config group, which Hydra spells `~logger`: Hydra refuses null as a
    group choice, so the template's debug moves would otherwise fail."""
    out = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        out.append(f"~{key}" if sep and value == "null" and (conf_dir / key).is_dir() else arg)
    return out
