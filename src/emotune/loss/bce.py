"""Plain multi-label BCE, the baseline every imbalance technique is compared against."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class BCELoss(nn.Module):
    def __init__(self, label_names: list[str]) -> None:
        """Takes `label_names` like every loss in the group, so they are built the same way."""
        super().__init__()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits.float(), targets.float())
