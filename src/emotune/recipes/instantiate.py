"""Callbacks and loggers from their config groups, filtered as lightning-hydra-template does it: a group set to
null, or an entry without `_target_` (e.g. `callbacks.lr_monitor=null`), is simply left out."""

from __future__ import annotations

import logging

from hydra.utils import instantiate
from omegaconf import DictConfig

log = logging.getLogger(__name__)


def instantiate_group(group: DictConfig | None, key: str) -> list:
    if not group:
        log.info("%s is empty: none are used", key)
        return []
    if not isinstance(group, DictConfig):
        raise TypeError(f"{key}: expected a mapping of name -> {{_target_: ...}}, got {type(group).__name__}")
    return [instantiate(entry) for entry in group.values() if isinstance(entry, DictConfig) and "_target_" in entry]
