"""Reading finished run dirs, and checking that runs put side by side are comparable."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from emotune.run.files import CONFIG, HYDRA_OVERRIDES, METRICS, PROBABILITIES, RUN_INFO, eval_dir, read_json


@dataclass
class Run:
    path: Path
    overrides: list[str]
    best: dict[str, float]
    data_hash: str | None
    seed: int | None
    preferred: list[str]
    roles: dict | None

    @classmethod
    def read(cls, path: Path) -> Run:
        if not (path / METRICS).is_file():
            raise FileNotFoundError(f"{path}: no {METRICS}; is it a finished training run dir?")
        summary = read_json(path, METRICS)
        overrides_path = path / HYDRA_OVERRIDES
        info = read_json(path, RUN_INFO) if (path / RUN_INFO).is_file() else {}
        overrides = yaml.safe_load(overrides_path.read_text()) if overrides_path.is_file() else []
        config = yaml.safe_load((path / CONFIG).read_text()) if (path / CONFIG).is_file() else {}
        record = summary["best"] or summary["final"] or {"metrics": {}}
        return cls(path, overrides or [], record["metrics"], info.get("data_hash"), info.get("seed"),
                   list(config.get("preferred_labels") or []), info.get("roles"))

    def report_dir(self) -> Path | None:
        """Where training scored the report split with the weights and thresholds it kept, if it did."""
        if not self.roles:
            return None
        folder = eval_dir(self.path, self.roles["report"])
        return folder if (folder / PROBABILITIES).is_file() else None

    def label_names(self) -> list[str]:
        return [key.split("/", 2)[2] for key in self.best if key.startswith("val/f1/")]


def comparability_warnings(runs: list[Run]) -> list[str]:
    warnings = []
    hashes = {run.data_hash for run in runs}
    if len(hashes) > 1 or None in hashes:
        warnings.append("runs saw different data (data hashes differ or are missing): their scores are not comparable")
    seeds = {run.seed for run in runs}
    if len(seeds) > 1 and not any(o.startswith("seed=") for run in runs for o in run.overrides):
        warnings.append(f"runs use different seeds {sorted(s for s in seeds if s is not None)}: differences mix seed "
                        "noise with the effect of the overrides")
    return warnings
