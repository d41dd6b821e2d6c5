"""Every value and combination a sweep can produce composes with Hydra: no sweep launches with a bad key."""

import itertools
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, compose_train
from omegaconf import DictConfig, OmegaConf

SWEEPS = sorted((ROOT / "sweeps").glob("*.yaml"))


def fixed_arguments(sweep: dict) -> list[str]:
    command = sweep["command"]
    assert command[:3] == ["${env}", "${interpreter}", "${program}"] and "${args_no_hyphens}" in command
    return [arg for arg in command if not arg.startswith("${")]


def choices(spec: dict) -> list:
    """Discrete values as given; a continuous range by its two ends and its middle."""
    if "values" in spec:
        return list(spec["values"])
    return [spec["min"], (spec["min"] + spec["max"]) / 2, spec["max"]]


def overrides_to_try(sweep: dict) -> list[list[str]]:
    """A grid sweep: its whole product. A bayes or random sweep draws each key from its values or range, so:
    every value of every key on its own, and the all-low and all-high corners together."""
    grids = [[f"{key}={value}" for value in choices(spec)] for key, spec in sweep["parameters"].items()]
    if sweep["method"] == "grid":
        return [list(combo) for combo in itertools.product(*grids)]
    return [[value] for grid in grids for value in grid] + [[g[0] for g in grids], [g[-1] for g in grids]]


def assert_applied(cfg: DictConfig, override: str) -> None:
    key, value = override.split("=", 1)
    chosen = OmegaConf.select(cfg, key, throw_on_missing=True)
    if isinstance(chosen, DictConfig):  # a config group choice: composing it was the check
        return
    if isinstance(chosen, (int, float)) and not isinstance(chosen, bool):
        assert chosen == pytest.approx(float(value)), override
    else:
        assert str(chosen) == value, override


def test_sweeps_exist():
    assert {p.name for p in SWEEPS} >= {"focal_lora_bayes.yaml", "ablation_grid.yaml"}


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_every_sweep_choice_composes(path: Path, tmp_path: Path):
    sweep = yaml.safe_load(path.read_text())
    assert sweep["program"] == "train.py" and sweep["metric"]["name"] == "val/macro_f1"
    fixed = fixed_arguments(sweep)
    for combo in overrides_to_try(sweep):
        cfg = compose_train(tmp_path, fixed + combo)
        for override in combo:
            assert_applied(cfg, override)


def test_a_key_hydra_rejects_is_caught(tmp_path: Path):
    with pytest.raises(Exception, match="lora.rank"):
        compose_train(tmp_path, ["experiment=reference", "lora.rank=8"])


@pytest.mark.parametrize(("name", "experiment"), [("ablation", "quickstart"), ("focal_lora", "reference")])
def test_local_multirun_choices_compose(name: str, experiment: str, tmp_path: Path):
    compose_train(tmp_path, [f"hparams_search={name}", f"experiment={experiment}"])
    params = yaml.safe_load((ROOT / "conf" / "hparams_search" / f"{name}.yaml").read_text())["hydra"]["sweeper"]
    grids = [[f"{key}={value}" for value in str(values).split(",")] for key, values in params["params"].items()]
    for combo in itertools.product(*grids):
        cfg = compose_train(tmp_path, [f"experiment={experiment}", *combo])
        for override in combo:
            assert_applied(cfg, override)
