"""Seed- and sample-aware statistics for a multi-seed ablation: is an arm's gain over the baseline real?

Every function takes thresholded predictions, `preds` of shape (S seeds, N report rows, L labels), and the shared
`truth` (N, L). Arms are paired: seed s of every arm used the same seed value, and all arms were scored on the same
rows, so differences are taken seed by seed and rows are resampled identically for both sides.

F1 follows torchmetrics' `multilabel_f1_score` with its defaults (`zero_division=0`): per label
F1 = 2·tp / (2·tp + fp + fn), and 0 when that denominator is 0 — a label with no positives and no predictions scores
0, not 1, and still counts in the macro mean, which divides by every label (torchmetrics drops such labels from the
macro weights only for multiclass, never for multilabel). Micro F1 pools tp, fp and fn over labels first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Replicates drawn per block: bounds the (block, N) weight matrix to a few MB whatever n_boot is. Fixed, so a
# given `seed` always yields the same replicates.
_BLOCK = 250


def _as_binary(x: np.ndarray, name: str, ndim: int) -> np.ndarray:
    """Refuses probabilities or logits: casting 0.3 to bool would silently read as a positive prediction."""
    arr = np.asarray(x)
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dims, got shape {arr.shape}")
    if arr.dtype != bool and not (np.issubdtype(arr.dtype, np.number) and np.isin(arr, (0, 1)).all()):
        raise ValueError(f"{name}: expected bool or 0/1 values (threshold the scores first), got {arr.dtype}")
    return arr.astype(bool, copy=False)


def _check(preds: np.ndarray, truth: np.ndarray, subset: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
    preds, truth = _as_binary(preds, "preds", 3), _as_binary(truth, "truth", 2)
    if preds.shape[1:] != truth.shape:
        raise ValueError(f"preds {preds.shape} do not match truth {truth.shape} as (seeds, rows, labels)")
    if preds.shape[0] == 0:
        raise ValueError("preds: no seeds")
    if subset is not None:
        idx = np.asarray(list(subset), dtype=int)
        if idx.size == 0 or idx.min() < -truth.shape[1] or idx.max() >= truth.shape[1]:
            raise ValueError(f"subset {list(subset)} is empty or outside 0..{truth.shape[1] - 1}")
        preds, truth = preds[..., idx], truth[:, idx]
    return preds, truth


def _f1(tp: np.ndarray, pred_pos: np.ndarray, true_pos: np.ndarray) -> np.ndarray:
    """2·tp / (predicted + actual positives), which equals 2·tp / (2·tp + fp + fn); 0/0 is 0 as in torchmetrics."""
    denom = pred_pos + true_pos
    return np.divide(2.0 * tp, denom, out=np.zeros(np.broadcast(tp, denom).shape), where=denom > 0)


def per_label_f1(preds: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(S, L) per-seed, per-label F1: the one place counts become scores, so every summary shares one definition."""
    preds, truth = _check(preds, truth, None)
    tp = (preds & truth).sum(axis=1)
    return _f1(tp, preds.sum(axis=1), truth.sum(axis=0))


def _mean_std(values: np.ndarray) -> dict:
    # ddof=1: the seeds are a sample of possible seeds; with one seed the spread is unknown, not 0.
    std = float(np.std(values, ddof=1)) if values.size > 1 else float("nan")
    return {"mean": float(np.mean(values)), "std": std, "per_seed": [float(v) for v in values]}


def arm_summary(preds: np.ndarray, truth: np.ndarray, subset: Sequence[int] | None = None) -> dict:
    """Mean ± std over seeds of macro-F1, micro-F1 and (when `subset` is given) macro-F1 over those label indices.

    Returns {"n_seeds", "macro_f1", "micro_f1"[, "subset_macro_f1"]}, each metric a dict of mean, std (ddof=1;
    NaN for one seed) and per_seed. The std describes seed-to-seed spread only; for whether two arms differ use
    `paired_bootstrap_delta`, which also accounts for the finite report set.
    """
    preds, truth = _check(preds, truth, None)
    f1 = per_label_f1(preds, truth)
    tp = (preds & truth).sum(axis=(1, 2))
    micro = _f1(tp, preds.sum(axis=(1, 2)), truth.sum())
    out = {"n_seeds": int(preds.shape[0]), "macro_f1": _mean_std(f1.mean(axis=1)), "micro_f1": _mean_std(micro)}
    if subset is not None:
        _check(preds[:1], truth, subset)  # validates the indices
        out["subset_macro_f1"] = _mean_std(f1[:, np.asarray(list(subset), dtype=int)].mean(axis=1))
    return out


def _count_matrix(preds_arm: np.ndarray, preds_base: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Row indicators whose weighted column sums are every count the F1s need: truth, then per seed the arm's tp and
    predicted positives, then the base's. One (N, L·(1+4S)) matrix lets one matmul score a block of replicates."""
    parts = [truth]
    for preds in (preds_arm, preds_base):
        parts += [(p & truth) for p in preds] + list(preds)
    # float32 holds integer counts exactly up to 2**24 rows, far beyond any report set, and halves matmul time.
    return np.concatenate(parts, axis=1).astype(np.float32)


def _multiplicities(idx: np.ndarray, n: int) -> np.ndarray:
    """(B, n) how often each of n items was drawn in each replicate: one bincount for all replicates at once."""
    offsets = (np.arange(idx.shape[0]) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=idx.shape[0] * n).reshape(idx.shape[0], n)


def _replicate_deltas(counts: np.ndarray, row_idx: np.ndarray, seed_idx: np.ndarray, n_seeds: int) -> np.ndarray:
    """Mean Δ macro-F1 for each replicate, given its resampled row indices (B, N) and seed indices (B, S).

    Row multiplicities turn resampling into a weighted sum, so no (B, N, L) array is ever materialised.
    """
    n_rep, n_rows = row_idx.shape
    weights = _multiplicities(row_idx, n_rows)
    sums = weights.astype(np.float32) @ counts  # (B, L·(1+4S))
    n_labels = counts.shape[1] // (1 + 4 * n_seeds)
    true_pos = sums[:, :n_labels].astype(np.float64)[:, None, :]
    blocks = sums[:, n_labels:].astype(np.float64).reshape(n_rep, 4, n_seeds, n_labels)
    macro_arm = _f1(blocks[:, 0], blocks[:, 1], true_pos).mean(axis=2)  # (B, S)
    macro_base = _f1(blocks[:, 2], blocks[:, 3], true_pos).mean(axis=2)
    seed_weights = _multiplicities(seed_idx, n_seeds) / seed_idx.shape[1]
    return ((macro_arm - macro_base) * seed_weights).sum(axis=1)


def paired_bootstrap_delta(
    preds_arm: np.ndarray,
    preds_base: np.ndarray,
    truth: np.ndarray,
    n_boot: int = 2000,
    seed: int = 0,
    subset: Sequence[int] | None = None,
    confidence: float = 0.95,
) -> dict:
    """Δ macro-F1 (arm − baseline, mean of per-seed differences) with a percentile CI from a two-level bootstrap.

    A seed count of 3–5 alone says nothing about how the result would move on another report set, and the report
    set alone says nothing about seed luck, so each replicate resamples both: report rows with replacement (same
    rows for both arms, keeping the pairing that cancels shared row difficulty) and seeds with replacement (same
    seed indices for both arms, keeping the seed pairing). When seed noise is independent across rows, row
    resampling already sees part of it, so the interval leans conservative; with S seeds, seed resampling sees
    only (S−1)/S of their variance — the two roughly offset, but with 3 seeds treat the CI as approximate.

    Percentile, not scipy.stats.bootstrap: scipy resamples one axis (or paired samples along one axis) and cannot
    cross row and seed resampling; its BCa default would also need an N-point jackknife of the whole statistic.

    Returns delta, low, high, excludes_zero (low > 0 or high < 0), n_boot. Deterministic given `seed`. If
    thresholds were tuned on these same rows, the CI omits the tuning's optimism: tune on val, report on test.
    """
    preds_arm, truth_s = _check(preds_arm, truth, subset)
    preds_base, _ = _check(preds_base, truth, subset)
    if preds_arm.shape != preds_base.shape:
        raise ValueError(f"arm {preds_arm.shape} and baseline {preds_base.shape} must be paired: same seeds and rows")
    if not 0 < confidence < 1 or n_boot < 1:
        raise ValueError(f"need 0 < confidence < 1 and n_boot >= 1, got {confidence}, {n_boot}")
    n_seeds, n_rows, _ = preds_arm.shape
    delta = float((per_label_f1(preds_arm, truth_s).mean(1) - per_label_f1(preds_base, truth_s).mean(1)).mean())
    counts = _count_matrix(preds_arm, preds_base, truth_s)
    rng = np.random.default_rng(seed)
    replicates = []
    for start in range(0, n_boot, _BLOCK):
        size = min(_BLOCK, n_boot - start)
        row_idx = rng.integers(0, n_rows, size=(size, n_rows))
        seed_idx = rng.integers(0, n_seeds, size=(size, n_seeds))
        replicates.append(_replicate_deltas(counts, row_idx, seed_idx, n_seeds))
    alpha = 1.0 - confidence
    low, high = np.quantile(np.concatenate(replicates), [alpha / 2, 1 - alpha / 2])
    return {"delta": delta, "low": float(low), "high": float(high),
            "excludes_zero": bool(low > 0 or high < 0), "n_boot": int(n_boot)}


def per_label_delta(preds_arm: np.ndarray, preds_base: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(L,) mean over seeds of arm − baseline F1 per label: where a technique helps, which macro-F1 averages away."""
    arm, base = per_label_f1(preds_arm, truth), per_label_f1(preds_base, truth)
    if arm.shape != base.shape:
        raise ValueError(f"arm and baseline differ in seeds or labels: {arm.shape} vs {base.shape}")
    return (arm - base).mean(axis=0)


def rarest_labels(truth: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k labels with fewest positives in `truth`, rarest first (ties by index, so runs agree):
    resampling and focal loss aim at these, so their deltas deserve their own look."""
    truth = _as_binary(truth, "truth", 2)
    support = truth.sum(axis=0)
    return np.argsort(support, kind="stable")[: max(0, k)]
