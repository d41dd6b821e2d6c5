"""Multi-label BCE: plain, or class-weighted with sklearn's 'balanced' positive weights and/or class-balanced
weights from the effective number of samples."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emotune.data.label_stats import LabelStats
from emotune.loss.weights import class_balanced_weights, positive_counts

POS_WEIGHTS = (None, "balanced")


def balanced_pos_weight(labels: LabelStats) -> torch.Tensor:
    """sklearn's 'balanced' weights n / (2 n_pos) and n / (2 n_neg) as BCE's ratio: n_neg / n_pos per label."""
    positives = positive_counts(labels, "loss.pos_weight=balanced").float()
    return (labels.n_rows - positives) / positives


class BCELoss(nn.Module):
    """mean(w_i * BCE): `pos_weight` scales the positive term, `class_balanced_beta` (see loss/weights.py) the
    whole term of each label; both off, it is plain mean BCE."""

    def __init__(
        self, labels: LabelStats, pos_weight: str | None = None, class_balanced_beta: float | None = None
    ) -> None:
        super().__init__()
        if pos_weight not in POS_WEIGHTS:
            raise ValueError(f"loss.pos_weight={pos_weight!r}: expected one of {POS_WEIGHTS}")
        self.register_buffer("pos_weight", balanced_pos_weight(labels) if pos_weight else None)
        self.register_buffer("class_weight", class_balanced_weights(labels, class_balanced_beta))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(
            logits.float(), targets.float(), weight=self.class_weight, pos_weight=self.pos_weight
        )
