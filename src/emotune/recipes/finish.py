"""After fitting: take the selected weights, fit the calibration and tune per-label thresholds on the selection
split, export the run, and report the report split."""

from __future__ import annotations

import logging
from dataclasses import replace

import lightning as L
import torch

from emotune.data.datamodule import EmotionDataModule
from emotune.evaluation.calibration import Calibration, fit_calibration
from emotune.inference.scoring import predict_logits
from emotune.model.module import EmotionClassifier
from emotune.recipes.evaluate import report_split
from emotune.run.checkpoint_io import read_checkpoint
from emotune.run.export import export_run
from emotune.run.loader import TrainedRun
from emotune.run.model_card import write_model_card
from emotune.run.record import RunRecord
from emotune.run.thresholds import threshold_split, thresholds_record, tune_thresholds

log = logging.getLogger(__name__)


def load_selected(trainer: L.Trainer, model: EmotionClassifier) -> None:
    """The best checkpoint when one was saved; otherwise (fast_dev_run, callbacks without a ModelCheckpoint, no
    validation) the weights in memory stay, and the log says so."""
    callback = trainer.checkpoint_callback
    best = callback.best_model_path if callback is not None else ""
    if best:
        model.load_trainable(read_checkpoint(best)["state_dict"], best)
        return
    why = ("fast_dev_run saves none" if trainer.fast_dev_run else "no ModelCheckpoint in callbacks"
           if callback is None else "no validation ran")
    log.warning("No best checkpoint (%s): thresholds and export use the weights in memory, from the last step", why)


def finish_run(trainer: L.Trainer, model: EmotionClassifier, datamodule: EmotionDataModule,
               record: RunRecord) -> TrainedRun:
    """The calibration and the thresholds are fitted on the selection split. The thresholds are tuned on the raw
    outputs, where the grid is fine enough for rare labels, and mapped through the calibration: it changes no
    decision. Then, with `report.after_fit`, the report split is scored with the weights, calibration and
    thresholds the run keeps, as `evaluate.py` would score it, and the model card is written from the record of
    what was saved. `record` holds what training has written so far."""
    load_selected(trainer, model)
    cfg, names, selection = record.cfg, datamodule.label_names, datamodule.roles.selection
    split = threshold_split(cfg.thresholds.tune_on, selection)
    method = cfg.model.calibration
    calibration, tuned = Calibration.identity(len(names)), None
    if trainer.fast_dev_run and (split or method):
        log.info("fast_dev_run: no calibration, and every label keeps model.threshold=%s", cfg.model.threshold)
        split = method = None
    if split or method:
        logits = predict_logits(model, datamodule.loader(selection), cfg.trainer.accelerator, cfg.trainer.precision)
        labels = datamodule.split(selection).labels
        if method:
            calibration = fit_calibration(logits.numpy(), labels, method, selection)
            log.info("Calibration (%s) fitted on %s: scale %s", method, selection,
                     ", ".join(f"{n} {a:.2f}" for n, a in zip(names, calibration.scale)))
        if split:
            tuned = tune_thresholds(torch.sigmoid(logits.double()).numpy(), labels, cfg.model.threshold)
            log.info("Per-label thresholds tuned on %s (raw outputs): %s", split,
                     ", ".join(f"{n} {t:.2f}" for n, t in zip(names, tuned)))
    shown = calibration.calibrated_thresholds(tuned) if method and tuned is not None else None
    thresholds = thresholds_record(names, cfg.model.threshold, tuned, split, shown)
    manifest = export_run(model, record.path, thresholds, calibration.record(names))
    record = replace(record, thresholds=thresholds, calibration=calibration.record(names), manifest=manifest)
    run = TrainedRun(record, model, "selected", thresholds, calibration, cfg.trainer.precision)
    if cfg.report.after_fit and not trainer.fast_dev_run:
        record.report = report_split(run, datamodule, datamodule.roles.report)
    write_model_card(record)
    return run
