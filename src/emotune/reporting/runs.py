"""Reading finished run dirs, and checking that runs put side by side are comparable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass
class Run:
    path: Path
    overrides: list[str]
    best: dict[str, float]
    data_hash: str | None
    seed: int | None
    preferred: list[str]

    @classmethod
    def read(cls, path: Path) -> Run:
        summary_path = path / "metrics.json"
        if not summary_path.is_file():
            raise FileNotFoundError(f"{path}: no metrics.json; is it a finished training run dir?")
        summary = json.loads(summary_path.read_text())
        info_path, overrides_path = path / "run.json", path / ".hydra" / "overrides.yaml"
        info = json.loads(info_path.read_text()) if info_path.is_file() else {}
        overrides = yaml.safe_load(overrides_path.read_text()) if overrides_path.is_file() else []
        config_path = path / "config.yaml"
        config = yaml.safe_load(config_path.read_text()) if config_path.is_file() else {}
        return cls(path, overrides or [], summary["best"]["metrics"], info.get("data_hash"), info.get("seed"),
                   list(config.get("preferred_labels") or []))

    def label_names(self) -> list[str]:
        return [key.split("/", 2)[2] for key in self.best if key.startswith("val/f1/")]


def comparability_warnings(runs: list[Run]) -> list[str]:
    warnings = []
    hashes = {run.data_hash for run in runs}
    if len(hashes) > 1 or None in hashes:
        warnings.append("runs saw different data (data hashes differ or are missing): their scores are not comparable")
    seeds = {run.seed for run in runs}
    if len(seeds) > 1:
        warnings.append(f"runs use different seeds {sorted(s for s in seeds if s is not None)}: differences mix seed "
                        "noise with the effect of the overrides")
    return warnings
