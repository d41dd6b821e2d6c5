"""The training recipe: compose data, encoder and model from the config, fit, and leave a complete run dir."""

from __future__ import annotations

import gc
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import Callback, LearningRateMonitor, ModelCheckpoint
from omegaconf import DictConfig, OmegaConf

from emotune.callbacks import RunSummary
from emotune.data import build_datamodule
from emotune.data.datamodule import EmotionDataModule
from emotune.data.label_stats import LabelStats
from emotune.evaluation.calibration import check_method
from emotune.model import build_classifier
from emotune.recipes.finish import finish_run
from emotune.recipes.instantiate import instantiate_group
from emotune.recipes.preflight import selection_problems
from emotune.recipes.run_logging import log_config, log_results
from emotune.run.checkpoint_io import check_resume
from emotune.run.export import clear_finished
from emotune.run.files import CONFIG, LABEL_COUNTS, LABEL_COUNTS_PLOT, LABELS, METRICS, RUN_INFO, input_state_dir
from emotune.run.record import RunRecord, read_overrides
from emotune.run.summary import objective
from emotune.run.thresholds import threshold_split
from emotune.sampling.label_counts import write_label_counts
from emotune.utils.atomic import ensure_writable_dir, write_json, write_text

log = logging.getLogger(__name__)


def usable_callbacks(callbacks: list[Callback], loggers: list) -> list[Callback]:
    """LearningRateMonitor refuses to run without a logger, so `logger=none` leaves it out instead of failing."""
    if loggers:
        return callbacks
    kept = [c for c in callbacks if not isinstance(c, LearningRateMonitor)]
    if len(kept) < len(callbacks):
        log.info("No logger: LearningRateMonitor is left out")
    return kept


def checkpoint_dir(callbacks: list[Callback]) -> Path | None:
    found = [c for c in callbacks if isinstance(c, ModelCheckpoint)]
    return Path(found[0].dirpath) if found and found[0].dirpath else None


def run_summary(trainer: L.Trainer, callbacks: list[Callback]) -> dict:
    """The RunSummary callback's record (what metrics.json holds); without one, the last validation's metrics."""
    for callback in callbacks:
        if isinstance(callback, RunSummary):
            return callback.summary()
    final = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    return {"monitor": None, "best": None,
            "final": {"epoch": trainer.current_epoch, "step": trainer.global_step, "metrics": final} if final else None}


class RunStart(Callback):
    """Writes the run dir's start files and logs the config once the net is built and a resumed checkpoint, its
    optimizer state included, has been restored (Lightning does both before `on_train_start`): a bad resume leaves
    the run dir as it was."""

    def __init__(self, write: Callable[[], None]) -> None:
        self.write = write

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.is_global_zero:
            self.write()


def run_info(cfg: DictConfig, datamodule: EmotionDataModule) -> dict:
    """run.json: what the data was, which split plays which role, and what the model reads."""
    return {"data_hash": datamodule.data_hash(), "train_hash": datamodule.train_hash(), "seed": cfg.seed,
            "dataset": datamodule.source.dataset, "input": "tokens" if datamodule.reads_tokens else "embedding",
            "input_width": datamodule.input_width, "roles": datamodule.roles.as_dict(), "leaky": datamodule.leaky}


def write_run_start(run_dir: Path, cfg: DictConfig, datamodule: EmotionDataModule, labels: LabelStats,
                    train_counts: dict) -> None:
    """What rebuilds the model (config, train labels, input width) is written before fitting, so every
    checkpoint in the run dir can be loaded from the run dir's own files. An earlier run's export and evaluations
    in the same dir go first: they would not match the new config."""
    clear_finished(run_dir)
    write_text(run_dir / CONFIG, OmegaConf.to_yaml(cfg, resolve=True))
    write_json(run_dir / LABELS, labels.as_dict())
    write_json(run_dir / RUN_INFO, run_info(cfg, datamodule))
    datamodule.save_state(input_state_dir(run_dir, datamodule.reads_tokens))
    write_label_counts(datamodule.label_names, train_counts, run_dir / LABEL_COUNTS, run_dir / LABEL_COUNTS_PLOT)


def train(cfg: DictConfig) -> dict:
    """Returns the run's summary, as written to metrics.json. The model is freed before returning, so the next job
    of a Hydra multirun in this process does not load its backbone beside the previous one."""
    try:
        return fit_and_finalize(cfg)
    except BaseException as error:  # the traceback's frames would keep the model alive through a multirun
        traceback.clear_frames(error.__traceback__)
        raise
    finally:
        release_memory()


def release_memory() -> None:
    """Lightning's trainer and module refer to each other, so a fitted model outlives `train` until the cyclic
    collector runs: collect now, and hand the freed CUDA blocks back to the driver."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def fit_and_finalize(cfg: DictConfig) -> dict:
    problems = selection_problems(cfg)
    if problems:
        raise ValueError(problems[0])
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    log.info("torch threads: %d (torch_threads=%s)", torch.get_num_threads(), cfg.torch_threads)
    L.seed_everything(cfg.seed, workers=True)
    run_dir = ensure_writable_dir(Path(cfg.paths.output_dir), "paths.output_dir")
    loggers = instantiate_group(cfg.get("logger"), "logger")
    callbacks = usable_callbacks(instantiate_group(cfg.get("callbacks"), "callbacks"), loggers)
    trainer: L.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    datamodule = build_datamodule(cfg)
    threshold_split(cfg.thresholds.tune_on, datamodule.roles.selection)  # before any encoding, not after the fit
    check_method(cfg.model.calibration)
    datamodule.setup("fit")
    train_counts = datamodule.train_counts()
    labels = datamodule.train_label_stats()
    model = build_classifier(cfg, labels, datamodule.input_width)
    # One process loads the backbone now, before fit starts the loggers (a CSV logger clears its metrics file), so a
    # failed load leaves the run dir as it was; under DDP each rank loads it in fit, after launch
    # (EmotionClassifier.configure_model), and a resumed checkpoint is checked against a build without weights.
    if trainer.world_size == 1:
        model.configure_model()
    check_resume(model.planned_shapes, checkpoint_dir(callbacks), cfg.get("ckpt_path"))

    def start() -> None:
        write_run_start(run_dir, cfg, datamodule, labels, train_counts)
        log_config(trainer.loggers, cfg, train_counts)

    trainer.callbacks.append(RunStart(start))
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    summary = run_summary(trainer, callbacks)
    if not trainer.is_global_zero:
        return summary  # rank 0 alone tunes thresholds and exports
    summary = {**summary, "roles": datamodule.roles.as_dict(), "leaky": datamodule.leaky}
    write_json(run_dir / METRICS, summary)  # what RunSummary wrote, plus which split did what
    record = RunRecord(run_dir, cfg, run_info(cfg, datamodule), labels.as_dict(), summary,
                       overrides=read_overrides(run_dir))
    finish_run(trainer, model, datamodule, record)
    log_results(trainer.loggers, run_dir, summary, datamodule.label_names)
    if summary["best"] is not None:
        log.info("Best %s = %.4f at epoch %s (the validation loop runs on the selection split, %s)",
                 summary["monitor"], objective(summary), summary["best"]["epoch"], datamodule.roles.selection)
    return summary
