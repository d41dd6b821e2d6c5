"""Properties of the samplers on random multi-label data (hypothesis draws the data and settings)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neighbors import NearestNeighbors

from emotune.sampling import ISMOTE, MajorityUndersampler, RandomOversampler

SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def multilabel(draw, min_per_label: int = 4):
    """X (n, d) float32 and multi-hot Y with at least `min_per_label` single-label rows of every label."""
    n_labels = draw(st.integers(2, 5))
    extra = draw(st.integers(0, 40))
    dim = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = np.repeat(np.eye(n_labels, dtype=np.uint8), min_per_label, axis=0)
    random_rows = (rng.random((extra, n_labels)) < draw(st.floats(0.1, 0.6))).astype(np.uint8)
    Y = np.concatenate([base, random_rows])
    X = rng.normal(size=(len(Y), dim)).astype(np.float32)
    if draw(st.booleans()):
        X[1] = X[0]  # a duplicate row: d = 0 must still work
    return X, Y


def line_parameter(new: np.ndarray, seed: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """t with new = seed + t * direction, asserting the point lies on that line."""
    norm2 = (direction**2).sum(axis=1)
    t = np.where(norm2 > 0, ((new - seed) * direction).sum(axis=1) / np.maximum(norm2, 1e-30), 0.0)
    np.testing.assert_allclose(seed + t[:, None] * direction, new, atol=1e-4)
    return t


@SETTINGS
@given(data=multilabel(), k=st.integers(1, 8), direction=st.sampled_from(["reference", "paper"]),
       target=st.integers(5, 30), state=st.integers(0, 1000))
def test_synthetic_rows_lie_on_the_seed_neighbour_line(data, k, direction, target, state):
    X, Y = data
    sampler = ISMOTE(target, k_neighbors=k, direction=direction, random_state=state)
    X_out, _ = sampler.fit_resample(X, Y)
    new = X_out[len(X):]
    q, j = X[sampler.synthetic_seeds_], X[sampler.synthetic_neighbors_]
    t = line_parameter(new, q, q - j if direction == "reference" else j - q)
    assert ((t > -0.5 - 1e-4) & (t < 1.5 + 1e-4)).all()
    same = (q == j).all(axis=1)
    np.testing.assert_array_equal(new[same], q[same])


def neighbours_in_bag(X: np.ndarray, Y: np.ndarray, label: int, row: int, k: int) -> np.ndarray:
    bag = np.flatnonzero(Y[:, label])
    k = min(k, len(bag) - 1)
    found = NearestNeighbors(n_neighbors=k + 1).fit(X[bag]).kneighbors(X[[row]], return_distance=False)[0]
    return bag[[i for i in found if bag[i] != row][:k]]


@SETTINGS
@given(data=multilabel(), rule=st.sampled_from(["copy", "ranking", "union", "intersection"]), k=st.integers(1, 8),
       state=st.integers(0, 99))
def test_each_synthetic_row_carries_the_labels_its_rule_gives(data, rule, k, state):
    X, Y = data
    X[1] += 1e-3  # distinct rows, so every seed's neighbour set is unambiguous
    sampler = ISMOTE(25, k_neighbors=k, label_rule=rule, random_state=state)
    _, Y_out = sampler.fit_resample(X, Y)
    for row, (seed, label) in enumerate(zip(sampler.synthetic_seeds_, sampler.synthetic_for_)):
        group = Y[np.concatenate([[seed], neighbours_in_bag(X, Y, label, seed, k)])]
        expected = {"copy": group[0], "union": group.max(axis=0), "intersection": group.min(axis=0),
                    "ranking": (2 * group.sum(axis=0) >= len(group)).astype(np.uint8)}[rule]
        np.testing.assert_array_equal(Y_out[len(Y) + row], expected)
        assert Y_out[len(Y) + row, label] == 1


@SETTINGS
@given(data=multilabel(), target=st.integers(5, 40), rule=st.sampled_from(["copy", "ranking", "union"]),
       sampler_cls=st.sampled_from([ISMOTE, RandomOversampler]))
def test_running_counting_never_overshoots(data, target, rule, sampler_cls):
    X, Y = data
    kwargs = {"label_rule": rule, "k_neighbors": 2} if sampler_cls is ISMOTE else {}
    sampler = sampler_cls(target, random_state=0, **kwargs)
    _, Y_out = sampler.fit_resample(X, Y)
    before, after = Y.sum(axis=0), Y_out.sum(axis=0)
    assert (after <= np.maximum(before, target)).all()
    if rule == "copy":  # every label has single-label seeds, so each one reaches its target exactly
        np.testing.assert_array_equal(after, np.maximum(before, target))


def test_reference_counting_overshoots_through_co_occurring_labels():
    rng = np.random.default_rng(0)
    Y = np.array([[1, 1]] * 10 + [[1, 0]] * 10 + [[0, 1]] * 2, dtype=np.uint8)
    X = rng.normal(size=(len(Y), 3)).astype(np.float32)
    reference = ISMOTE(40, k_neighbors=1, counting="reference", random_state=0)
    running = ISMOTE(40, k_neighbors=1, counting="running", random_state=0)
    assert (reference.fit_resample(X, Y)[1].sum(axis=0) > 40).any()
    np.testing.assert_array_equal(running.fit_resample(X, Y)[1].sum(axis=0), [40, 40])


@SETTINGS
@given(data=multilabel(), state=st.integers(0, 99))
def test_the_same_seed_gives_identical_output(data, state):
    X, Y = data
    first = ISMOTE(30, k_neighbors=2, random_state=state).fit_resample(X, Y)
    again = ISMOTE(30, k_neighbors=2, random_state=state).fit_resample(X, Y)
    other = ISMOTE(30, k_neighbors=2, random_state=state + 1).fit_resample(X, Y)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert len(first[0]) == len(X) or not np.array_equal(first[0], other[0])


@SETTINGS
@given(data=multilabel(min_per_label=1), mode=st.sampled_from(["systematic", "random"]), every=st.integers(1, 7),
       ratio=st.floats(0, 1), state=st.integers(0, 99))
def test_undersampling_never_drops_a_row_with_a_minority_label(data, mode, every, ratio, state):
    X, Y = data
    sampler = MajorityUndersampler(majority=[0], mode=mode, keep_every=every, keep_ratio=ratio, random_state=state)
    X_out, Y_out = sampler.fit_resample(X, Y)
    kept = set(sampler.sample_indices_.tolist())
    minority = np.flatnonzero(Y[:, 1:].any(axis=1))
    assert set(minority.tolist()) <= kept
    only_majority = np.flatnonzero(Y[:, 0].astype(bool) & ~Y[:, 1:].any(axis=1))
    expected = -(-len(only_majority) // every) if mode == "systematic" else round(ratio * len(only_majority))
    assert len(kept) == len(Y) - len(only_majority) + expected
    np.testing.assert_array_equal(X_out, X[sampler.sample_indices_])


def test_reference_undersampling_keeps_every_sixth_neutral_only_row():
    Y = np.zeros((20, 3), dtype=np.uint8)
    Y[:, 2] = 1
    Y[[3, 4], 0] = 1  # neutral with another label: always kept
    sampler = MajorityUndersampler(majority=["neutral"], keep_every=6)
    sampler.fit_resample(np.zeros((20, 2)), Y, ["joy", "anger", "neutral"])
    assert sampler.sample_indices_.tolist() == [0, 3, 4, 8, 14]  # neutral-only rows 0,1,2,5,... -> every 6th


def test_bad_settings_get_clear_errors():
    X, Y = np.random.default_rng(0).normal(size=(6, 2)), np.array([[1, 0]] * 4 + [[0, 1]] * 2, dtype=np.uint8)
    with pytest.raises(ValueError, match=r"target 3 for 'joy' is below its current count 4"):
        ISMOTE({"joy": 3}).fit_resample(X, Y, ["joy", "anger"])
    with pytest.raises(ValueError, match="unknown label 'glee'"):
        ISMOTE({"glee": 9}).fit_resample(X, Y, ["joy", "anger"])
    with pytest.raises(ValueError, match="target_count=9 exceeds the 4 majority-only rows"):
        MajorityUndersampler(majority=[0], mode="random", target_count=9).fit_resample(X, Y)


def test_k_neighbors_past_a_small_bag_is_clamped_to_the_bag(caplog):
    rng = np.random.default_rng(0)
    Y = np.array([[1, 0]] * 8 + [[0, 1]] * 3, dtype=np.uint8)
    X = rng.normal(size=(len(Y), 3)).astype(np.float32)
    sampler = ISMOTE(30, k_neighbors=5, random_state=0)
    X_out, Y_out = sampler.fit_resample(X, Y, ["joy", "grief"])
    assert "ISMOTE: label 'grief' has 3 positives in train, so k_neighbors=5 is clamped to 2 for it" in caplog.text
    assert "'joy'" not in caplog.text  # 8 positives leave k=5 as it is
    np.testing.assert_array_equal(Y_out.sum(axis=0), [30, 30])
    assert np.isfinite(X_out).all()
    grief = sampler.synthetic_for_ == 1
    seeds, neighbours = sampler.synthetic_seeds_[grief], sampler.synthetic_neighbors_[grief]
    bag = {8, 9, 10}
    assert set(seeds.tolist()) <= bag and set(neighbours.tolist()) <= bag and (seeds != neighbours).all()
    pairs = set(zip(seeds.tolist(), neighbours.tolist()))
    assert pairs == {(q, j) for q in bag for j in bag if q != j}  # both other rows serve: k is 2, not 1
    t = line_parameter(X_out[len(X):][grief], X[seeds], X[seeds] - X[neighbours])
    assert ((t > -0.5 - 1e-4) & (t < 1.5 + 1e-4)).all()


@pytest.mark.parametrize("sampler", [ISMOTE(8, k_neighbors=5), RandomOversampler(8)], ids=["ismote", "random"])
def test_a_label_with_one_positive_is_skipped_by_every_oversampler(sampler, caplog):
    X = np.random.default_rng(0).normal(size=(7, 2)).astype(np.float32)
    Y = np.array([[1, 0]] * 6 + [[0, 1]], dtype=np.uint8)
    X_out, Y_out = sampler.fit_resample(X, Y, ["joy", "grief"])
    assert "Oversampling skips 'grief': 1 positive(s), at least 2 are needed" in caplog.text
    assert "'grief' has" not in caplog.text  # the k clamp never sees a bag that small
    np.testing.assert_array_equal(Y_out.sum(axis=0), [8, 1])
    assert len(X_out) == 7 + 2 and (sampler.synthetic_for_ == 0).all()
