"""The ablation table of a multi-seed grid: an arm is a set of overrides besides the seed; each arm's scores on the
report split over its seeds, at the fixed and the tuned thresholds, and its difference from the baseline arm with a
95 % CI that covers both seed variance and the finite report set (paired bootstrap over rows and seeds)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotune.evaluation.protocol import Protocol
from emotune.reporting.ablation_plots import delta_heatmap, forest_plot
from emotune.reporting.statistics import arm_summary, paired_bootstrap_delta, per_label_delta, rarest_labels
from emotune.run.files import METRICS, PROBABILITIES, RAW_PROBABILITIES, TRUTH, read_json
from emotune.run.record import RunRecord

N_BOOT, RAREST = 2000, 5


@dataclass
class Arm:
    name: str
    seeds: list[int]
    probs: np.ndarray  # (seeds, rows, labels) what the tuned thresholds read: the raw sigmoid outputs they were tuned
    # on (reports from before they were recorded: the calibrated probabilities, with the thresholds mapped onto them)
    raw: np.ndarray  # (seeds, rows, labels) sigmoid outputs, which the fixed threshold reads: no fitted shift
    tuned: np.ndarray  # (seeds, labels) thresholds chosen on the selection split
    fixed: float

    def preds(self, tuned: bool, seeds: list[int]) -> np.ndarray:
        rows = [self.seeds.index(s) for s in seeds]
        if tuned:
            return self.probs[rows] >= self.tuned[rows][:, None, :]
        return self.raw[rows] >= self.fixed


def arm_name(own: list[str]) -> str:
    return " ".join(o for o in own if not o.startswith("seed=")) or "(shared overrides)"


def load_arms(runs: list[RunRecord], own: list[list[str]]) -> tuple[list[Arm], np.ndarray, list[str], dict]:
    """Every run's saved report-split probabilities, grouped into arms; all runs must share the report rows."""
    grouped: dict[str, list[tuple[int, np.ndarray, np.ndarray, np.ndarray, float]]] = {}
    truth, names, report = None, None, None
    for run, overrides in zip(runs, own):
        folder = run.report_dir()
        metrics = read_json(folder, METRICS)
        labels = np.load(folder / TRUTH)
        if truth is None:
            truth, names, report = labels, list(metrics["per_label"]), metrics
        elif not np.array_equal(labels, truth):
            raise ValueError(f"{folder}: its report rows differ from the other runs'; an ablation needs one report set")
        fixed = metrics.get("at_fixed_threshold", {}).get("threshold", metrics["thresholds"][0])
        probs = np.load(folder / PROBABILITIES)
        raw = np.load(folder / RAW_PROBABILITIES) if (folder / RAW_PROBABILITIES).is_file() else None
        if raw is None and (metrics.get("calibration") or {}).get("method"):
            raise ValueError(f"{folder}: no {RAW_PROBABILITIES} for its calibrated probabilities; "
                             f"rerun evaluate.py on the run to write it")
        raw = probs if raw is None else raw
        tuned_on = raw if metrics.get("thresholds_on") == "raw" else probs  # older reports tuned on calibrated ones
        grouped.setdefault(arm_name(overrides), []).append(
            (run.seed, tuned_on, raw, np.asarray(metrics["thresholds"]), fixed))
    arms = []
    for name, members in grouped.items():
        members.sort(key=lambda m: m[0])
        arms.append(Arm(name, [m[0] for m in members], *(np.stack([m[i] for m in members]) for i in (1, 2, 3)),
                        members[0][4]))
    return arms, truth, names, report


def fmt(summary: dict) -> str:
    """The std is NaN for a single seed."""
    return f"{summary['mean']:.3f}" if math.isnan(summary["std"]) else f"{summary['mean']:.3f} ± {summary['std']:.3f}"


def interval(d: dict) -> str:
    return f"{d['delta']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]{' *' if d['excludes_zero'] else ''}"


def protocol(report: dict, arms: list[Arm]) -> str:
    seeds, stated = sorted({s for arm in arms for s in arm.seeds}), Protocol.of(report)
    sentence = f"**{stated.sentence()}**" if stated.flagged else stated.sentence()
    return (f"Protocol: {sentence} {report['n_rows']} report rows, {len(arms)} arms × seeds {seeds}; the data split "
            f"and the embeddings are the same for every run. Δ is against the baseline arm, with a 95 % CI from a "
            f"paired bootstrap over report rows and seeds ({N_BOOT} replicates); * marks a CI that excludes 0.")


def ablation_section(runs: list[RunRecord], own: list[list[str]], out_dir: Path, baseline: str | None = None) -> str:
    arms, truth, names, report = load_arms(runs, own)
    base = next((a for a in arms if a.name == baseline), None) if baseline else \
        next((a for a in arms if a.name == "sampling=none loss=bce"), arms[0])
    if base is None:
        raise ValueError(f"--baseline {baseline!r}: no such arm; arms are {[a.name for a in arms]}")
    preferred = [names.index(n) for n in runs[0].preferred if n in names] or None
    rare = rarest_labels(truth, RAREST)
    lines = [protocol(report, arms), "", f"Baseline: `{base.name}`.", "",
             "| arm | seeds | macro-F1 @fixed | macro-F1 tuned | micro-F1 @fixed | micro-F1 tuned | preferred "
             "macro-F1 @fixed | preferred tuned | Δ macro-F1 @fixed [95 % CI] | Δ macro-F1 tuned [95 % CI] |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    forest, heat, rare_rows, conclusions = [], [], [], []
    for arm in arms:
        seeds = [s for s in arm.seeds if s in base.seeds]
        fixed, tuned = (arm_summary(arm.preds(t, arm.seeds), truth, preferred) for t in (False, True))
        cells = [f"`{arm.name}`", str(len(arm.seeds))]
        cells += [fmt(s[k]) for k in ("macro_f1", "micro_f1", "subset_macro_f1") if k in fixed for s in (fixed, tuned)]
        if arm is base or not seeds:
            cells += ["—", "—"]
        else:
            deltas = [paired_bootstrap_delta(arm.preds(t, seeds), base.preds(t, seeds), truth, n_boot=N_BOOT)
                      for t in (False, True)]
            cells += [interval(d) for d in deltas]
            forest.append((arm.name, *(deltas[0][k] for k in ("delta", "low", "high")),
                           *(deltas[1][k] for k in ("delta", "low", "high"))))
            per_label = per_label_delta(arm.preds(True, seeds), base.preds(True, seeds), truth)
            heat.append((arm.name, per_label))
            rare_rows.append(f"| `{arm.name}` | " + " | ".join(f"{per_label[i]:+.3f}" for i in rare) + " |")
            conclusions.append(conclusion(arm.name, deltas[1]))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "At the tuned thresholds:", "", *[f"- {c}" for c in conclusions], ""]
    if forest:
        forest_plot(forest, out_dir / "ablation_forest.png")
        delta_heatmap(np.stack([h[1] for h in heat]), [h[0] for h in heat], names, out_dir / "ablation_delta.png")
        lines += ["![Δ macro-F1 against the baseline, fixed and tuned thresholds](ablation_forest.png)", "",
                  "Per-label Δ F1 (tuned thresholds) for the rarest labels in the report split:", "",
                  "| arm | " + " | ".join(f"{names[i]} (N={int(truth[:, i].sum())})" for i in rare) + " |",
                  "|---|" + "---:|" * len(rare), *rare_rows, "",
                  "![Per-label Δ F1 against the baseline, tuned thresholds](ablation_delta.png)", ""]
    return "\n".join(lines) + "\n"


def conclusion(name: str, delta: dict) -> str:
    change = f"`{name}` changes macro-F1 by {delta['delta']:+.3f} [95 % CI {delta['low']:+.3f}, {delta['high']:+.3f}]"
    return change + ("" if delta["excludes_zero"] else ": no difference the seeds and report rows can resolve")
