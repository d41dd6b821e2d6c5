"""Builds the LightningModule from a composed config, for training and for reloading a run alike."""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from emotune.model.module import EmotionClassifier


def build_classifier(cfg: DictConfig, label_names: list[str], embedding_dim: int) -> EmotionClassifier:
    backbone = instantiate(cfg.backbone, quant=cfg.quant, lora=cfg.lora) if cfg.backbone else None
    net = instantiate(cfg.model.net, embedding_dim=embedding_dim, num_labels=len(label_names), backbone=backbone)
    rebuild: dict[str, Any] = {
        "config": OmegaConf.to_container(cfg, resolve=True),
        "embedding_dim": embedding_dim,
    }
    return EmotionClassifier(
        net=net,
        loss=instantiate(cfg.loss, label_names=label_names),
        label_names=label_names,
        optimizer=instantiate(cfg.optimizer),
        warmup_ratio=cfg.scheduler.warmup_ratio,
        threshold=cfg.model.threshold,
        rebuild=rebuild,
    )
