"""The leaky replay must leak exactly as the reference did, and no more: its thinning, split and encoder fit."""

import json
import math

import numpy as np
import pytest
from helpers import GOEMOTIONS_LABELS, compose_train, goemotions_rows, write_goemotions

from emotune.data import EmotionDataModule, LeakyReplayDataModule, build_datamodule
from emotune.data.leaky_replay import reference_split_sizes, reference_thinning
from emotune.sampling import MajorityUndersampler
from emotune.utils.hashing import texts_hash

NEUTRAL, JOY, ANGER = (GOEMOTIONS_LABELS.index(n) for n in ("neutral", "joy", "anger"))


def generated_pool(n_rows: int, seed: int) -> np.ndarray:
    """Neutral-only rows, neutral plus another label, and rows without neutral, interleaved at random."""
    rng = np.random.default_rng(seed)
    Y = np.zeros((n_rows, len(GOEMOTIONS_LABELS)), dtype=np.uint8)
    kind = rng.integers(0, 3, size=n_rows)
    Y[kind == 0, NEUTRAL] = 1
    Y[kind == 1, NEUTRAL] = Y[kind == 1, JOY] = 1
    Y[kind == 2, ANGER] = 1
    return Y


@pytest.mark.parametrize("n_rows,seed", [(100, 0), (257, 1), (1000, 2)])
def test_thinning_keeps_every_sixth_row_labelled_neutral_and_every_other_row(n_rows, seed):
    Y = generated_pool(n_rows, seed)
    carries = np.flatnonzero(Y[:, NEUTRAL])
    mixed = np.flatnonzero(Y[:, NEUTRAL] & Y[:, JOY])
    assert len(mixed) > 6 and len(carries) - len(mixed) > 6
    keep = reference_thinning(Y, NEUTRAL, 6)
    kept = Y[keep]
    assert kept[:, NEUTRAL].sum() == math.ceil(len(carries) / 6)
    np.testing.assert_array_equal(np.intersect1d(keep, carries), carries[::6])  # the 1st, 7th, 13th, ... in order
    np.testing.assert_array_equal(np.setdiff1d(keep, carries), np.flatnonzero(Y[:, NEUTRAL] == 0))
    assert len(np.setdiff1d(mixed, keep)) > 0, "neutral plus another label is thinned too"
    honest = MajorityUndersampler(majority=["neutral"], keep_every=6)
    honest.fit_resample(np.zeros((n_rows, 1)), Y, GOEMOTIONS_LABELS)
    assert np.isin(mixed, honest.sample_indices_).all(), "sampling=undersample keeps them: a different rule"


def test_thinning_the_pooled_goemotions_neutral_count_gives_the_reference_count():
    Y = np.zeros((17_772, len(GOEMOTIONS_LABELS)), dtype=np.uint8)
    Y[:, NEUTRAL] = 1
    assert len(reference_thinning(Y, NEUTRAL, 6)) == 2_962


def test_the_split_sizes_are_the_reference_ones():
    assert reference_split_sizes(39_453, (0.6, 0.2, 0.2)) == (23_671, 7_891, 7_891)
    assert reference_split_sizes(10, (0.7, 0.1, 0.2)) == (7, 1, 2)  # 0.1 + 0.2 is 0.30000000000000004
    for n in range(3, 200):
        assert sum(reference_split_sizes(n, (0.6, 0.2, 0.2))) == n


def rows_with_unique_words(split: str, n: int, seed: int) -> list[tuple[str, list[int]]]:
    """Every text gets a word of its own, and some rows carry neutral with another label."""
    rows = goemotions_rows(n, seed) + [(f"sunshine and calm {k}", [JOY, NEUTRAL]) for k in range(15)]
    return [(f"{text} w{split}{i}", ids) for i, (text, ids) in enumerate(rows)]


@pytest.fixture
def replay(tmp_path):
    splits = {"train.tsv": rows_with_unique_words("train", 200, 0), "dev.tsv": rows_with_unique_words("dev", 80, 1),
              "test.tsv": rows_with_unique_words("test", 80, 2)}
    data = write_goemotions(tmp_path / "ge", splits)
    cfg = compose_train(tmp_path, ["experiment=reference_leaky", f"data.data_dir={data}", "data.verify_checksums=false",
                                   "encoder.dim=8", "encoder.min_df=1", "sampling.oversample.sampling_strategy=60",
                                   "sampling.oversample.k_neighbors=1"])
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    pool = [row for name in ("train.tsv", "dev.tsv", "test.tsv") for row in splits[name]]
    return datamodule, pool


def test_the_replay_thins_every_row_labelled_neutral_in_pool_order(replay):
    datamodule, pool = replay
    parts = [datamodule.split(name) for name in ("train", "val", "test")]
    kept = {text for part in parts for text in part.texts}
    neutral = [text for text, ids in pool if NEUTRAL in ids]
    assert any(len(ids) > 1 for _, ids in pool if NEUTRAL in ids)
    assert sum(int(part.labels[:, NEUTRAL].sum()) for part in parts) == math.ceil(len(neutral) / 6)
    assert kept == {text for text, ids in pool if NEUTRAL not in ids} | set(neutral[::6])
    assert len(datamodule.thinned_rows_) == len(kept) == sum(len(part) for part in parts)


def test_the_encoder_learns_from_the_train_part_only(replay, tmp_path):
    datamodule, _ = replay
    train = datamodule.split("train").texts
    evaluation = datamodule.split("val").texts + datamodule.split("test").texts
    assert datamodule.encoder.fit_hash == texts_hash(train)
    datamodule.save_state(tmp_path / "saved")
    vocabulary = json.loads((tmp_path / "saved" / "lsa.json").read_text())["vocabulary"]
    own_word = {text: text.split()[-1] for text in train + evaluation}
    assert all(own_word[text] in vocabulary for text in train)
    assert not any(own_word[text] in vocabulary for text in evaluation)


def test_the_replay_still_leaks_as_the_reference_did_and_says_so(replay, caplog):
    datamodule, _ = replay
    assert any("LEAKY REPLAY" in r.getMessage() and r.levelname == "WARNING" for r in caplog.get_records("setup"))
    assert datamodule.leaky is True and getattr(EmotionDataModule, "leaky", False) is False
    assert isinstance(datamodule, LeakyReplayDataModule)
    assert (datamodule.roles.selection, datamodule.roles.report) == ("val", "test")
    seeds = set(datamodule.sampling.oversample.synthetic_seeds_.tolist())
    assert seeds & (set(datamodule.pool_rows_["val"].tolist()) | set(datamodule.pool_rows_["test"].tolist()))
    n_real = len(datamodule.thinned_rows_)
    assert tuple(len(datamodule.split(s)) for s in ("train", "val", "test")) == reference_split_sizes(
        n_real, (0.6, 0.2, 0.2))


def test_the_replay_refuses_a_second_thinning(tmp_path):
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(40), "test.tsv": goemotions_rows(20, 1)})
    cfg = compose_train(tmp_path, ["experiment=reference_leaky", f"data.data_dir={data}", "data.verify_checksums=false",
                                   "sampling=undersample_ismote"])
    with pytest.raises(Exception, match="thin a second time"):
        build_datamodule(cfg)


def test_a_leaky_run_is_marked_and_compared_beside_the_honest_one(tmp_path, capsys):
    from emotune.cli import main
    from emotune.recipes.train import train

    splits = {"train.tsv": goemotions_rows(200), "dev.tsv": goemotions_rows(80, 1), "test.tsv": goemotions_rows(80, 2)}
    data = write_goemotions(tmp_path / "ge", splits)
    common = [f"data.data_dir={data}", "data.verify_checksums=false", "encoder.dim=8", "encoder.min_df=1",
              "trainer.max_epochs=2", "report.plots=false"]
    leaky = compose_train(tmp_path / "leaky", ["experiment=reference_leaky", *common,
                                               "sampling.oversample.sampling_strategy=60"])
    honest = compose_train(tmp_path / "honest", ["experiment=quickstart", *common])
    assert train(leaky)["leaky"] is True and train(honest)["leaky"] is False
    leaky_dir, honest_dir = (tmp_path / name / "run" for name in ("leaky", "honest"))
    assert json.loads((leaky_dir / "metrics.json").read_text())["leaky"] is True
    assert "LEAKY REPLAY, not comparable to anything." in (leaky_dir / "eval_test" / "report.md").read_text()
    capsys.readouterr()
    main(["compare", str(leaky_dir), str(honest_dir)])
    out = capsys.readouterr().out
    assert f"A = {leaky_dir} on test (LEAKY REPLAY, not comparable to anything)" in out
    assert f"B = {honest_dir} on test" in out and "| macro |" in out
