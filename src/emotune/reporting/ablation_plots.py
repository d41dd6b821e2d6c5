"""PNGs for a multi-seed ablation: Δ macro-F1 with CIs per arm, and per-label Δ per arm as a heatmap."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from emotune.utils.plotting import plt, save_png

ForestRow = tuple[str, float, float, float, float, float, float]

# Annotating beyond this many cells makes digits overlap at any readable figure size; colour alone carries it then.
_MAX_ANNOTATED_CELLS = 400


def forest_plot(rows: Sequence[ForestRow], path: Path | str) -> None:
    """One line per arm, Δ vs baseline with its CI, fixed and tuned thresholds offset on the same axis.

    Rows are (arm, delta_fixed, low_fixed, high_fixed, delta_tuned, low_tuned, high_tuned); NaNs in one setting
    skip just that marker. Both settings share one axis so a technique that only helps before tuning (e.g. one that
    shifts the score scale) shows as two markers apart. Filled markers mark CIs that exclude 0, so the reader need
    not compare bar ends to the zero line.
    """
    if not rows:
        raise ValueError("forest_plot: no arms")
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.45 * len(rows)))
    y = np.arange(len(rows))[::-1].astype(float)  # first arm on top
    for offset, start, name, color in ((0.15, 1, "fixed threshold", "tab:blue"),
                                       (-0.15, 4, "tuned thresholds", "tab:orange")):
        labelled = False
        for yi, row in zip(y, rows):
            delta, low, high = (float(v) for v in row[start:start + 3])
            if any(math.isnan(v) for v in (delta, low, high)):
                continue
            excludes = low > 0 or high < 0
            ax.errorbar(delta, yi + offset, xerr=[[delta - low], [high - delta]], fmt="o", color=color,
                        markerfacecolor=color if excludes else "white", capsize=3,
                        label=None if labelled else name)
            labelled = True
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, [str(r[0]) for r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("Δ macro-F1 vs baseline (CI; filled = excludes 0)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    save_png(fig, Path(path))


def delta_heatmap(matrix: np.ndarray, arm_names: Sequence[str], label_names: Sequence[str], path: Path | str) -> None:
    """Arms × labels Δ F1 on a diverging map centred at 0, so gains and losses read as opposite hues of equal weight.

    The colour range is symmetric about 0 (±max |Δ|); NaN cells (label absent for an arm) show grey. Values are
    written in the cells when there are at most 400 of them.
    """
    data = np.asarray(matrix, dtype=float)
    if data.shape != (len(arm_names), len(label_names)):
        raise ValueError(f"matrix {data.shape} does not match {len(arm_names)} arms × {len(label_names)} labels")
    finite = data[np.isfinite(data)]
    limit = float(np.abs(finite).max()) if finite.size else 0.0
    limit = limit if limit > 0 else 1e-6  # an all-zero matrix still needs a non-empty colour range
    n_arms, n_labels = data.shape
    fig, ax = plt.subplots(figsize=(max(6.0, 2.5 + 0.42 * n_labels), max(2.5, 1.8 + 0.45 * n_arms)))
    cmap = plt.get_cmap("RdBu").with_extremes(bad="lightgrey")
    image = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(np.arange(n_labels), [str(n) for n in label_names], rotation=90)
    ax.set_yticks(np.arange(n_arms), [str(n) for n in arm_names])
    if data.size <= _MAX_ANNOTATED_CELLS:
        for (i, j), value in np.ndenumerate(data):
            if np.isfinite(value):
                text = "0" if round(value, 2) == 0 else f"{value:+.2f}".replace("0.", ".", 1)  # narrow cells
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if abs(value) > 0.6 * limit else "black")
    fig.colorbar(image, ax=ax, label="Δ F1 vs baseline", fraction=0.03, pad=0.02)
    save_png(fig, Path(path))
