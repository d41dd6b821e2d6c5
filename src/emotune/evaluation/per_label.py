"""Per-label precision, recall, F1 and support plus the macro and micro rows, from probabilities."""

from __future__ import annotations

import torch
from torchmetrics.functional.classification import (
    multilabel_exact_match,
    multilabel_f1_score,
    multilabel_precision,
    multilabel_recall,
)


def per_label_report(probs: torch.Tensor, labels: torch.Tensor, label_names: list[str], threshold: float) -> dict:
    target = labels.int()
    kw = {"num_labels": len(label_names), "threshold": threshold}
    scores = {"precision": multilabel_precision, "recall": multilabel_recall, "f1": multilabel_f1_score}
    per = {name: fn(probs, target, average=None, **kw) for name, fn in scores.items()}
    support = target.sum(0)
    report = {"threshold": threshold, "n_rows": int(labels.shape[0])}
    for average in ("macro", "micro"):
        report[f"{average}_f1"] = float(multilabel_f1_score(probs, target, average=average, **kw))
        report[f"{average}_precision"] = float(multilabel_precision(probs, target, average=average, **kw))
        report[f"{average}_recall"] = float(multilabel_recall(probs, target, average=average, **kw))
    report["exact_match"] = float(multilabel_exact_match(probs, target, **kw))
    report["per_label"] = {
        name: {**{k: float(v[i]) for k, v in per.items()}, "support": int(support[i])}
        for i, name in enumerate(label_names)
    }
    return report
