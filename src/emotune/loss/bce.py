"""Multi-label BCE: plain, or class-weighted with sklearn's 'balanced' positive weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emotune.data.label_stats import LabelStats

POS_WEIGHTS = (None, "balanced")


def balanced_pos_weight(labels: LabelStats) -> torch.Tensor:
    """sklearn's 'balanced' weights n / (2 n_pos) and n / (2 n_neg) as BCE's ratio: n_neg / n_pos per label."""
    empty = [name for name, n in zip(labels.names, labels.positives) if n == 0]
    if empty:
        raise ValueError(f"loss.pos_weight=balanced: labels {empty} have no positives in the train split")
    positives = torch.tensor(labels.positives, dtype=torch.float32)
    return (labels.n_rows - positives) / positives


class BCELoss(nn.Module):
    def __init__(self, labels: LabelStats, pos_weight: str | None = None) -> None:
        super().__init__()
        if pos_weight not in POS_WEIGHTS:
            raise ValueError(f"loss.pos_weight={pos_weight!r}: expected one of {POS_WEIGHTS}")
        self.register_buffer("pos_weight", balanced_pos_weight(labels) if pos_weight else None)

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits.float(), targets.float(), pos_weight=self.pos_weight)
