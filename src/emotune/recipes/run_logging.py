"""What every logger gets beyond the per-step metrics: the config, label counts, per-label results, plots."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.loggers import Logger, WandbLogger
from omegaconf import DictConfig, OmegaConf

from emotune.evaluation.metrics import PER_LABEL
from emotune.run.files import LABEL_COUNTS_PLOT


def log_config(loggers: list[Logger], cfg: DictConfig, train_counts: dict) -> None:
    config = OmegaConf.to_container(cfg, resolve=True)
    for logger in loggers:
        logger.log_hyperparams({**config, "train_label_counts": train_counts})


def log_results(loggers: list[Logger], run_dir: Path, summary: dict, label_names: list[str]) -> None:
    """W&B gets the per-label table (of the selected epoch, else the last) and the label-count chart; file loggers
    already have both in the run dir. W&B's summary would keep each metric's last value: it gets the selected
    epoch's instead, so a Bayes sweep optimises the metric of the weights the run keeps."""
    record = summary["best"] or summary["final"]
    best = record["metrics"] if record else {}
    rows = [[name, *(best.get(f"val/{metric}/{name}") for metric in PER_LABEL)] for name in label_names]
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.log_table("val/per_label", columns=["label", *PER_LABEL], data=rows)
            logger.log_image("train/label_counts", [str(run_dir / LABEL_COUNTS_PLOT)])
            if summary["best"] is not None:
                logger.experiment.summary.update({**best, "best_epoch": summary["best"]["epoch"]})
            logger.experiment.finish()  # closes the run, so the next run of a multirun starts its own
