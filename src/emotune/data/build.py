"""One place that assembles the DataModule from a config, for training and evaluation alike."""

from __future__ import annotations

from hydra.utils import instantiate
from omegaconf import DictConfig

from emotune.data.datamodule import EmotionDataModule


def build_datamodule(cfg: DictConfig, data_cfg: DictConfig, encoder) -> EmotionDataModule:
    """`data_cfg` is separate so evaluation can point a run at other files; resampling only ever touches train."""
    return instantiate(
        cfg.datamodule, source=instantiate(data_cfg), encoder=encoder, sampling=instantiate(cfg.sampling)
    )
