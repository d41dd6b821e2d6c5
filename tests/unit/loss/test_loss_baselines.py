"""The literature's baselines (distribution-balanced, asymmetric, class-balanced) against their formulas written
out element by element, independently of the vectorised implementations."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import compose_train
from hydra.utils import instantiate

from emotune.data import LabelStats
from emotune.loss import AsymmetricLoss, BCELoss, DistributionBalancedLoss, FocalLoss

NAMES = ["joy", "anger", "grief", "pride"]
COUNTS, ROWS = [40, 15, 3, 7], 60
LABELS = LabelStats(NAMES, COUNTS, ROWS)


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def random_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random logits and targets, with rows of three, two and no positives among them."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(9, 4, generator=generator) * 3
    targets = (torch.rand(9, 4, generator=generator) > 0.6).float()
    targets[:3] = torch.tensor([[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    return logits, targets


def direct_db(logits: torch.Tensor, targets: torch.Tensor, alpha: float, beta: float, mu: float, kappa: float,
              lam: float, gamma: float) -> float:
    """Wu et al. (ECCV 2020), term by term, averaged over rows and labels."""
    rows, classes = logits.shape
    total = 0.0
    for k in range(rows):
        p_instance = sum(1 / (classes * COUNTS[j]) for j in range(classes) if targets[k, j] == 1)
        for i in range(classes):
            p_class = 1 / (classes * COUNTS[i])
            r = p_class / p_instance if p_instance > 0 else math.inf  # never sampled: the authors' code gives inf
            r_hat = alpha + sigmoid(beta * (r - mu))
            b_hat = -math.log(1 / (COUNTS[i] / ROWS) - 1)
            nu = -kappa * b_hat  # the sign of the authors' code: rare labels (b_hat < 0) get nu > 0
            s = float(logits[k, i]) - nu
            if targets[k, i] == 1:
                q = sigmoid(s)
                term = -((1 - q) ** gamma) * math.log(q)
            else:
                q = sigmoid(lam * s)
                term = -(1 / lam) * q**gamma * math.log(sigmoid(-lam * s))  # log(1 - q), q may round to 1
            total += r_hat * term
    return total / logits.numel()


DB_SETTINGS = [
    {"alpha": 0.1, "beta": 10.0, "mu": 0.2, "kappa": 0.05, "neg_scale": 2.0, "gamma": 0.0},
    {"alpha": 0.1, "beta": 10.0, "mu": 0.2, "kappa": 0.05, "neg_scale": 2.0, "gamma": 2.0},
    {"alpha": 0.3, "beta": 5.0, "mu": 0.5, "kappa": 0.4, "neg_scale": 5.0, "gamma": 0.5},
]


@pytest.mark.parametrize("settings", DB_SETTINGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_db_matches_formula(settings: dict, seed: int) -> None:
    logits, targets = random_batch(seed)
    value = DistributionBalancedLoss(LABELS, **settings)(logits, targets)
    s = settings
    expected = direct_db(logits, targets, s["alpha"], s["beta"], s["mu"], s["kappa"], s["neg_scale"], s["gamma"])
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_db_without_its_parts_is_bce() -> None:
    """beta = 0 makes r_hat = alpha + 1/2 for every term; kappa = 0 and lambda = 1 remove the regularisation."""
    logits, targets = random_batch(2)
    loss = DistributionBalancedLoss(LABELS, alpha=0.5, beta=0.0, kappa=0.0, neg_scale=1.0)
    torch.testing.assert_close(loss(logits, targets), F.binary_cross_entropy_with_logits(logits, targets))


def test_db_bias_lifts_rare_labels() -> None:
    """nu_i = kappa log(1/p_i - 1): positive below a prior of 1/2, so a rare label's negative costs less."""
    loss = DistributionBalancedLoss(LABELS)
    expected = [0.05 * math.log(ROWS / n - 1) for n in COUNTS]
    torch.testing.assert_close(loss.nu, torch.tensor(expected))
    assert loss.nu[0] < 0 < loss.nu[2]
    plain = DistributionBalancedLoss(LABELS, kappa=0.0)
    negative = torch.zeros(1, 4)
    assert loss(torch.zeros(1, 4), negative) < plain(torch.zeros(1, 4), negative)


def test_db_refuses_labels_without_finite_prior_logit() -> None:
    with pytest.raises(ValueError, match=r"loss=db: labels \['grief'\] have no positives"):
        DistributionBalancedLoss(LabelStats(NAMES, [40, 15, 0, 7], ROWS))
    with pytest.raises(ValueError, match=r"labels \['joy'\] are positive on every train row"):
        DistributionBalancedLoss(LabelStats(NAMES, [60, 15, 3, 7], ROWS))


def direct_asl(logits: torch.Tensor, targets: torch.Tensor, gamma_pos: float, gamma_neg: float, clip: float) -> float:
    """Ridnik et al. (ICCV 2021), term by term, averaged over rows and labels."""
    total = 0.0
    for z, y in zip(logits.flatten().tolist(), targets.flatten().tolist()):
        p = sigmoid(z)
        if y == 1:
            total -= (1 - p) ** gamma_pos * math.log(p)
        else:
            p_m = max(p - clip, 0.0)
            total -= p_m**gamma_neg * math.log(1 - p_m)
    return total / logits.numel()


ASL_SETTINGS = [(0.0, 4.0, 0.05), (1.0, 4.0, 0.05), (0.5, 0.3, 0.1), (0.0, 2.0, 0.0)]


@pytest.mark.parametrize(("gamma_pos", "gamma_neg", "clip"), ASL_SETTINGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_asl_matches_formula(gamma_pos: float, gamma_neg: float, clip: float, seed: int) -> None:
    logits, targets = random_batch(seed)
    value = AsymmetricLoss(LABELS, gamma_pos=gamma_pos, gamma_neg=gamma_neg, clip=clip)(logits, targets)
    assert float(value) == pytest.approx(direct_asl(logits, targets, gamma_pos, gamma_neg, clip), rel=1e-5)


def test_asl_without_focusing_or_clip_is_bce() -> None:
    logits, targets = random_batch(3)
    loss = AsymmetricLoss(LABELS, gamma_pos=0.0, gamma_neg=0.0, clip=0.0)
    torch.testing.assert_close(loss(logits, targets), F.binary_cross_entropy_with_logits(logits, targets))


def test_asl_refuses_clip_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="loss.clip=1.0"):
        AsymmetricLoss(LABELS, clip=1.0)


def direct_cb_weights(beta: float) -> np.ndarray:
    weights = np.array([(1 - beta) / (1 - beta**n) for n in COUNTS])
    return weights / weights.sum() * len(COUNTS)


@pytest.mark.parametrize("beta", [0.0, 0.9, 0.99, 0.9999])
def test_class_balanced_weights_match_formula_and_sum_to_label_count(beta: float) -> None:
    for loss in (BCELoss(LABELS, class_balanced_beta=beta), FocalLoss(LABELS, class_balanced_beta=beta)):
        np.testing.assert_allclose(loss.class_weight.numpy(), direct_cb_weights(beta), rtol=1e-6)
        assert float(loss.class_weight.sum()) == pytest.approx(len(NAMES))


def test_class_balanced_weights_favour_rare_labels() -> None:
    weights = BCELoss(LABELS, class_balanced_beta=0.99).class_weight
    assert weights[2] > weights[3] > weights[1] > weights[0]


def direct_weighted_focal(logits: torch.Tensor, targets: torch.Tensor, weights: np.ndarray, alpha: float,
                          gamma: float) -> float:
    total = 0.0
    for k in range(logits.shape[0]):
        for i in range(logits.shape[1]):
            p = sigmoid(float(logits[k, i]))
            y = float(targets[k, i])
            p_t = p if y == 1 else 1 - p
            a_t = alpha if y == 1 else 1 - alpha
            total -= weights[i] * a_t * (1 - p_t) ** gamma * math.log(p_t)
    return total / logits.numel()


@pytest.mark.parametrize("beta", [0.9, 0.9999])
def test_class_balanced_bce_matches_formula(beta: float) -> None:
    logits, targets = random_batch(4)
    value = BCELoss(LABELS, class_balanced_beta=beta)(logits, targets)
    # alpha = 1/2 and gamma = 0 make the focal sum plain BCE, at half the value.
    expected = 2 * direct_weighted_focal(logits, targets, direct_cb_weights(beta), 0.5, 0.0)
    assert float(value) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(("beta", "gamma"), [(0.9, 2.0), (0.9999, 0.5)])
def test_class_balanced_focal_matches_formula(beta: float, gamma: float) -> None:
    logits, targets = random_batch(5)
    value = FocalLoss(LABELS, gamma=gamma, alpha_other=0.25, class_balanced_beta=beta)(logits, targets)
    expected = direct_weighted_focal(logits, targets, direct_cb_weights(beta), 0.25, gamma)
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_class_balanced_beta_zero_is_unweighted() -> None:
    logits, targets = random_batch(6)
    for make in (lambda **kw: BCELoss(LABELS, **kw), lambda **kw: BCELoss(LABELS, pos_weight="balanced", **kw),
                 lambda **kw: FocalLoss(LABELS, gamma=2.0, preferred=["anger"], **kw)):
        torch.testing.assert_close(make(class_balanced_beta=0.0)(logits, targets), make()(logits, targets))


def test_class_balanced_refuses_labels_without_positives_and_bad_beta() -> None:
    empty = LabelStats(NAMES, [40, 0, 3, 0], ROWS)
    for make in (BCELoss, FocalLoss):
        with pytest.raises(ValueError, match=r"loss.class_balanced_beta=0.99: labels \['anger', 'pride'\] have no"):
            make(empty, class_balanced_beta=0.99)
        with pytest.raises(ValueError, match="expected 0 <= beta < 1"):
            make(LABELS, class_balanced_beta=1.0)


CONFIDENT = torch.tensor([[30.0, -30.0, 30.0, -30.0], [-30.0, 30.0, -30.0, 30.0]])
CONFIDENT_TARGETS = torch.tensor([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])  # right and wrong at both signs
# Just either side of the clip, where p_m^gamma_neg has an infinite derivative for gamma_neg < 1.
NEAR_CLIP = torch.full((2, 4), math.log(0.05 / 0.95)) + torch.tensor([[0.0, 1e-6, -1e-6, 1e-3]])
LOSSES = {
    "asl": lambda: AsymmetricLoss(LABELS),
    "asl_fractional": lambda: AsymmetricLoss(LABELS, gamma_pos=0.3, gamma_neg=0.5),
    "asl_no_clip": lambda: AsymmetricLoss(LABELS, gamma_pos=0.5, gamma_neg=0.2, clip=0.0),
    "db": lambda: DistributionBalancedLoss(LABELS),
    "db_focal": lambda: DistributionBalancedLoss(LABELS, gamma=0.5),
    "cb_bce": lambda: BCELoss(LABELS, class_balanced_beta=0.9999),
    "cb_focal": lambda: FocalLoss(LABELS, gamma=0.5, class_balanced_beta=0.9999),
}


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("at", [CONFIDENT, NEAR_CLIP], ids=["logits+-30", "near-clip"])
def test_gradients_stay_finite(name: str, at: torch.Tensor) -> None:
    logits = at.clone().requires_grad_()
    value = LOSSES[name]()(logits, CONFIDENT_TARGETS)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()


def test_gradients_match_the_formula() -> None:
    """Autograd through the log-space form equals the derivative of the direct formula (central differences)."""
    logits, targets = random_batch(7)
    for loss, direct in ((AsymmetricLoss(LABELS, gamma_pos=1.0), lambda z: direct_asl(z, targets, 1.0, 4.0, 0.05)),
                         (DistributionBalancedLoss(LABELS, gamma=2.0),
                          lambda z: direct_db(z, targets, 0.1, 10.0, 0.2, 0.05, 2.0, 2.0))):
        z = logits.double().requires_grad_()
        grad, = torch.autograd.grad(loss(z, targets), z)
        for k, i in [(0, 0), (0, 3), (2, 1), (5, 2)]:
            step = torch.zeros_like(logits, dtype=torch.float64)
            step[k, i] = 1e-4
            numeric = (direct(logits.double() + step) - direct(logits.double() - step)) / 2e-4
            assert float(grad[k, i]) == pytest.approx(numeric, rel=1e-3, abs=1e-7)


PRESETS = {
    "db": (DistributionBalancedLoss, {"alpha": 0.1, "beta": 10.0, "mu": 0.2, "kappa": 0.05, "neg_scale": 2.0,
                                      "gamma": 0.0}),
    "asl": (AsymmetricLoss, {"gamma_pos": 0.0, "gamma_neg": 4.0, "clip": 0.05}),
    "cb_bce": (BCELoss, {"pos_weight": None, "class_balanced_beta": 0.9999}),
    "cb_focal": (FocalLoss, {"gamma": 2.0, "alpha_preferred": 0.75, "alpha_other": 0.25,
                             "class_balanced_beta": 0.9999}),
    "bce": (BCELoss, {"class_balanced_beta": None}),
    "bce_balanced": (BCELoss, {"pos_weight": "balanced", "class_balanced_beta": None}),
    "focal": (FocalLoss, {"class_balanced_beta": None}),
}


@pytest.mark.parametrize("name", PRESETS)
def test_config_composes_and_builds(name: str, tmp_path: Path, small_table_overrides: list[str]) -> None:
    cfg = compose_train(tmp_path, [*small_table_overrides, f"loss={name}"])
    cls, expected = PRESETS[name]
    assert {key: cfg.loss[key] for key in expected} == expected
    labels = LabelStats(["joy", "anger", "sadness"], [120, 90, 4], 400)
    loss = instantiate(cfg.loss, labels=labels)
    assert type(loss) is cls
    logits = (torch.randn(8, 3) * 5).requires_grad_()
    value = loss(logits, (torch.rand(8, 3) > 0.5).float())
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(logits.grad).all()
    if name == "cb_focal":
        assert list(cfg.loss.preferred) == list(cfg.preferred_labels)
        assert loss.alpha.tolist() == [0.75, 0.75, 0.75]  # all three are preferred emotions
        assert float(loss.class_weight.sum()) == pytest.approx(3.0)
