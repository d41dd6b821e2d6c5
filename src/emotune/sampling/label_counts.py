"""The visible effect of resampling: train label counts before and after, as CSV and a log-scale chart."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from emotune.utils.atomic import write_text
from emotune.utils.plotting import plt, save_png

log = logging.getLogger(__name__)


def write_label_counts(names: list[str], counts: dict[str, list[int]], table: Path, chart: Path) -> None:
    """Writes the counts as CSV to `table` and as a chart to `chart`, and logs the totals."""
    rows = list(zip(names, counts["before"], counts["after"]))
    lines = ["label,before,after"] + [f"{n},{b},{a}" for n, b, a in rows]
    write_text(table, "\n".join(lines) + "\n")
    bar_chart(names, counts, chart)
    log.info("Train positives per label, before -> after resampling: %s",
             ", ".join(f"{n} {b}->{a}" for n, b, a in rows))


def bar_chart(names: list[str], counts: dict[str, list[int]], path: Path) -> None:
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(names)), 4.5))
    ax.bar(x - 0.2, counts["before"], width=0.4, label="before")
    ax.bar(x + 0.2, counts["after"], width=0.4, label="after")
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=60, ha="right")
    ax.set_ylabel("positives in train (log scale)")
    ax.set_title("Train label counts before and after resampling")
    ax.legend()
    save_png(fig, path)
