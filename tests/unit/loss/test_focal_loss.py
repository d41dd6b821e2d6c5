import math

import pytest
import torch
import torch.nn.functional as F

from emotune.data import LabelStats
from emotune.loss import BCELoss, FocalLoss

NAMES = ["joy", "anger", "grief"]
LABELS = LabelStats(NAMES, [5, 3, 1], 10)


def direct_focal(logits: torch.Tensor, targets: torch.Tensor, alpha: list[float], gamma: float) -> float:
    """The formula written out element by element, independent of the vectorised implementation."""
    total = 0.0
    for i in range(logits.shape[0]):
        for j in range(logits.shape[1]):
            p = 1 / (1 + math.exp(-float(logits[i, j])))
            y = float(targets[i, j])
            p_t = p if y == 1 else 1 - p
            a_t = alpha[j] if y == 1 else 1 - alpha[j]
            total += -a_t * (1 - p_t) ** gamma * math.log(p_t)
    return total / logits.numel()


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.0])
def test_matches_formula(gamma: float) -> None:
    torch.manual_seed(0)
    logits = torch.randn(7, 3) * 3
    targets = (torch.rand(7, 3) > 0.6).float()
    loss = FocalLoss(LABELS, gamma=gamma, preferred=["anger"], alpha_preferred=0.75, alpha_other=0.25)
    expected = direct_focal(logits, targets, [0.25, 0.75, 0.25], gamma)
    assert float(loss(logits, targets)) == pytest.approx(expected, rel=1e-5)


def test_gamma_zero_is_alpha_weighted_bce() -> None:
    torch.manual_seed(1)
    logits, targets = torch.randn(5, 3), (torch.rand(5, 3) > 0.5).float()
    loss = FocalLoss(LABELS, gamma=0.0, preferred=["joy", "grief"], alpha_preferred=0.9, alpha_other=0.1)
    alpha = torch.tensor([0.9, 0.1, 0.9])
    weights = alpha * targets + (1 - alpha) * (1 - targets)
    expected = F.binary_cross_entropy_with_logits(logits, targets, weight=weights)
    assert torch.allclose(loss(logits, targets), expected, atol=1e-6)


def test_focusing_down_weights_easy_examples() -> None:
    positive = torch.ones(1, 1)

    def easy_over_hard(gamma: float) -> float:
        loss = FocalLoss(LabelStats(["x"], [1], 2), gamma=gamma)
        return float(loss(torch.tensor([[4.0]]), positive) / loss(torch.tensor([[0.0]]), positive))

    assert easy_over_hard(2.0) < 0.01 * easy_over_hard(0.0)


def test_preferred_labels_outside_the_label_set_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    loss = FocalLoss(LABELS, preferred=["joy", "pride"])
    assert loss.alpha.tolist() == [0.75, 0.25, 0.25]
    assert "pride" in caplog.text


def test_bce_is_plain_mean_bce() -> None:
    logits, targets = torch.randn(4, 3), (torch.rand(4, 3) > 0.5).float()
    assert torch.allclose(BCELoss(LABELS)(logits, targets), F.binary_cross_entropy_with_logits(logits, targets))


def test_balanced_bce_weighs_positives_by_negative_to_positive_ratio() -> None:
    logits, targets = torch.randn(4, 3), (torch.rand(4, 3) > 0.5).float()
    expected = F.binary_cross_entropy_with_logits(logits, targets, pos_weight=torch.tensor([1.0, 7 / 3, 9.0]))
    assert torch.allclose(BCELoss(LABELS, pos_weight="balanced")(logits, targets), expected)


def test_balanced_bce_refuses_a_label_without_positives() -> None:
    with pytest.raises(ValueError, match=r"labels \['grief'\] have no positives"):
        BCELoss(LabelStats(NAMES, [5, 3, 0], 10), pos_weight="balanced")


def power_focal(logits: torch.Tensor, targets: torch.Tensor, alpha: torch.Tensor, gamma: float) -> torch.Tensor:
    """The formula as first implemented, with (1 - p_t)^gamma taken directly."""
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = torch.exp(-bce)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * (1 - p_t).pow(gamma) * bce).mean()


@pytest.mark.parametrize("gamma", [0.0, 0.1, 0.5, 1.0, 2.0])
def test_equals_the_direct_power_on_moderate_logits(gamma: float) -> None:
    torch.manual_seed(2)
    logits, targets = (torch.randn(64, 3) * 4).requires_grad_(), (torch.rand(64, 3) > 0.5).float()
    value = FocalLoss(LABELS, gamma=gamma, preferred=["anger"])(logits, targets)
    expected = power_focal(logits, targets, torch.tensor([0.25, 0.75, 0.25]), gamma)
    torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-7)
    grad, = torch.autograd.grad(value, logits)
    expected_grad, = torch.autograd.grad(expected, logits)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("gamma", [0.1, 0.5, 1.0, 2.0])
def test_gradients_stay_finite_at_confident_logits(gamma: float) -> None:
    logits = torch.tensor([[30.0, -30.0, 30.0], [-30.0, 30.0, -30.0]], requires_grad=True)
    targets = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # right and wrong at both signs
    value = FocalLoss(LABELS, gamma=gamma)(logits, targets)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()
    if gamma < 1:  # the direct power is where this went wrong
        plain = logits.detach().requires_grad_()
        power_focal(plain, targets, torch.full((3,), 0.25), gamma).backward()
        assert torch.isnan(plain.grad).any()
