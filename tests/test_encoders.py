from pathlib import Path

import numpy as np
import pytest
from conftest import keyword_rows

from emotune.encoders import EmbeddingCache, LsaEncoder

TEXTS = [text for text, _ in keyword_rows(200)]


def test_lsa_state_round_trip_gives_identical_embeddings(tmp_path: Path) -> None:
    encoder = LsaEncoder(dim=8, min_df=1)
    encoder.fit(TEXTS, "hash")
    encoder.save_state(tmp_path / "enc")
    reloaded = LsaEncoder(dim=8, min_df=1)
    reloaded.load_state(tmp_path / "enc")
    np.testing.assert_array_equal(encoder.encode(TEXTS[:20]), reloaded.encode(TEXTS[:20]))
    assert reloaded.identity() == encoder.identity()


def test_second_run_skips_fitting_and_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = EmbeddingCache(tmp_path)
    first = LsaEncoder(dim=8, min_df=1)
    cache.fit(first, TEXTS)
    embedded = cache.encode(first, TEXTS)

    second = LsaEncoder(dim=8, min_df=1)

    def fail(*args, **kwargs):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(second, "fit", fail)
    monkeypatch.setattr(second, "encode", fail)
    cache.fit(second, TEXTS)
    np.testing.assert_array_equal(cache.encode(second, TEXTS), embedded)


def test_cache_key_changes_with_encoder_and_text(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    small, large = LsaEncoder(dim=4, min_df=1), LsaEncoder(dim=8, min_df=1)
    for encoder in (small, large):
        cache.fit(encoder, TEXTS)
    assert cache.encode(small, TEXTS).shape[1] == 4
    assert cache.encode(large, TEXTS).shape[1] == 8
    assert cache.encode(large, TEXTS[:10]).shape[0] == 10
    assert len(list((tmp_path / "embeddings").glob("*.npy"))) == 3


def test_non_finite_embeddings_are_refused(tmp_path: Path) -> None:
    class Broken:
        needs_fit = False

        def identity(self) -> dict:
            return {"encoder": "broken"}

        def encode(self, texts: list[str]) -> np.ndarray:
            out = np.ones((len(texts), 3), dtype=np.float32)
            out[2, 1] = np.nan
            return out

    with pytest.raises(ValueError, match="embedding row 2 contains NaN or inf"):
        EmbeddingCache(tmp_path).encode(Broken(), TEXTS[:5], what="train texts")
