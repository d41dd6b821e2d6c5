"""The metric set logged under val/ and reported by evaluate, and its flattening into per-label names."""

from __future__ import annotations

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MultilabelAccuracy,
    MultilabelExactMatch,
    MultilabelF1Score,
    MultilabelPrecision,
    MultilabelRecall,
)

from emotune.evaluation.metric_names import PER_LABEL


def build_metrics(num_labels: int, threshold: float = 0.5, sync_on_compute: bool = True) -> MetricCollection:
    """Accuracy counts true negatives, so on rare labels it sits near 1 whatever the model does: it is reported
    beside F1, never instead of it. In multi-label data its macro and micro averages coincide. A report computed
    by one process after a multi-process fit must not wait for the others: `sync_on_compute=False`."""
    kw = {"num_labels": num_labels, "threshold": threshold, "sync_on_compute": sync_on_compute}
    return MetricCollection(
        {
            "macro_f1": MultilabelF1Score(average="macro", **kw),
            "micro_f1": MultilabelF1Score(average="micro", **kw),
            "macro_precision": MultilabelPrecision(average="macro", **kw),
            "macro_recall": MultilabelRecall(average="macro", **kw),
            "micro_precision": MultilabelPrecision(average="micro", **kw),
            "micro_recall": MultilabelRecall(average="micro", **kw),
            "macro_accuracy": MultilabelAccuracy(average="macro", **kw),
            "micro_accuracy": MultilabelAccuracy(average="micro", **kw),
            "exact_match": MultilabelExactMatch(**kw),
            "f1": MultilabelF1Score(average=None, **kw),
            "precision": MultilabelPrecision(average=None, **kw),
            "recall": MultilabelRecall(average=None, **kw),
            "accuracy": MultilabelAccuracy(average=None, **kw),
        }
    )


def flatten(values: dict[str, torch.Tensor], label_names: list[str], prefix: str) -> dict[str, torch.Tensor]:
    """Per-label vectors become `prefix/f1/<label>` scalars, so every logger can store them."""
    out = {}
    for key, value in values.items():
        if key in PER_LABEL:
            out.update({f"{prefix}/{key}/{name}": value[i] for i, name in enumerate(label_names)})
        else:
            out[f"{prefix}/{key}"] = value
    return out
