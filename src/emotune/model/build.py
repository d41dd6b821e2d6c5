"""Builds the LightningModule from a composed config, for training and for reloading a run alike."""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from emotune.data.label_stats import LabelStats
from emotune.model.module import EmotionClassifier

NETS = {"embedding": "emotune.model.EmbeddingClassifierNet", "text": "emotune.model.TextClassifierNet"}


def build_classifier(cfg: DictConfig, labels: LabelStats, embedding_dim: int | None = None) -> EmotionClassifier:
    """`labels` are the train split's after resampling: the loss may weigh by them. `embedding_dim` is the
    input width for model=embedding and None for model=text."""
    expected = NETS.get(cfg.model.input)
    if cfg.model.net._target_ != expected:
        raise ValueError(f"model.input={cfg.model.input} does not match model.net ({cfg.model.net._target_}): switch "
                         "the input with the config group, model=embedding or model=text, which also sets the net "
                         "and the datamodule")
    backbone = instantiate(cfg.backbone, quant=cfg.quant, lora=cfg.lora) if cfg.backbone else None
    width = {"embedding_dim": embedding_dim} if cfg.model.input == "embedding" else {}
    net = instantiate(cfg.model.net, num_labels=len(labels.names), backbone=backbone, **width)
    rebuild: dict[str, Any] = {
        "config": OmegaConf.to_container(cfg, resolve=True),
        "embedding_dim": embedding_dim,
        "train_labels": labels.as_dict(),
    }
    return EmotionClassifier(
        net=net,
        loss=instantiate(cfg.loss, labels=labels),
        label_names=labels.names,
        optimizer=instantiate(cfg.optimizer),
        schedule=cfg.scheduler.name,
        warmup_ratio=cfg.scheduler.warmup_ratio,
        threshold=cfg.model.threshold,
        rebuild=rebuild,
    )
