"""Per-label weights from the train split's positive counts, shared by the losses that weigh labels by them."""

from __future__ import annotations

import torch

from emotune.data.label_stats import LabelStats


def positive_counts(labels: LabelStats, setting: str) -> torch.Tensor:
    """Positives per label (float64). A label without any has no finite count-based weight: refuse it by name,
    saying which `setting` needed the counts."""
    empty = [name for name, n in zip(labels.names, labels.positives) if n == 0]
    if empty:
        raise ValueError(f"{setting}: labels {empty} have no positives in the train split")
    return torch.tensor(labels.positives, dtype=torch.float64)


def class_balanced_weights(labels: LabelStats, beta: float | None) -> torch.Tensor | None:
    """Cui et al. (CVPR 2019): w_i = (1 - beta) / (1 - beta^n_i), the inverse of label i's effective number of
    samples, rescaled to sum to the number of labels so that the loss keeps its scale. beta = 0 weighs every label
    1, beta -> 1 approaches inverse frequency; None (off) gives None."""
    if beta is None:
        return None
    if not 0 <= beta < 1:
        raise ValueError(f"loss.class_balanced_beta={beta}: expected 0 <= beta < 1 (null turns it off)")
    positives = positive_counts(labels, f"loss.class_balanced_beta={beta}")
    weights = (1 - beta) / (1 - beta**positives)
    return (weights * len(weights) / weights.sum()).float()
