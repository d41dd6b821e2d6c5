"""Builds the LightningModule from a composed config, for training and for reloading a run alike."""

from __future__ import annotations

from functools import partial

from hydra.utils import get_class, instantiate
from omegaconf import DictConfig
from torch import nn

from emotune.backbone.placement import backbone_device_map
from emotune.data.label_stats import LabelStats
from emotune.model.module import EmotionClassifier


def build_net(cfg: DictConfig, labels: list[str], input_width: int | None, accelerator: str,
              weights: bool = True) -> nn.Module:
    """A net that reads tokens gets a backbone with the labels' classification head (see `load_backbone`) unless
    it pools the tokens itself; one that reads embeddings the bare model. `weights=False` builds the backbone's
    architecture alone."""
    backbone = None
    net_class = get_class(cfg.model.net._target_)
    classifies = input_width is None and net_class.classifies(cfg.model.net.get("pooling", "auto"))
    head = {"labels": labels} if classifies else {}
    if cfg.get("backbone") and weights:
        placement = backbone_device_map(accelerator, cfg.trainer.devices)
        backbone = instantiate(cfg.backbone, quant=cfg.quant, lora=cfg.lora, device_map=placement, **head)
    elif cfg.get("backbone"):
        backbone = instantiate(cfg.backbone, quant=None, lora=cfg.lora, weights=False, **head)
    width = {"embedding_dim": input_width} if input_width is not None else {}
    return instantiate(cfg.model.net, num_labels=len(labels), backbone=backbone, **width)


def build_classifier(cfg: DictConfig, labels: LabelStats, input_width: int | None,
                     accelerator: str | None = None) -> EmotionClassifier:
    """`labels` are the train split's after resampling: the loss may weigh by them. `input_width` is the
    embedding width the datamodule produces, None for tokens; it must suit what the net reads. The net, backbone
    included, is built by `configure_model` (Lightning calls it on each rank); the backbone is placed for
    `accelerator` (default: `trainer.accelerator`)."""
    net_class = get_class(cfg.model.net._target_)
    given = "embedding" if input_width is not None else "text"
    if net_class.input_kind != given:
        raise ValueError(f"model.net ({cfg.model.net._target_}) reads {net_class.input_kind} input but the datamodule "
                         f"gives {given}: switch the input with the model group (model=embedding or model=text), which "
                         "sets the net and the datamodule together")
    return EmotionClassifier(
        net=partial(build_net, cfg, list(labels.names), input_width, accelerator or cfg.trainer.accelerator),
        loss=instantiate(cfg.loss, labels=labels),
        label_names=labels.names,
        optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler),
        threshold=cfg.model.threshold,
        rebuild={"input_width": input_width, "train_labels": labels.as_dict()},
    )
