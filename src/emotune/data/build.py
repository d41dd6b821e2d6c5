"""One place that assembles the DataModule from a config, for training and evaluation alike."""

from __future__ import annotations

from hydra.utils import instantiate
from omegaconf import DictConfig

from emotune.data.datamodule import EmotionDataModule


def build_datamodule(cfg: DictConfig, data_cfg: DictConfig | None = None, source=None) -> EmotionDataModule:
    """`data_cfg` lets evaluation point a run at other files, `source` lets prediction hand over texts;
    resampling only ever touches train."""
    source = source if source is not None else instantiate(data_cfg or cfg.data)
    return instantiate(cfg.datamodule, source=source, sampling=instantiate(cfg.sampling))
