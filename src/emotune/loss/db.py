"""Distribution-balanced loss (Wu et al., ECCV 2020): BCE re-weighted for label co-occurrence, with
negative-tolerant regularisation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from emotune.data.label_stats import LabelStats
from emotune.loss.weights import positive_counts


class DistributionBalancedLoss(nn.Module):
    """mean over rows k and labels i of r_hat_ki * l_ki, the paper's per-row (1/C) sum over labels, batch-averaged.

    Re-balanced weighting: r_ki = P^C_i / P^I(x_k) = (1 / n_i) / sum_j y_kj / n_j (the 1/C factors cancel),
    smoothed to r_hat = alpha + sigmoid(beta * (r - mu)). Rebalancing by single-label counts over-samples the
    frequent labels that co-occur with rare ones; r corrects each row's labels for that. It weighs the positive and
    the negative term alike. A row without positives would never be drawn by class-aware sampling: its r is
    infinite, r_hat = alpha + 1, as in the authors' code.

    Negative-tolerant regularisation: l = softplus(-(z - nu)) on positives and softplus(lambda (z - nu)) / lambda
    on negatives, lambda = `neg_scale`, so negatives stop pushing once below the margin. nu_i = -kappa * b_hat_i with
    b_hat_i = -log(1 / p_i - 1), p_i = n_i / N, the bias plain BCE drives label i's logit to: rare labels get
    nu > 0, so their logits are suppressed less. This is the sign of the authors' code; their extra 1 / lambda on nu
    is left out, as they acknowledged it as a bug (wutong16/DistributionBalancedLoss#8).

    `gamma` > 0 adds the focal factor (1 - q_t)^gamma on the shifted logits (DB-Focal), in log space as in
    focal.py."""

    def __init__(
        self,
        labels: LabelStats,
        alpha: float = 0.1,
        beta: float = 10.0,
        mu: float = 0.2,
        kappa: float = 0.05,
        neg_scale: float = 2.0,
        gamma: float = 0.0,
    ) -> None:
        super().__init__()
        positives = positive_counts(labels, "loss=db")
        full = [name for name, n in zip(labels.names, labels.positives) if n >= labels.n_rows]
        if full:
            raise ValueError(f"loss=db: labels {full} are positive on every train row: their prior logit is infinite")
        self.alpha, self.beta, self.mu, self.neg_scale, self.gamma = alpha, beta, mu, neg_scale, gamma
        self.register_buffer("inv_count", (1 / positives).float())
        self.register_buffer("nu", (kappa * torch.log(labels.n_rows / positives - 1)).float())

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits, targets = logits.float(), targets.float()
        # A row without positives has P^I = 0: r is then as large as a float allows (not inf, which beta = 0 would
        # turn into NaN), so r_hat = alpha + 1 for beta > 0.
        instance = (targets @ self.inv_count).clamp(min=torch.finfo(torch.float32).tiny)
        r = self.inv_count / instance.unsqueeze(1)
        r_hat = self.alpha + torch.sigmoid(self.beta * (r - self.mu))
        shifted = logits - self.nu
        lam = self.neg_scale
        loss = targets * F.softplus(-shifted) + (1 - targets) * F.softplus(lam * shifted) / lam
        if self.gamma:
            toward_error = targets * -shifted + (1 - targets) * lam * shifted
            loss = loss * torch.exp(self.gamma * F.logsigmoid(toward_error))
        return (r_hat * loss).mean()
