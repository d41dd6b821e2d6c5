"""Command-line spellings Hydra does not take but lightning-hydra-template users type."""

from __future__ import annotations

DROPPABLE = ("logger", "callbacks")


def null_groups_as_deletions(argv: list[str]) -> list[str]:
    """`logger=null` and `callbacks=null` drop the group, which Hydra spells `~logger`: Hydra refuses null as a
    group choice, so the template's debug moves would otherwise fail. Other groups are required and keep
    Hydra's own error."""
    return [f"~{arg.split('=', 1)[0]}" if arg in {f"{group}=null" for group in DROPPABLE} else arg for arg in argv]
