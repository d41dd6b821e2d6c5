"""Renders a per-label report as a terminal table, a per-class CSV and markdown (the caller names the files)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from rich.console import Console
from rich.table import Table

from emotune.evaluation.plots import PLOTS
from emotune.evaluation.protocol import Protocol

COLUMNS = ("precision", "recall", "f1", "accuracy", "support")
HEADERS = {"f1": "F1", "support": "N"}


def rows(report: dict) -> list[tuple]:
    """Labels sorted by F1 (best first), then the macro and micro rows."""
    f1 = 1 + COLUMNS.index("f1")
    body = sorted(((name, *(v[c] for c in COLUMNS)) for name, v in report["per_label"].items()),
                  key=lambda row: -row[f1])
    total = sum(v["support"] for v in report["per_label"].values())
    for average in ("macro", "micro"):
        body.append((average, *(report[f"{average}_{c}"] for c in COLUMNS[:-1]), total))
    return body


def cells(row: tuple) -> list[str]:
    name, *scores, support = row
    return [name, *(f"{s:.3f}" for s in scores), str(support)]


def print_table(report: dict, title: str, console: Console | None = None) -> None:
    caption = "\n".join(line for line in (protocol_line(report), threshold_line(report), calibration_line(report))
                        if line)
    table = Table(title=title, caption=caption)
    table.add_column("label")
    for column in COLUMNS:
        table.add_column(HEADERS.get(column, column), justify="right")
    body = rows(report)
    for i, row in enumerate(body):
        table.add_row(*cells(row), end_section=i == len(body) - 3)
    (console or Console()).print(table)


def threshold_line(report: dict) -> str:
    if report.get("thresholds_tuned_on"):
        return f"Thresholds: per label, tuned on {report['thresholds_tuned_on']}."
    return f"Threshold: {report['thresholds'][0]}."


def calibration_line(report: dict) -> str:
    """Old reports (before calibration existed) have no such entry."""
    summary = report.get("calibration")
    if not summary:
        return ""
    if not summary["method"]:
        return (f"Probabilities: uncalibrated sigmoid outputs (model.calibration=null); expected calibration error "
                f"{summary['ece_before']:.4f} (per-label mean {summary['macro_ece_before']:.4f}).")
    return (f"Probabilities: calibrated per label ({summary['method']} scaling fitted on {summary['fitted_on']}); "
            f"expected calibration error {summary['ece_before']:.4f} → {summary['ece_after']:.4f} "
            f"(per-label mean {summary['macro_ece_before']:.4f} → {summary['macro_ece_after']:.4f}).")


def protocol_line(report: dict) -> str:
    protocol = Protocol.of(report)
    return protocol.sentence() if protocol else ""


def markdown(report: dict, title: str, out_dir: Path) -> str:
    protocol = Protocol.of(report)
    lines = [f"# {title}", "", f"**{protocol_line(report)}**" if protocol and protocol.flagged
             else protocol_line(report), "", f"Rows: {report['n_rows']}. {threshold_line(report)}", "",
             f"**macro-F1 {report['macro_f1']:.4f}**, micro-F1 {report['micro_f1']:.4f}, "
             f"exact match {report['exact_match']:.4f}.", ""]
    if "at_fixed_threshold" in report:
        fixed = report["at_fixed_threshold"]
        lines += [f"At the fixed threshold {fixed['threshold']}: macro-F1 {fixed['macro_f1']:.4f}, "
                  f"micro-F1 {fixed['micro_f1']:.4f}.", ""]
    lines += [calibration_line(report), ""] if report.get("calibration") else []
    lines += ["| label | " + " | ".join(HEADERS.get(c, c) for c in COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows(report)]
    lines += [""] + [f"## {title}\n\n![{title}]({name})\n" for name, title in PLOTS.items()
                     if (out_dir / name).is_file()]
    return "\n".join(lines) + "\n"


def per_class_csv(report: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("label", *COLUMNS))
    writer.writerows(rows(report))
    return buffer.getvalue()
