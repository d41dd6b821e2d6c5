"""The Optuna part of `emotune report`: the study read back from the storage its sweeper kept, with the trials, the
optimisation history and the parameter importances. optuna and matplotlib are imported only for an Optuna sweep dir."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import OmegaConf

from emotune.run.files import METRICS, read_json
from emotune.run.record import RunRecord

if TYPE_CHECKING:
    import optuna

OPTUNA_SWEEPER = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"
HISTORY, IMPORTANCES = "optuna_history.png", "optuna_importances.png"
SQLITE = "sqlite:///"


def study_location(multirun_dir: Path) -> tuple[str | None, str | None] | None:
    """(storage, study name) as a job's `.hydra/hydra.yaml` records them when an Optuna sweeper ran the dir, else
    None. `${hydra.sweep.dir}` is read as `multirun_dir`, so a sweep dir that was moved still finds its sqlite file."""
    found = sorted(multirun_dir.glob("*/.hydra/hydra.yaml"))
    if not found:
        return None
    cfg = OmegaConf.load(found[0])
    if OmegaConf.select(cfg, "hydra.sweeper._target_") != OPTUNA_SWEEPER:
        return None
    cfg.hydra.sweep.dir = str(multirun_dir.resolve())
    return cfg.hydra.sweeper.storage, cfg.hydra.sweeper.study_name


def load_study(storage: str, name: str | None) -> optuna.Study:
    import optuna

    if storage.startswith(SQLITE) and not Path(storage[len(SQLITE):]).is_file():
        raise FileNotFoundError(f"hydra.sweeper.storage={storage}: no such sqlite file")
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError as error:  # optuna's "Record does not exist"
        raise ValueError(f"hydra.sweeper.storage={storage}: no study named {name!r}") from error


def run_of(trial: optuna.trial.FrozenTrial, runs: list[RunRecord]) -> RunRecord | None:
    """The run the sweeper launched for this trial: its overrides hold every parameter the trial drew."""
    drawn = {f"{key}={value}" for key, value in trial.params.items()}
    return next((run for run in runs if drawn <= set(run.overrides or [])), None) if drawn else None


def history_plot(study: optuna.Study, target: str, path: Path) -> None:
    from optuna.exceptions import ExperimentalWarning
    from optuna.visualization.matplotlib import plot_optimization_history

    from emotune.utils.plotting import plt, save_png

    # Optuna switches matplotlib to its ggplot style: rc_context puts the caller's style back.
    with plt.rc_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        ax = plot_optimization_history(study, target_name=target)
        save_png(ax.figure, path)


def importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's mean-decrease-in-impurity importances. Its default, fANOVA, fails on the trees of current
    scikit-learn in the optuna 2.x that hydra-optuna-sweeper takes."""
    import optuna
    from optuna.importance import MeanDecreaseImpurityImportanceEvaluator

    return dict(optuna.importance.get_param_importances(study, evaluator=MeanDecreaseImpurityImportanceEvaluator(
        seed=0)))


def importances_plot(scores: dict[str, float], target: str, path: Path) -> None:
    """Drawn here: optuna 2.x's plot_param_importances calls matplotlib.cm.get_cmap, gone since matplotlib 3.9."""
    from emotune.utils.plotting import plt, save_png

    names = list(scores)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(names) + 1.2))
    ax.barh(names, [scores[n] for n in names], color="tab:blue")
    ax.set_title(f"What moved {target}")
    ax.set_xlabel("importance (Optuna, mean decrease in impurity)")
    save_png(fig, path)


def importance_lines(study: optuna.Study, complete: int, target: str, out_dir: Path) -> list[str]:
    if complete < 2:
        return [f"Parameter importances need 2 completed trials; this study has {complete}."]
    scores = importances(study)
    if not any(scores.values()):
        return [f"Parameter importances: no parameter changed {target} across the completed trials."]
    importances_plot(scores, target, out_dir / IMPORTANCES)
    return [f"![Parameter importances for {target}]({IMPORTANCES})"]


def optuna_section(multirun_dir: Path, runs: list[RunRecord], storage: str | None, name: str | None) -> str:
    """The study's trials (each with the run it launched), its best trial, the history and importance plots."""
    if storage is None:
        return ("The sweeper kept its study in memory (hydra.sweeper.storage: null), so there is no history to "
                "read back: set a storage to have one.\n")
    study = load_study(storage, name)
    target = read_json(runs[0].path, METRICS).get("monitor") or "val/macro_f1"
    trials = study.trials
    states = Counter(t.state.name.lower() for t in trials)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    lines = [f"Optuna study `{study.study_name}` in `{storage}`: {len(trials)} trials ({counts}), "
             f"{study.direction.name.lower()} {target} on the selection split.", ""]
    complete = states.get("complete", 0)
    if complete:
        best = study.best_trial
        run = run_of(best, runs)
        params = " ".join(f"{k}={v}" for k, v in best.params.items())
        lines += [f"Best: trial {best.number}, {target} = {best.value:.4f}, run `{run.path.name if run else '—'}`: "
                  f"`{params}`", ""]
        history_plot(study, target, multirun_dir / HISTORY)
        lines += [f"![{target} per trial, and the best so far]({HISTORY})", ""]
    else:
        lines += ["No trial completed: no history to plot.", ""]
    lines += importance_lines(study, complete, target, multirun_dir) + [""]
    lines += ["| trial | state | " + target + " | run |", "|---:|---|---:|---|"]
    for trial in trials:
        run = run_of(trial, runs)
        value = f"{trial.value:.4f}" if trial.value is not None else "—"
        lines.append(f"| {trial.number} | {trial.state.name.lower()} | {value} | {run.path.name if run else '—'} |")
    return "\n".join(lines) + "\n"
