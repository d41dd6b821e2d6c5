"""Resampling inside the DataModule: train only, never from val or test rows, and visible in the run dir."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
from helpers import compose_train, goemotions_rows, write_goemotions

from emotune.data import build_datamodule
from emotune.recipes.train import train


def datamodule_for(tmp_path: Path, overrides: list[str]):
    cfg = compose_train(tmp_path, overrides)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    return datamodule


def assert_on_seed_neighbour_lines(synthetic: np.ndarray, seeds: np.ndarray, neighbours: np.ndarray) -> None:
    d = seeds - neighbours
    norm2 = np.maximum((d**2).sum(axis=1), 1e-30)
    t = ((synthetic - seeds) * d).sum(axis=1) / norm2
    np.testing.assert_allclose(seeds + t[:, None] * d, synthetic, atol=1e-4)


def test_only_train_is_resampled_and_only_from_train_rows(tmp_path, small_table_overrides):
    datamodule = datamodule_for(tmp_path, small_table_overrides + ["sampling=undersample_ismote",
                                "sampling.oversample.sampling_strategy=150", "sampling.undersample.majority=[joy]"])
    n_train = len(datamodule.split("train"))
    X_train = datamodule.embeddings("train")
    X_out, _ = datamodule.train_arrays()
    undersampler, oversampler = datamodule.sampling.undersample, datamodule.sampling.oversample
    kept = X_train[undersampler.sample_indices_]
    synthetic = X_out[len(kept):]
    assert len(synthetic) > 0 and len(datamodule.dataset("train")) == len(X_out)
    assert oversampler.synthetic_seeds_.max() < len(kept) and oversampler.synthetic_neighbors_.max() < len(kept)
    assert_on_seed_neighbour_lines(synthetic, kept[oversampler.synthetic_seeds_],
                                   kept[oversampler.synthetic_neighbors_])
    assert len(undersampler.sample_indices_) < n_train
    for split in ("val", "test"):
        features, labels = datamodule.dataset(split).tensors
        np.testing.assert_array_equal(features.numpy(), datamodule.embeddings(split))
        np.testing.assert_array_equal(labels.numpy(), datamodule.split(split).labels)


def test_a_small_train_split_adapts_the_encoder_width_and_k_neighbors(tmp_path, caplog):
    """Few positives per rare label and a few hundred terms: both used to stop the run."""
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(120), "dev.tsv": goemotions_rows(40, 1)})
    datamodule = datamodule_for(tmp_path, ["experiment=quickstart", f"data.data_dir={data}",
                                           "data.verify_checksums=false", "encoder.dim=384", "encoder.min_df=1",
                                           "sampling=ismote", "sampling.oversample.sampling_strategy=20",
                                           "sampling.oversample.k_neighbors=5"])
    X, Y = datamodule.train_arrays()
    width = re.search(r"encoder\.dim=384 clamped to (\d+): the train split has only \d+ (terms|rows)", caplog.text)
    assert width and datamodule.input_width == int(width.group(1)) == X.shape[1] < 384
    clamped = re.findall(r"label '(\w+)' has (\d) positives in train, so k_neighbors=5 is clamped to (\d) for it",
                         caplog.text)
    assert clamped and all(int(k) == int(n) - 1 for _, n, k in clamped)
    assert np.isfinite(X).all() and (Y.sum(axis=0) >= 20).all()


def test_the_leaky_replay_does_build_training_rows_from_evaluation_rows(tmp_path, caplog):
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(200), "dev.tsv": goemotions_rows(80, 1),
                                              "test.tsv": goemotions_rows(80, 2)})
    datamodule = datamodule_for(tmp_path, ["experiment=reference_leaky", f"data.data_dir={data}",
                                           "data.verify_checksums=false", "encoder.dim=8", "encoder.min_df=1",
                                           "sampling.oversample.sampling_strategy=60",
                                           "sampling.oversample.k_neighbors=1"])
    assert "LEAKY REPLAY" in caplog.text and "not comparable" in caplog.text
    seeds = set(datamodule.sampling.oversample.synthetic_seeds_.tolist())
    evaluation = set(datamodule.pool_rows_["val"].tolist()) | set(datamodule.pool_rows_["test"].tolist())
    assert seeds & evaluation, "the replay is meant to leak: some synthetic rows come from val/test rows"
    sizes = {s: len(datamodule.split(s)) for s in ("train", "val", "test")}
    assert abs(sizes["val"] - sizes["test"]) <= 1 and sizes["train"] > 2.5 * sizes["val"]
    assert len(datamodule.train_arrays()[0]) > sizes["train"]


def test_every_run_writes_label_counts_before_and_after(tmp_path):
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(150), "dev.tsv": goemotions_rows(40, 1)})
    cfg = compose_train(tmp_path, ["experiment=quickstart", f"data.data_dir={data}", "data.verify_checksums=false",
                                   "encoder.dim=8", "encoder.min_df=1", "trainer.max_epochs=1",
                                   "sampling=random_oversample", "sampling.oversample.sampling_strategy=30"])
    train(cfg)
    counts = pd.read_csv(Path(cfg.paths.output_dir) / "label_counts.csv")
    assert len(counts) == 28 and (counts["after"] >= counts["before"]).all()
    assert (counts["after"] == counts["before"].clip(lower=30)).all()
    png = (Path(cfg.paths.output_dir) / "label_counts.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
