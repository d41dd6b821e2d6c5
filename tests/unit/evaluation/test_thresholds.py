import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from emotune.run.thresholds import GRID, tune_thresholds


def f1(pred: np.ndarray, truth: np.ndarray) -> float:
    tp, fp, fn = (pred & truth).sum(), (pred & ~truth).sum(), (~pred & truth).sum()
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 80))
def test_each_label_gets_its_best_f1_threshold(seed, n):
    rng = np.random.default_rng(seed)
    labels = rng.random((n, 3)) < 0.3
    probs = np.clip(labels * 0.3 + rng.random((n, 3)) * 0.7, 0, 1)
    tuned = tune_thresholds(probs, labels)
    for j in range(3):
        best = max(f1(probs[:, j] >= t, labels[:, j]) for t in GRID)
        assert f1(probs[:, j] >= tuned[j], labels[:, j]) == best


def test_rare_label_gets_a_low_threshold():
    probs = np.array([[0.3], [0.25], [0.1], [0.05]])
    labels = np.array([[1], [1], [0], [0]])
    assert tune_thresholds(probs, labels)[0] == 0.11


def test_a_label_without_positives_keeps_the_default():
    probs = np.array([[0.3, 0.9], [0.25, 0.2], [0.1, 0.6]])
    labels = np.array([[1, 0], [0, 0], [0, 0]])
    tuned = tune_thresholds(probs, labels, default=0.5)
    assert tuned[1] == 0.5 and tuned[0] == 0.26
