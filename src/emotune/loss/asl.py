"""Asymmetric loss (Ridnik et al., ICCV 2021): focusing and a probability margin on negatives only, for the many
easy negatives of multi-label data."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from emotune.data.label_stats import LabelStats


class AsymmetricLoss(nn.Module):
    """mean over rows and labels of -[y (1 - p)^gamma_pos log p + (1 - y) p_m^gamma_neg log(1 - p_m)],
    p = sigmoid(z), p_m = max(p - clip, 0): negatives with p <= clip cost nothing.

    The authors' code sums over rows and labels; the mean keeps the scale of the other losses here (a constant
    factor, batch size times labels). Its optimised version can detach the focusing weights; here they are
    differentiated, as in the paper's gradient analysis. Everything is in log space:
    (1 - p)^gamma_pos = exp(gamma_pos logsigmoid(-z)), log(1 - p_m) = logaddexp(logsigmoid(-z), log clip), and
    p_m^gamma_neg = exp(gamma_neg log p_m) only where p_m > 0, so gradients stay finite for saturated logits and
    fractional gammas. `labels` is unused: the loss needs no
    counts, but every loss is built with them."""

    def __init__(self, labels: LabelStats, gamma_pos: float = 0.0, gamma_neg: float = 4.0, clip: float = 0.05) -> None:
        super().__init__()
        if not 0 <= clip < 1:
            raise ValueError(f"loss.clip={clip}: expected 0 <= clip < 1")
        self.gamma_pos, self.gamma_neg = gamma_pos, gamma_neg
        self.clip, self.log_clip = clip, math.log(clip) if clip > 0 else -math.inf

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits, targets = logits.float(), targets.float()
        positive = torch.exp(self.gamma_pos * F.logsigmoid(-logits)) * F.logsigmoid(logits)
        shifted = torch.sigmoid(logits) - self.clip
        active = shifted > 0
        # log of 1 where p_m is 0: that term is dropped below, and its gradient must not be 0 * inf.
        log_shifted = torch.log(torch.where(active, shifted, torch.ones_like(shifted)))
        log_complement = torch.logaddexp(F.logsigmoid(-logits), torch.full_like(logits, self.log_clip))
        negative = torch.where(active, torch.exp(self.gamma_neg * log_shifted) * log_complement, 0.0)
        return -(targets * positive + (1 - targets) * negative).mean()
