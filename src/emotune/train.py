"""The training recipe: compose data, encoder and model from the config, fit, and leave a complete run dir."""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from emotune.atomic import ensure_writable_dir, write_json, write_text
from emotune.callbacks import RunSummary
from emotune.checkpoint_io import check_resume
from emotune.data import build_datamodule
from emotune.finalize import finalize_run
from emotune.model import build_classifier
from emotune.run_logging import log_config, log_results
from emotune.sampling.label_counts import write_label_counts

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict:
    """Returns the run's summary, as written to metrics.json."""
    L.seed_everything(cfg.seed, workers=True)
    run_dir = ensure_writable_dir(Path(cfg.paths.output_dir), "paths.output_dir")
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    train_counts = datamodule.train_counts()
    embedding_dim = getattr(datamodule, "embedding_dim", None)
    model = build_classifier(cfg, datamodule.train_label_stats(), embedding_dim)
    callbacks = [instantiate(c) for c in cfg.callbacks.values()]
    trainer: L.Trainer = instantiate(
        cfg.trainer, callbacks=callbacks, logger=[instantiate(c) for c in cfg.get("logger", {}).values()] or False
    )
    check_resume(model, cfg.callbacks.model_checkpoint.dirpath, cfg.get("ckpt_path"))

    # Data, labels, sampling and model are all checked by now: a bad input has left the run dir as it was.
    write_text(run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    datamodule.save_state(run_dir)
    write_label_counts(datamodule.label_names, train_counts, run_dir)
    write_json(run_dir / "run.json", {"data_hash": datamodule.data_hash(), "train_hash": datamodule.train_hash(),
                                        "seed": cfg.seed})
    log_config(trainer.loggers, cfg, train_counts)
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    summary = next(c for c in callbacks if isinstance(c, RunSummary)).summary()
    if not trainer.is_global_zero:
        return summary  # rank 0 alone tunes thresholds and exports
    if summary["best"] is None:
        raise RuntimeError(f"no validation ran, so {run_dir} has no best checkpoint: check trainer.limit_val_batches")
    finalize_run(trainer, model, datamodule, cfg, run_dir, embedding_dim)
    log_results(trainer.loggers, run_dir, summary, datamodule.label_names)
    log.info("Best %s = %.4f at epoch %s", summary["monitor"], summary["best"]["metrics"][summary["monitor"]],
             summary["best"]["epoch"])
    return summary
