"""Per-label decision thresholds that maximise each label's F1 on held-out rows.

A fixed 0.5 wastes F1 on rare labels; the threshold is tuned on a split that is not the one reported
(val when reporting test, or a `tune` split carved from train when reporting val)."""

from __future__ import annotations

import numpy as np

GRID = np.round(np.arange(0.02, 0.981, 0.01), 2)


def tune_thresholds(probs: np.ndarray, labels: np.ndarray, default: float = 0.5, grid: np.ndarray = GRID) -> np.ndarray:
    """For each label the grid value with the best F1 (the lowest such value on ties). A label with no positives
    among the rows has F1 0 at every threshold, so it keeps `default` (model.threshold) instead of the grid's
    lowest value."""
    predicted = probs[:, :, None] >= grid[None, None, :]
    truth = labels.astype(bool)[:, :, None]
    tp = (predicted & truth).sum(axis=0)
    fp = (predicted & ~truth).sum(axis=0)
    fn = (~predicted & truth).sum(axis=0)
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(tp.shape), where=(2 * tp + fp + fn) > 0)
    return np.where(labels.any(axis=0), grid[f1.argmax(axis=1)], default)


def threshold_split(tune_on: str | None, selection: str) -> str | None:
    """`auto` is the selection split; an explicit split must be that split (one split selects)."""
    if tune_on in (None, "auto"):
        return selection if tune_on == "auto" else None
    if tune_on != selection:
        raise ValueError(f"thresholds.tune_on={tune_on} but the selection split is {selection}: thresholds are tuned "
                         "on the split that selects; leave thresholds.tune_on=auto")
    return tune_on


def thresholds_record(names: list[str], default: float, raw: np.ndarray | None, split: str | None,
                      calibrated: np.ndarray | None = None) -> dict:
    """`raw_per_label`: each label's threshold as tuned, on the raw sigmoid outputs, where every decision is made;
    `per_label`: the same thresholds mapped onto the calibrated probabilities, to read them against."""
    def by_label(values: np.ndarray | None) -> dict | None:
        return {n: float(t) for n, t in zip(names, values)} if values is not None else None

    shown = calibrated if calibrated is not None else raw
    return {"default": default, "per_label": by_label(shown), "raw_per_label": by_label(raw), "tuned_on": split}


def threshold_vector(record: dict, names: list[str], override: float | None = None) -> np.ndarray:
    """A `thresholds.json` record as one threshold per label: the tuned ones when it has them, else its default;
    `override` replaces both."""
    if override is None and record.get("per_label"):
        return np.array([record["per_label"][name] for name in names])
    return np.full(len(names), record["default"] if override is None else override)
