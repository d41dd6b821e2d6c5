"""A run's summary (metrics.json) as the rest of the tooling reads it: the value sweepers optimise, and whether a
run dir already holds a finished run, so a relaunched grid can skip it. Nothing heavy is imported here."""

from __future__ import annotations

import logging
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from emotune.run.files import CONFIG, RUN_INFO
from emotune.run.record import RunRecord

log = logging.getLogger(__name__)


def objective(summary: dict) -> float | None:
    """The selected epoch's monitored metric, else the last val macro-F1 (None when no validation ran)."""
    if summary.get("best") is not None:
        return summary["best"]["metrics"][summary["monitor"]]
    return summary["final"]["metrics"].get("val/macro_f1") if summary.get("final") else None


def finished_summary(cfg: DictConfig) -> dict | None:
    """The summary of a finished run in this run dir with exactly this resolved config, else None."""
    run_dir = Path(cfg.paths.output_dir)
    if not all((run_dir / name).is_file() for name in (CONFIG, RUN_INFO)):
        return None
    run = RunRecord.read(run_dir)
    if not run.finished or OmegaConf.to_yaml(run.cfg) != OmegaConf.to_yaml(cfg, resolve=True):
        return None
    log.info("Skipping %s: it holds a finished run with this config (skip_finished=true)", run_dir)
    return run.summary
