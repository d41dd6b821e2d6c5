"""Per-label binary focal loss: torchvision's version takes one scalar alpha, the recipe needs one per label."""

from __future__ import annotations

import logging

import torch
import torch.nn.functional as F
from torch import nn

from emotune.data.label_stats import LabelStats
from emotune.loss.weights import class_balanced_weights

log = logging.getLogger(__name__)


def per_label_alpha(
    label_names: list[str], preferred: list[str], alpha_preferred: float, alpha_other: float
) -> torch.Tensor:
    """The recipe weighs its preferred emotions' positives more; names outside the label set are ignored."""
    missing = sorted(set(preferred) - set(label_names))
    if missing:
        log.warning("loss.preferred names not in this label set are ignored: %s", missing)
    return torch.tensor([alpha_preferred if n in preferred else alpha_other for n in label_names])


class FocalLoss(nn.Module):
    """mean(alpha_t * (1 - p_t)^gamma * BCE), alpha_t = alpha on positives and 1 - alpha on negatives.

    Targets are multi-hot 0/1. (1 - p_t)^gamma is computed as exp(gamma * logsigmoid(-z)), z the logit signed
    towards the target: the direct power has an infinite derivative where p_t rounds to 1 and gamma < 1,
    which turns confident predictions into NaN gradients. `class_balanced_beta` (see loss/weights.py) multiplies
    each label's term by its class-balanced weight, as in Cui et al.'s class-balanced focal loss."""

    def __init__(
        self,
        labels: LabelStats,
        gamma: float = 2.0,
        preferred: list[str] | None = None,
        alpha_preferred: float = 0.75,
        alpha_other: float = 0.25,
        class_balanced_beta: float | None = None,
    ) -> None:
        super().__init__()
        self.gamma = gamma
        alpha = per_label_alpha(labels.names, list(preferred or []), alpha_preferred, alpha_other)
        self.register_buffer("alpha", alpha)
        self.register_buffer("class_weight", class_balanced_weights(labels, class_balanced_beta))

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits, targets = logits.float(), targets.float()
        bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        modulating = torch.exp(self.gamma * F.logsigmoid(-(2 * targets - 1) * logits))
        alpha_t = self.alpha * targets + (1 - self.alpha) * (1 - targets)
        loss = alpha_t * modulating * bce
        return (loss if self.class_weight is None else loss * self.class_weight).mean()
