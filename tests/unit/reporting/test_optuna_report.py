"""`emotune report` on an Optuna sweep dir: the study read back from its storage, the history and the importances,
the small studies that cannot have importances, and a real 2-trial sweep of train.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml
from helpers import FAST_RUN, ROOT, emotune_cli, goemotions_overrides, goemotions_rows, write_goemotions
from optuna.distributions import CategoricalDistribution, UniformDistribution

from emotune.cli import main

SPACE = {"loss.gamma": UniformDistribution(0.0, 4.0),
         "sampling.undersample.keep_every": CategoricalDistribution([1, 8])}
SWEEPER = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"
IN_SWEEP_DIR = "sqlite:///${hydra.sweep.dir}/optuna.db"


def fake_optuna_sweep(root: Path, values: list[float | None], storage: str | None = IN_SWEEP_DIR) -> Path:
    """A sweep dir as the Optuna sweeper leaves it: the study in root/optuna.db (None is a failed trial), and a run
    dir per completed trial whose overrides hold the trial's draws. Its hydra.yaml names the sweep dir where it was
    made, elsewhere: the report must find the study where the dir is now."""
    root.mkdir(parents=True)
    study = optuna.create_study(study_name="s", storage=f"sqlite:///{root}/optuna.db", direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    hydra = {"hydra": {"sweep": {"dir": "/elsewhere/sweep"}, "sweeper": {"_target_": SWEEPER, "storage": storage,
                                                                         "study_name": "s"}}}
    for number, value in enumerate(values):
        trial = study.ask(SPACE)
        if value is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        study.tell(trial, value)
        run = root / str(number)
        (run / ".hydra").mkdir(parents=True)
        best = {"val/macro_f1": value, "val/micro_f1": value, "val/f1/joy": value}
        (run / "metrics.json").write_text(json.dumps({"monitor": "val/macro_f1", "best": {"epoch": 1, "metrics": best},
                                                      "final": {"epoch": 1, "metrics": best}}))
        overrides = [f"{key}={v}" for key, v in trial.params.items()] + ["experiment=quickstart"]
        (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        (run / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
        (run / "run.json").write_text(json.dumps({"data_hash": "h", "seed": 42}))
        (run / "config.yaml").write_text("{}\n")
    return root


def test_report_reads_the_study_from_the_moved_sweep_dir(tmp_path: Path, capsys) -> None:
    sweep = fake_optuna_sweep(tmp_path / "sweep", [0.2, None, 0.5, 0.3])
    main(["report", str(sweep)])
    out = capsys.readouterr().out
    assert "Optuna study `s`" in out and "4 trials (3 complete, 1 fail), maximize val/macro_f1" in out
    assert "Best: trial 2, val/macro_f1 = 0.5000, run `2`: `loss.gamma=" in out
    assert "| 1 | fail | — | — |" in out and "| 2 | complete | 0.5000 | 2 |" in out
    report = (sweep / "report.md").read_text()
    assert "](optuna_history.png)" in report and "](optuna_importances.png)" in report and "## Per run" in report
    for png in ("optuna_history.png", "optuna_importances.png"):
        assert (sweep / png).read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(("values", "line"), [
    ([0.4, None], "Parameter importances need 2 completed trials; this study has 1."),
    ([0.4, 0.4, 0.4], "Parameter importances: no parameter changed val/macro_f1 across the completed trials."),
])
def test_a_small_study_says_why_it_has_no_importances(values: list, line: str, tmp_path: Path, capsys) -> None:
    sweep = fake_optuna_sweep(tmp_path / "sweep", values)
    main(["report", str(sweep)])
    assert line in capsys.readouterr().out
    assert (sweep / "optuna_history.png").is_file() and not (sweep / "optuna_importances.png").exists()


def test_a_study_kept_in_memory_reports_its_runs(tmp_path: Path, capsys) -> None:
    sweep = fake_optuna_sweep(tmp_path / "sweep", [0.4, 0.5], storage=None)
    main(["report", str(sweep)])
    assert "kept its study in memory (hydra.sweeper.storage: null)" in capsys.readouterr().out
    assert "| 1 | `loss.gamma=" in (sweep / "report.md").read_text()


@pytest.mark.parametrize(("args", "message"), [
    ([], "hydra.sweeper.storage=sqlite:///"),
    (["--baseline", "loss=bce"], "--baseline 'loss=bce': "),
])
def test_bad_input_is_one_line(args: list[str], message: str, tmp_path: Path, capsys) -> None:
    sweep = fake_optuna_sweep(tmp_path / "sweep", [0.4, 0.5])
    if not args:
        (sweep / "optuna.db").unlink()
    with pytest.raises(SystemExit):
        main(["report", str(sweep), *args])
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_two_trial_sweep_of_train_py_optimises_what_each_run_keeps(tmp_path: Path) -> None:
    """The basic launcher, the CPU search, tiny generated data; then the report of its sweep dir."""
    data = write_goemotions(tmp_path / "goemotions", {"train.tsv": goemotions_rows(200),
                                                      "dev.tsv": goemotions_rows(60, seed=1)})
    sweep = tmp_path / "sweep"
    args = ["-m", "hparams_search=ablation_optuna", *FAST_RUN, *goemotions_overrides(data),
            "hydra.sweeper.n_trials=2", f"hydra.sweep.dir={sweep}", f"paths.cache_dir={tmp_path / 'cache'}",
            "sampling.oversample.sampling_strategy=30", "report.after_fit=false", "trainer.enable_progress_bar=false"]
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    done = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    study = optuna.load_study(study_name="ablation_optuna", storage=f"sqlite:///{sweep}/optuna.db")
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
    for trial in study.trials:
        kept = json.loads((sweep / str(trial.number) / "metrics.json").read_text())
        assert trial.value == pytest.approx(kept["best"]["metrics"][kept["monitor"]])

    reported = emotune_cli("report", str(sweep))
    assert reported.returncode == 0, reported.stderr[-3000:]
    assert "2 trials (2 complete), maximize val/macro_f1" in reported.stdout
    assert (sweep / "optuna_history.png").is_file() and (sweep / "optuna_importances.png").is_file()
    assert "![Parameter importances" in (sweep / "report.md").read_text()
