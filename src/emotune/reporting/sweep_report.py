"""`emotune report MULTIRUN_DIR`: for an Optuna sweep, the study (trials, best trial, optimisation history, parameter
importances); for a multi-seed grid whose runs scored their report split, the ablation statistics (arms over seeds,
Δ against a baseline with CIs, plots); for any multirun, one row per run of the selection-split metrics that chose
each run's epoch (and, without either of those, a bar plot)."""

from __future__ import annotations

from pathlib import Path

from emotune.reporting.optuna_study import study_location
from emotune.reporting.runs import comparability_warnings
from emotune.run.files import REPORT
from emotune.run.record import RunRecord
from emotune.utils.atomic import write_text


def collect(multirun_dir: Path) -> list[RunRecord]:
    def job_order(path: Path) -> tuple:  # Hydra numbers jobs 0, 1, ..., 10: sort numerically
        name = path.parent.name
        return (0, int(name), "") if name.isdigit() else (1, 0, name)

    runs = [RunRecord.read(p.parent) for p in sorted(multirun_dir.glob("*/metrics.json"), key=job_order)]
    if not runs:
        raise FileNotFoundError(f"{multirun_dir}: no run dirs with metrics.json below it")
    return runs


def varying(runs: list[RunRecord]) -> tuple[list[list[str]], list[str]]:
    """Each run's own overrides, and the ones every run shares (shown once, above the table)."""
    shared = [o for o in (runs[0].overrides or []) if all(o in (run.overrides or []) for run in runs)]
    return [[o for o in (run.overrides or []) if o not in shared] for run in runs], shared


def markdown(runs: list[RunRecord], warnings: list[str]) -> str:
    own, shared = varying(runs)
    names = runs[0].label_names
    preferred = [n for n in runs[0].preferred if n in names] or names
    selection = runs[0].roles["selection"] if runs[0].roles else "val"
    header = ["run", "overrides", f"{selection} macro-F1 (chose the epoch)", f"{selection} micro-F1", *preferred]
    lines = [f"Shared overrides: `{' '.join(shared) or '-'}`", ""]
    lines += [f"> warning: {w}" for w in warnings] + ([""] if warnings else [])
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * (len(header) - 2)]
    for run, overrides in zip(runs, own):
        cells = [run.path.name, f"`{' '.join(overrides) or '-'}`", f"{run.best['val/macro_f1']:.4f}",
                 f"{run.best['val/micro_f1']:.4f}", *(f"{run.best.get(f'val/f1/{n}', float('nan')):.3f}"
                                                      for n in preferred)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def bar_plot(runs: list[RunRecord], path: Path) -> None:
    """Imports matplotlib only here, so importing this module (and `emotune report --help`) stays fast."""
    from emotune.utils.plotting import plt, save_png

    own, _ = varying(runs)
    labels = [" ".join(o) or run.path.name for run, o in zip(runs, own)]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(runs) + 1.2))
    ax.barh(labels, [run.best["val/macro_f1"] for run in runs], color="tab:blue")
    ax.set_xlabel("macro-F1 of the best epoch, on the split that chose it")
    ax.invert_yaxis()
    save_png(fig, path)


def write_sweep_report(multirun_dir: Path, baseline: str | None = None) -> str:
    runs = collect(multirun_dir)
    study = study_location(multirun_dir)
    if study is not None:
        return optuna_report(multirun_dir, runs, study, baseline)
    warnings = "".join(f"> warning: {w}\n" for w in comparability_warnings(runs))
    if all(run.report_dir() for run in runs):
        from emotune.reporting.ablation import ablation_section  # numpy and matplotlib, only for this

        text = warnings + "\n" + ablation_section(runs, varying(runs)[0], multirun_dir, baseline)
        write_text(multirun_dir / REPORT, text + "\n## Per run\n\n" + markdown(runs, []))
        return text
    text = markdown(runs, comparability_warnings(runs))
    write_text(multirun_dir / REPORT, text + "\n![macro-F1 per run](report.png)\n")
    bar_plot(runs, multirun_dir / "report.png")
    return text


def optuna_report(multirun_dir: Path, runs: list[RunRecord], study: tuple[str | None, str | None],
                  baseline: str | None) -> str:
    if baseline is not None:
        raise ValueError(f"--baseline {baseline!r}: {multirun_dir} holds an Optuna study, which has no arms to compare")
    from emotune.reporting.optuna_study import optuna_section  # optuna and matplotlib, only for this

    text = optuna_section(multirun_dir, runs, *study)
    write_text(multirun_dir / REPORT, text + "\n## Per run\n\n" + markdown(runs, comparability_warnings(runs)))
    return text
