"""Interrupted writes leave the previous file whole; a damaged embedding cache is rebuilt, never trusted."""

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import compose_train, keyword_rows
from hydra.utils import instantiate
from safetensors.torch import load_file

from emotune.encoders import EmbeddingCache, LsaEncoder
from emotune.run.checkpoint_io import AtomicCheckpointIO
from emotune.utils.atomic import atomic_write

TEXTS = [text for text, _ in keyword_rows(200)]


class CrashMidWrite:
    """Pickling this fails after the tensors before it were already written: a crash in the middle of a save."""

    def __reduce__(self):
        raise RuntimeError("crashed mid-write")


def test_an_interrupted_checkpoint_save_leaves_the_previous_checkpoint(tmp_path) -> None:
    path = tmp_path / "checkpoints" / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}, "epoch": 1}, path)
    with pytest.raises(RuntimeError, match="crashed mid-write"):
        io.save_checkpoint({"state_dict": {"w": torch.zeros(1 << 16)}, "epoch": 2, "z": CrashMidWrite()}, path)
    loaded = io.load_checkpoint(path)
    assert loaded["epoch"] == 1 and torch.equal(loaded["state_dict"]["w"], torch.ones(3))
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"], "no temp file is left behind"


def test_the_trainer_saves_through_the_atomic_checkpoint_io(tmp_path) -> None:
    cfg = compose_train(tmp_path, ["trainer=cpu"])
    trainer = instantiate(cfg.trainer, logger=False)
    assert isinstance(trainer.strategy.checkpoint_io, AtomicCheckpointIO)


def test_an_interrupted_export_leaves_the_previous_head(finished_run, tmp_path) -> None:
    head = tmp_path / "head.safetensors"
    head.write_bytes((finished_run / "head.safetensors").read_bytes())
    before = load_file(str(head))

    def crash_halfway(tmp: Path) -> None:
        tmp.write_bytes(head.read_bytes()[: head.stat().st_size // 2])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(head, crash_halfway)
    after = load_file(str(head))
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)
    assert [p.name for p in tmp_path.iterdir()] == ["head.safetensors"]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00not an array" * 10)


def fewer_rows(path: Path) -> None:
    np.save(path, np.load(path)[:-1])


def plant_nan(path: Path) -> None:
    array = np.load(path)
    array[3, 0] = np.nan
    np.save(path, array)


@pytest.mark.parametrize("damage", [truncate, garbage, fewer_rows, plant_nan])
def test_a_damaged_embedding_cache_entry_is_rebuilt(tmp_path, caplog, damage) -> None:
    cache, encoder = EmbeddingCache(tmp_path), LsaEncoder(dim=8, min_df=1)
    cache.fit(encoder, TEXTS)
    good = cache.encode(encoder, TEXTS)
    (entry,) = (tmp_path / "embeddings").glob("*.npy")
    damage(entry)
    with caplog.at_level(logging.WARNING):
        np.testing.assert_array_equal(cache.encode(encoder, TEXTS), good)
    assert f"Rebuilding {entry}" in caplog.text
    np.testing.assert_array_equal(np.load(entry), good)


def test_a_damaged_fitted_encoder_is_refitted(tmp_path, caplog) -> None:
    cache = EmbeddingCache(tmp_path)
    first = LsaEncoder(dim=8, min_df=1)
    cache.fit(first, TEXTS)
    (state,) = (tmp_path / "encoders").rglob("lsa.safetensors")
    truncate(state)
    second = LsaEncoder(dim=8, min_df=1)
    with caplog.at_level(logging.WARNING):
        cache.fit(second, TEXTS)
    assert "Refitting encoder" in caplog.text
    np.testing.assert_allclose(second.encode(TEXTS), first.encode(TEXTS), atol=1e-6)
