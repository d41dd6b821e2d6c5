"""The training recipe: compose data, encoder and model from the config, fit, and leave a complete run dir."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from emotune.atomic import write_text
from emotune.model import build_classifier

log = logging.getLogger(__name__)


def train(cfg: DictConfig) -> dict:
    """Returns the contents of the run's metrics.json."""
    L.seed_everything(cfg.seed, workers=True)
    run_dir = Path(cfg.paths.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text(run_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))

    datamodule = instantiate(cfg.datamodule, source=instantiate(cfg.data), encoder=instantiate(cfg.encoder))
    datamodule.setup("fit")
    datamodule.save_encoder(run_dir / "encoder")
    model = build_classifier(cfg, datamodule.label_names, datamodule.embedding_dim)

    trainer: L.Trainer = instantiate(
        cfg.trainer,
        callbacks=[instantiate(c) for c in cfg.callbacks.values()],
        logger=[instantiate(c) for c in cfg.get("logger", {}).values()] or False,
    )
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    summary = json.loads((run_dir / "metrics.json").read_text())
    log.info("Best %s = %.4f at epoch %s", summary["monitor"], summary["best"]["metrics"][summary["monitor"]],
             summary["best"]["epoch"])
    return summary
