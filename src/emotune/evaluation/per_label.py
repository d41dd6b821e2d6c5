"""Per-label precision, recall, F1 and support plus the macro and micro rows, from probabilities."""

from __future__ import annotations

import torch

from emotune.metrics import PER_LABEL, build_metrics


def per_label_report(probs: torch.Tensor, labels: torch.Tensor, label_names: list[str], threshold: float) -> dict:
    """The same metric set training logs, so a report and the run's val metrics always agree."""
    metrics = build_metrics(len(label_names), threshold)
    metrics.update(probs, labels.int())
    values = metrics.compute()
    support = labels.int().sum(0)
    report: dict = {"threshold": threshold, "n_rows": int(labels.shape[0])}
    report.update({key: float(value) for key, value in values.items() if key not in PER_LABEL})
    report["per_label"] = {
        name: {**{key: float(values[key][i]) for key in PER_LABEL}, "support": int(support[i])}
        for i, name in enumerate(label_names)
    }
    return report
