"""`emotune compare RUN_A RUN_B`: two runs' per-label F1 side by side, with the difference."""

from __future__ import annotations

import json
from pathlib import Path

from emotune.reporting.runs import Run, comparability_warnings


def scores(run: Run, split: str) -> dict[str, float]:
    """The run's evaluation on `split` when it has one, else its best val metrics from training."""
    evaluation = run.path / f"eval_{split}" / "metrics.json"
    if evaluation.is_file():
        report = json.loads(evaluation.read_text())
        return {**{n: v["f1"] for n, v in report["per_label"].items()},
                "macro": report["macro_f1"], "micro": report["micro_f1"]}
    if split != "val":
        raise FileNotFoundError(f"{evaluation} not found: run `python evaluate.py run_dir={run.path} split={split}`")
    return {**{n: run.best[f"val/f1/{n}"] for n in run.label_names()},
            "macro": run.best["val/macro_f1"], "micro": run.best["val/micro_f1"]}


def compare(path_a: Path, path_b: Path, split: str = "val") -> str:
    a, b = Run.read(path_a), Run.read(path_b)
    sa, sb = scores(a, split), scores(b, split)
    if set(sa) != set(sb):
        raise ValueError(f"{path_a} and {path_b} have different label sets; per-label comparison needs the same")
    lines = [f"F1 on {split}: A = {path_a}, B = {path_b}", ""]
    lines += [f"> warning: {w}" for w in comparability_warnings([a, b])]
    lines += ["", "| label | A | B | B - A |", "|---|---:|---:|---:|"]
    labels = sorted((k for k in sa if k not in ("macro", "micro")), key=lambda n: sb[n] - sa[n])
    lines += [f"| {n} | {sa[n]:.3f} | {sb[n]:.3f} | {sb[n] - sa[n]:+.3f} |" for n in [*labels, "macro", "micro"]]
    return "\n".join(lines) + "\n"
