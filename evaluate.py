"""Evaluate a training run on its report split, or another: `python evaluate.py run_dir=DIR [split=val]`."""

from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

import emotune  # noqa: F401  (registers config resolvers)
from emotune.run.files import check_run_dir
from emotune.utils.errors import user_errors


def data_overrides(cfg: DictConfig) -> DictConfig:
    """Only the data.* keys given on the command line, with the values Hydra parsed for them."""
    out = OmegaConf.create({})
    for override in HydraConfig.get().overrides.task:
        key = override.split("=", 1)[0].lstrip("+~")
        if key.startswith("data."):
            OmegaConf.update(out, key.removeprefix("data."), OmegaConf.select(cfg, key), force_add=True)
    return out


@hydra.main(version_base="1.3", config_path="conf", config_name="evaluate")
def main(cfg: DictConfig) -> float:
    with user_errors("evaluate.py"):
        check_run_dir(Path(cfg.run_dir), cfg.checkpoint)
        from emotune.recipes.evaluate import evaluate  # after the check: importing the model code takes seconds

        return evaluate(Path(cfg.run_dir), cfg.split, cfg.checkpoint, data_overrides(cfg))["macro_f1"]


if __name__ == "__main__":
    main()
