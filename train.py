"""Train an emotion classifier: `python train.py experiment=quickstart loss.gamma=2 lora.r=16`."""

import hydra
from omegaconf import DictConfig

import emotune  # noqa: F401  (registers config resolvers)
from emotune.train import train


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float:
    """Returns best val macro-F1, the value Hydra sweepers optimise."""
    summary = train(cfg)
    return summary["best"]["metrics"][summary["monitor"]]


if __name__ == "__main__":
    main()
