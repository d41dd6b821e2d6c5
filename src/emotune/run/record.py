"""A run dir as data: what training wrote, read once and without torch, for everything that reads runs (the
model card, compare, the sweep and ablation reports, `skip_finished`, and `load_run` beneath the model). Training
builds the same object in memory when it finishes, so the card it writes quotes exactly what it saved."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf

from emotune.evaluation.protocol import Protocol
from emotune.run.files import (
    CALIBRATION,
    CONFIG,
    HEAD,
    HYDRA_OVERRIDES,
    LABELS,
    MANIFEST,
    METRICS,
    RUN_INFO,
    THRESHOLDS,
    eval_dir,
    read_json,
)


def read_overrides(run_dir: Path) -> list[str] | None:
    """The command line Hydra recorded when it started the run; None when train.py did not start it."""
    path = Path(run_dir) / HYDRA_OVERRIDES
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.is_file() else None


@dataclass
class RunRecord:
    path: Path
    cfg: DictConfig
    info: dict  # run.json: data and train hashes, seed, input width, roles, leaky
    labels: dict | None = None  # labels.json: names and train counts
    summary: dict | None = None  # metrics.json: the monitor, the best and the final validation metrics
    thresholds: dict | None = None  # thresholds.json
    calibration: dict | None = None  # calibration.json; None for raw sigmoid outputs
    manifest: dict | None = None  # export.json
    overrides: list[str] | None = None  # Hydra's record of the command line; None when train.py did not start it
    report: dict | None = None  # eval_<report split>/metrics.json, when the report split was scored

    @classmethod
    def read(cls, run_dir: str | Path) -> RunRecord:
        """Needs the files written when training starts (config.yaml, run.json); the rest is read when present.
        Training clears an earlier run's export and evaluations from the dir when it starts, so what is found
        here belongs to this run."""
        path = Path(run_dir)
        for name in (CONFIG, RUN_INFO):
            if not (path / name).is_file():
                raise FileNotFoundError(f"{path}: no {name}; is it a training run dir?")

        def optional(name: str, folder: Path = path) -> dict | None:
            return read_json(folder, name) if (folder / name).is_file() else None

        info = read_json(path, RUN_INFO)
        report = None
        if info.get("roles"):
            report = optional(METRICS, eval_dir(path, info["roles"]["report"]))
        return cls(path, OmegaConf.load(path / CONFIG), info, optional(LABELS), optional(METRICS),
                   optional(THRESHOLDS), optional(CALIBRATION), optional(MANIFEST), read_overrides(path), report)

    @property
    def roles(self) -> dict | None:
        return self.info.get("roles")

    @property
    def seed(self) -> int | None:
        return self.info.get("seed")

    @property
    def data_hash(self) -> str | None:
        return self.info.get("data_hash")

    @property
    def leaky(self) -> bool:
        """The leaky audit replay: its numbers are comparable to nothing."""
        return bool(self.info.get("leaky"))

    @property
    def adapter(self) -> bool:
        return bool((self.manifest or {}).get("adapter"))

    @property
    def calibration_method(self) -> str | None:
        return (self.calibration or {}).get("method")

    @property
    def finished(self) -> bool:
        """Training wrote its summary and its export."""
        return self.summary is not None and (self.path / HEAD).is_file()

    @property
    def best(self) -> dict[str, float]:
        """The selected epoch's validation metrics (the last epoch's without a selection)."""
        record = (self.summary or {}).get("best") or (self.summary or {}).get("final") or {"metrics": {}}
        return record["metrics"]

    @property
    def label_names(self) -> list[str]:
        if self.labels is not None:
            return list(self.labels["names"])
        return [key.split("/", 2)[2] for key in self.best if key.startswith("val/f1/")]

    @property
    def preferred(self) -> list[str]:
        return list(self.cfg.get("preferred_labels") or [])

    def report_dir(self) -> Path | None:
        """Where the report split was scored with the weights and thresholds the run kept, if it was."""
        return eval_dir(self.path, self.report["split"]) if self.report else None

    def headline(self) -> dict:
        """The number to quote and what it means, as `emotune serve`'s /info and the exports' config.json say it:
        the report split's macro-F1 and its protocol sentence."""
        if self.report is None:
            return {"headline": f"the report split {(self.roles or {}).get('report')} was not scored", "protocol": None}
        protocol = Protocol.of(self.report)
        return {"headline": f"macro-F1 {self.report['macro_f1']:.4f} on {self.report['split']}",
                "protocol": protocol.sentence() if protocol else None}
