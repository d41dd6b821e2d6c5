"""Per-label calibration of the classifier's logits, fitted on the selection split after training.

Focal loss and resampling squeeze probabilities towards the middle: an unrelated text gets 0.2-0.4 on most emotions.
A monotone map per label (`z * scale + shift`) fixes what the numbers mean without changing any label's ranking, so
the per-label thresholds, tuned on the raw outputs and mapped through it, decide exactly what they decided before.
Being linear in the logits, it folds into a linear head: exported models give calibrated probabilities themselves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize
from scipy.special import expit, logit
from torch import nn
from torchmetrics.functional.classification import binary_calibration_error

METHODS = ("temperature", "platt")
ECE_BINS = 15
# A label the selection split nearly separates pulls its fitted scale towards infinity (148x was seen at the old
# bound, e^5); past this, a calibration says more about a few rows than about the model.
MAX_SCALE = 20.0


@dataclass(frozen=True)
class Calibration:
    """`scale` and `shift` per label; `method=None` is the identity (a run trained with `model.calibration=null`,
    or one from before calibration existed)."""

    scale: np.ndarray
    shift: np.ndarray
    method: str | None = None
    fitted_on: str | None = None

    @classmethod
    def identity(cls, n_labels: int) -> Calibration:
        return cls(np.ones(n_labels), np.zeros(n_labels))

    @classmethod
    def from_record(cls, record: dict, names: list[str]) -> Calibration:
        per_label = record.get("per_label") or {}
        missing = [name for name in names if name not in per_label]
        if per_label and missing:
            raise ValueError(f"calibration.json has no entry for labels {missing[:3]}: it does not belong to this run")
        if not per_label:
            return cls.identity(len(names))
        return cls(np.array([per_label[n]["scale"] for n in names]), np.array([per_label[n]["shift"] for n in names]),
                   record.get("method"), record.get("fitted_on"))

    def record(self, names: list[str]) -> dict:
        per_label = ({n: {"scale": float(a), "shift": float(b)} for n, a, b in zip(names, self.scale, self.shift)}
                     if self.method else None)
        return {"method": self.method, "fitted_on": self.fitted_on, "per_label": per_label}

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """In float64: near 0 and 1, float32 cannot tell a steeply calibrated probability from its threshold, and
        the calibrated decision would then differ from the raw one."""
        scale, shift = (torch.as_tensor(v, dtype=torch.float64) for v in (self.scale, self.shift))
        return torch.sigmoid(logits.double() * scale + shift)

    def calibrated_thresholds(self, raw: np.ndarray) -> np.ndarray:
        """The thresholds on calibrated probabilities that make the decisions `raw` makes on uncalibrated ones."""
        return expit(logit(np.clip(raw, 1e-12, 1 - 1e-12)) * self.scale + self.shift)

    def raw_thresholds(self, thresholds: np.ndarray) -> np.ndarray:
        """The thresholds on uncalibrated probabilities that make the same decisions."""
        return expit((logit(np.clip(thresholds, 1e-12, 1 - 1e-12)) - self.shift) / self.scale)

    def fold_into(self, net: nn.Module) -> None:
        """Rescales the network's final linear layer (the one with a row per label) so its logits come out
        calibrated. PEFT keeps an untouched copy of a saved head as `original_module`; only the trained one is
        changed."""
        heads = [m for name, m in net.named_modules() if isinstance(m, nn.Linear)
                 and m.out_features == len(self.scale) and "original_module" not in name]
        if len(heads) != 1:
            raise ValueError(f"cannot fold calibration into the model: expected one linear head with "
                             f"{len(self.scale)} outputs, found {len(heads)}")
        head = heads[0]
        with torch.no_grad():
            scale = torch.as_tensor(self.scale, dtype=head.weight.dtype, device=head.weight.device)
            shift = torch.as_tensor(self.shift, dtype=head.weight.dtype, device=head.weight.device)
            if head.bias is None and bool(shift.any()):
                raise ValueError("cannot fold Platt calibration into a head without a bias (a decoder's score "
                                 "layer): train with model.calibration=temperature for a model that exports")
            head.weight.mul_(scale[:, None])
            if head.bias is not None:
                head.bias.mul_(scale).add_(shift)


def bce_and_gradient(params: np.ndarray, logits: np.ndarray, labels: np.ndarray, platt: bool) -> tuple:
    """Mean binary cross-entropy of every label (they are independent, so one sum fits them all at once) and its
    gradient in (log scale, shift) per label."""
    n = logits.shape[1]
    log_scale, shift = params[:n], (params[n:] if platt else np.zeros(n))
    z = logits * np.exp(log_scale) + shift
    loss = np.logaddexp(0, z) - labels * z
    residual = (expit(z) - labels) / len(logits)
    grad_log_scale = (residual * logits).sum(0) * np.exp(log_scale)
    gradient = np.concatenate([grad_log_scale, residual.sum(0)]) if platt else grad_log_scale
    return loss.mean(0).sum(), gradient


def check_method(method: str | None) -> None:
    if method is not None and method not in METHODS:
        raise ValueError(f"model.calibration={method!r}: expected one of {METHODS} or null")


def fit_calibration(logits: np.ndarray, labels: np.ndarray, method: str, split: str) -> Calibration:
    """Temperature scaling (Guo et al., 2017; one divisor per label) or Platt scaling (a scale and a shift per
    label), by maximum likelihood on `split`. The scale is kept positive (fitted in log space), so no label's
    ranking changes, and within [1/MAX_SCALE, MAX_SCALE]. A label with no positive or no negative row on the split
    keeps the identity."""
    check_method(method)
    logits, labels = logits.astype(np.float64), labels.astype(np.float64)
    n = logits.shape[1]
    platt = method == "platt"
    start = np.zeros(2 * n if platt else n)
    bounds = [(-np.log(MAX_SCALE), np.log(MAX_SCALE))] * n + ([(-20.0, 20.0)] * n if platt else [])
    fitted = minimize(bce_and_gradient, start, args=(logits, labels, platt), jac=True, method="L-BFGS-B",
                      bounds=bounds).x
    both = labels.any(0) & ~labels.all(0)
    scale = np.where(both, np.exp(fitted[:n]), 1.0)
    shift = np.where(both, fitted[n:], 0.0) if platt else np.zeros(n)
    return Calibration(scale, shift, method, split)


def calibration_errors(probs: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Expected calibration error (L1, 15 equal-width bins) over every (row, label) decision, and its mean over the
    labels; the first is dominated by the many easy negatives, the second weighs rare emotions as much as common."""
    labels = labels.int()
    pooled = binary_calibration_error(probs.flatten(), labels.flatten(), n_bins=ECE_BINS)
    columns = zip(probs.T.contiguous(), labels.T.contiguous())
    per_label = [binary_calibration_error(p, y, n_bins=ECE_BINS) for p, y in columns]
    return {"ece": float(pooled), "macro_ece": float(torch.stack(per_label).mean())}
