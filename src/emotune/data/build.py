"""One place that assembles the DataModule from a config, for training and evaluation alike."""

from __future__ import annotations

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig

from emotune.data.checksums import DataFileError
from emotune.data.datamodule import EmotionDataModule


def build_datamodule(cfg: DictConfig, data_cfg: DictConfig | None = None) -> EmotionDataModule:
    """`data_cfg` lets evaluation point a run at other files; resampling only ever touches train."""
    try:
        source = instantiate(data_cfg or cfg.data)
    except InstantiationException as err:
        if isinstance(err.__cause__, DataFileError):  # the file and row matter, not Hydra's wrapper
            raise err.__cause__ from None
        raise
    return instantiate(cfg.datamodule, source=source, sampling=instantiate(cfg.sampling))
