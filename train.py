"""Train an emotion classifier: `python train.py experiment=quickstart loss.gamma=2 lora.r=16`."""

import hydra
from omegaconf import DictConfig

import emotune  # noqa: F401  (registers config resolvers)
from emotune.recipes.preflight import preflight
from emotune.run.summary import finished_summary, objective
from emotune.utils.errors import fail, user_errors


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Returns the selected epoch's monitored metric (val macro-F1 by default), the value Hydra sweepers optimise."""
    with user_errors("train.py"):
        problems = preflight(cfg)
        if problems:
            fail("train.py", problems)
        done = finished_summary(cfg) if cfg.skip_finished else None
        if done is not None:
            return objective(done)
        from emotune.recipes.train import train  # after the preflight: importing the model code takes seconds

        return objective(train(cfg))


if __name__ == "__main__":
    main()
