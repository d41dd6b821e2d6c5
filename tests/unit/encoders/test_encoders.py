from pathlib import Path

import numpy as np
import pytest
from helpers import keyword_rows
from sklearn.feature_extraction.text import TfidfVectorizer

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


def test_a_small_vocabulary_clamps_the_width_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [text for text, _ in keyword_rows(400)]  # more rows than terms: the vocabulary is what binds
    n_terms = len(TfidfVectorizer(ngram_range=(1, 2)).fit(texts).vocabulary_)
    assert n_terms < len(texts)
    cache = EmbeddingCache(tmp_path / "cache")
    encoder = LsaEncoder(dim=384, min_df=1)
    cache.fit(encoder, texts)
    assert f"encoder.dim=384 clamped to {n_terms - 1}: the train split has only {n_terms} terms" in caplog.text
    embedded = cache.encode(encoder, texts)
    assert embedded.shape == (len(texts), n_terms - 1) and encoder.dim == n_terms - 1
    assert np.isfinite(embedded).all()

    cached = LsaEncoder(dim=384, min_df=1)
    monkeypatch.setattr(cached, "fit", lambda *args: pytest.fail("should have come from the cache"))
    cache.fit(cached, texts)
    assert cached.dim == n_terms - 1 and cached.identity() == encoder.identity()
    np.testing.assert_array_equal(cache.encode(cached, texts), embedded)

    encoder.save_state(tmp_path / "run" / "encoder")
    reloaded = LsaEncoder(dim=384, min_df=1)
    reloaded.load_state(tmp_path / "run" / "encoder")
    assert reloaded.dim == n_terms - 1
    np.testing.assert_array_equal(reloaded.encode(texts[:5]), embedded[:5])


def test_fewer_rows_than_terms_clamps_the_width_to_the_rows(caplog: pytest.LogCaptureFixture) -> None:
    encoder = LsaEncoder(dim=64, min_df=1)
    encoder.fit(TEXTS[:12], "hash")
    assert "encoder.dim=64 clamped to 12: the train split has only 12 rows" in caplog.text
    assert encoder.encode(TEXTS[:3]).shape == (3, 12)


@pytest.mark.parametrize(("texts", "message"), [
    (["joy", "joy!"], r"^encoder=lsa: the train split has only 1 term, at least 2 are needed for any encoder\.dim"),
    (["", "!?"], r"^encoder=lsa: no vocabulary from the 2 train texts: empty vocabulary"),
])
def test_a_vocabulary_too_small_for_any_width_is_refused(texts: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LsaEncoder(dim=8, min_df=1).fit(texts, "hash")
