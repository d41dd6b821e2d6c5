"""`emotune compare RUN_A RUN_B`: two runs' per-label F1 side by side, with the difference. With `--split report`
each run is read on its own report split, which is how a leaky replay and an honest run of the same recipe are
put side by side."""

from __future__ import annotations

import json
from pathlib import Path

from emotune.evaluation.protocol import Protocol
from emotune.reporting.runs import comparability_warnings
from emotune.run.files import METRICS, eval_dir
from emotune.run.record import RunRecord


def evaluation(run: RunRecord, split: str) -> tuple[str, dict]:
    if split == "report":
        split = run.roles["report"] if run.roles else "val"
    path = eval_dir(run.path, split) / METRICS
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `python evaluate.py run_dir={run.path} split={split}`")
    return split, json.loads(path.read_text())


def scores(report: dict) -> dict[str, float]:
    return {**{n: v["f1"] for n, v in report["per_label"].items()}, "macro": report["macro_f1"],
            "micro": report["micro_f1"]}


def caption(name: str, run: RunRecord, split: str, report: dict) -> str:
    protocol = Protocol.of(report)
    badge = protocol.badge() if protocol else ""
    return f"{name} = {run.path} on {split}" + (f" ({badge})" if badge else "")


def compare(path_a: Path, path_b: Path, split: str = "report") -> str:
    a, b = RunRecord.read(path_a), RunRecord.read(path_b)
    (split_a, report_a), (split_b, report_b) = evaluation(a, split), evaluation(b, split)
    sa, sb = scores(report_a), scores(report_b)
    if set(sa) != set(sb):
        raise ValueError(f"{path_a} and {path_b} have different label sets; per-label comparison needs the same")
    lines = [f"F1: {caption('A', a, split_a, report_a)}; {caption('B', b, split_b, report_b)}", ""]
    lines += [f"> warning: {w}" for w in comparability_warnings([a, b])]
    lines += ["", "| label | A | B | B - A |", "|---|---:|---:|---:|"]
    labels = sorted((k for k in sa if k not in ("macro", "micro")), key=lambda n: sb[n] - sa[n])
    lines += [f"| {n} | {sa[n]:.3f} | {sb[n]:.3f} | {sb[n] - sa[n]:+.3f} |" for n in [*labels, "macro", "micro"]]
    return "\n".join(lines) + "\n"
