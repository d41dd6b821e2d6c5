"""Per-label precision, recall, F1, accuracy and support plus the macro and micro rows, from probabilities."""

from __future__ import annotations

import numpy as np
import torch

from emotune.evaluation.metrics import PER_LABEL, build_metrics


def per_label_report(
    probs: torch.Tensor, labels: torch.Tensor, label_names: list[str], thresholds: float | np.ndarray
) -> dict:
    """The same metric set training logs, so a report at 0.5 and the run's val metrics always agree.
    `thresholds` is one value or one per label."""
    per_label_thresholds = torch.as_tensor(np.broadcast_to(thresholds, (len(label_names),)).copy(),
                                           dtype=probs.dtype)
    metrics = build_metrics(len(label_names), threshold=0.5, sync_on_compute=False)
    metrics.update((probs >= per_label_thresholds).to(probs.dtype), labels.int())
    values = metrics.compute()
    support = labels.int().sum(0)
    report: dict = {"thresholds": per_label_thresholds.tolist(), "n_rows": int(labels.shape[0])}
    report.update({key: float(value) for key, value in values.items() if key not in PER_LABEL})
    report["per_label"] = {
        name: {**{key: float(values[key][i]) for key in PER_LABEL}, "support": int(support[i])}
        for i, name in enumerate(label_names)
    }
    return report
