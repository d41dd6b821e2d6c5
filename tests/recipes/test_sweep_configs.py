"""The Optuna searches and the launchers compose with their plugins, and search the W&B Bayes sweep's space."""

from __future__ import annotations

import os
from pathlib import Path

import joblib
import pytest
import yaml
from helpers import ROOT
from hydra import compose, initialize_config_dir
from hydra.utils import get_class, instantiate
from hydra_plugins.hydra_optuna_sweeper._impl import create_params_from_overrides
from omegaconf import DictConfig, OmegaConf
from optuna.distributions import CategoricalDistribution, LogUniformDistribution, UniformDistribution

BAYES = yaml.safe_load((ROOT / "sweeps" / "focal_lora_bayes.yaml").read_text())["parameters"]
# Each Optuna search, the experiment it runs on, and the W&B keys it leaves out: the CPU path has no language model,
# so no LoRA, and its head trains from scratch at higher learning rates than LoRA does.
SEARCHES = {"focal_lora_optuna": ("reference", set(), set()),
            "ablation_optuna": ("quickstart", {"lora.r", "lora.alpha"}, {"optimizer.lr"})}


def compose_full(tmp_path: Path, overrides: list[str]) -> DictConfig:
    """The train config with its hydra node, which holds the sweeper and the launcher."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=[f"hydra.sweep.dir={tmp_path / 'sweep'}", *overrides],
                       return_hydra_config=True)


def distributions(cfg: DictConfig) -> dict:
    """The sweeper's params as the plugin turns them into Optuna distributions."""
    params = cfg.hydra.sweeper.params
    found, fixed = create_params_from_overrides([f"{key}={value}" for key, value in params.items()])
    assert not fixed
    return found


def expected(spec: dict):
    if "values" in spec:
        return CategoricalDistribution(spec["values"])
    kind = {"uniform": UniformDistribution, "log_uniform_values": LogUniformDistribution}[spec["distribution"]]
    return kind(spec["min"], spec["max"])


@pytest.mark.parametrize("name", SEARCHES)
def test_optuna_search_composes_with_its_plugin(name: str, tmp_path: Path) -> None:
    experiment = SEARCHES[name][0]
    cfg = compose_full(tmp_path, [f"hparams_search={name}", f"experiment={experiment}"])
    sweeper = cfg.hydra.sweeper
    assert get_class(sweeper._target_).__name__ == "OptunaSweeper"
    assert type(instantiate(sweeper.sampler)).__name__ == "TPESampler" and sweeper.sampler.seed is not None
    assert sweeper.direction == "maximize" and sweeper.n_trials > 0 and sweeper.study_name == name
    assert sweeper.storage == f"sqlite:///{tmp_path / 'sweep'}/optuna.db"
    assert cfg.hydra.mode.name == "MULTIRUN" and cfg.task_name == name


@pytest.mark.parametrize("name", SEARCHES)
def test_optuna_search_is_the_wandb_bayes_space(name: str, tmp_path: Path) -> None:
    experiment, left_out, own_range = SEARCHES[name]
    found = distributions(compose_full(tmp_path, [f"hparams_search={name}", f"experiment={experiment}"]))
    assert set(found) == set(BAYES) - left_out
    for key, distribution in found.items():
        if key in own_range:
            assert isinstance(distribution, LogUniformDistribution), key
        else:
            assert distribution == expected(BAYES[key]), key


@pytest.mark.parametrize("name", SEARCHES)
def test_every_trial_the_search_can_draw_composes(name: str, tmp_path: Path) -> None:
    """Each choice on its own, and every range at its low end and at its high end together."""
    experiment = SEARCHES[name][0]
    base = [f"hparams_search={name}", f"experiment={experiment}"]
    found = distributions(compose_full(tmp_path, base))
    ranges = {key: d for key, d in found.items() if not isinstance(d, CategoricalDistribution)}
    trials = [{key: choice} for key, d in found.items() if key not in ranges for choice in d.choices]
    trials += [{key: getattr(d, end) for key, d in ranges.items()} for end in ("low", "high")]
    for trial in trials:
        cfg = compose_full(tmp_path, [*base, *(f"{key}={value}" for key, value in trial.items())])
        for key, value in trial.items():
            assert OmegaConf.select(cfg, key, throw_on_missing=True) == pytest.approx(value), key


def test_parallel_launcher_runs_the_trials_asked_for_together(tmp_path: Path) -> None:
    optuna = compose_full(tmp_path, ["hparams_search=ablation_optuna", "experiment=quickstart",
                                     "hydra/launcher=parallel", "hydra.sweeper.n_jobs=3"])
    assert get_class(optuna.hydra.launcher._target_).__name__ == "JoblibLauncher"
    assert optuna.hydra.launcher.n_jobs == 3
    grid = compose_full(tmp_path, ["hparams_search=ablation", "experiment=quickstart", "hydra/launcher=parallel"])
    assert grid.hydra.launcher.n_jobs == -1  # a grid: one run per core
    assert instantiate(grid.hydra.launcher).joblib["n_jobs"] == -1


def test_loky_workers_split_the_cores_between_runs() -> None:
    """What hydra/launcher=parallel relies on instead of a thread setting: joblib's loky backend (which the joblib
    launcher always uses) starts each of n_jobs workers with OMP_NUM_THREADS = cores // n_jobs, torch's default."""
    share = os.environ.get("OMP_NUM_THREADS", str(max(joblib.cpu_count() // 2, 1)))
    seen = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(os.getenv)("OMP_NUM_THREADS")
                                                     for _ in range(2))
    assert seen == [share, share]


def test_slurm_launcher_composes_with_the_keys_users_edit(tmp_path: Path) -> None:
    cfg = compose_full(tmp_path, ["hparams_search=focal_lora_optuna", "experiment=reference", "hydra/launcher=slurm",
                                  "hydra.launcher.partition=gpu", "hydra.launcher.gpus_per_node=2"])
    launcher = cfg.hydra.launcher
    assert get_class(launcher._target_).__name__ == "SlurmLauncher"
    edited = {"gpus_per_node", "timeout_min", "mem_gb", "cpus_per_task", "partition", "array_parallelism"}
    assert edited <= set(launcher)
    assert launcher.partition == "gpu" and launcher.gpus_per_node == 2
    assert instantiate(launcher).params["partition"] == "gpu"
