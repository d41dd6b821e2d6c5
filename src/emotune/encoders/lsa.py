"""The offline default encoder: TF-IDF then TruncatedSVD (latent semantic analysis), fitted on train only."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from emotune.utils.atomic import atomic_write, write_json

log = logging.getLogger(__name__)


class LsaEncoder:
    """Needs no download. Its fitted state is plain arrays and JSON, so loading it never runs code."""

    needs_fit = True

    def __init__(
        self, dim: int = 384, max_features: int = 50000, ngram_max: int = 2, min_df: int = 2, seed: int = 0
    ) -> None:
        self.params = {"dim": dim, "max_features": max_features, "ngram_max": ngram_max, "min_df": min_df}
        self.seed = seed
        self.fit_hash: str | None = None
        self._vectorizer: TfidfVectorizer | None = None
        self._components: np.ndarray | None = None

    @property
    def dim(self) -> int:
        """The embedding width: `encoder.dim` until fitted, then what the train split allowed (see `fit`)."""
        return self.params["dim"] if self._components is None else int(self._components.shape[0])

    def identity(self) -> dict:
        """Keeps the requested `encoder.dim`: the clamped width follows from it and the fit, so the key a fresh
        fit and a reload compute is the same."""
        return {"encoder": "lsa", **self.params, "seed": self.seed, "fit": self.fit_hash}

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            ngram_range=(1, self.params["ngram_max"]),
            min_df=1 if vocabulary else self.params["min_df"],
            max_features=None if vocabulary else self.params["max_features"],
            sublinear_tf=True,
            vocabulary=vocabulary,
            dtype=np.float32,
        )

    def fit(self, texts: list[str], fit_hash: str) -> None:
        """A small train split lowers the width rather than failing: TruncatedSVD needs fewer components than
        terms, and past the number of rows it silently returns fewer than asked."""
        self._vectorizer = self._new_vectorizer()
        try:
            tfidf = self._vectorizer.fit_transform(texts)
        except ValueError as err:  # sklearn's "empty vocabulary" or "no terms remain", without naming the split
            raise ValueError(f"encoder=lsa: no vocabulary from the {len(texts)} train texts: {err}") from None
        n_rows, n_terms = tfidf.shape
        requested = self.params["dim"]
        if n_terms < 2:
            raise ValueError(f"encoder=lsa: the train split has only {n_terms} term, at least 2 are needed for any "
                             "encoder.dim; lower encoder.min_df or add training rows")
        dim = min(requested, n_terms - 1, n_rows)
        if dim < requested:
            limit = f"{n_terms} terms" if dim == n_terms - 1 else f"{n_rows} rows"
            log.warning("encoder.dim=%d clamped to %d: the train split has only %s", requested, dim, limit)
        svd = TruncatedSVD(n_components=dim, n_iter=4, random_state=self.seed).fit(tfidf)
        self._components = np.ascontiguousarray(svd.components_, dtype=np.float32)
        self.fit_hash = fit_hash

    def encode(self, texts: list[str]) -> np.ndarray:
        if self._vectorizer is None or self._components is None:
            raise RuntimeError("LsaEncoder.encode called before fit or load_state")
        reduced = self._vectorizer.transform(texts) @ self._components.T
        return normalize(np.asarray(reduced, dtype=np.float32))

    def save_state(self, folder: Path) -> None:
        if self._vectorizer is None or self._components is None:
            raise RuntimeError("LsaEncoder.save_state called before fit")
        folder.mkdir(parents=True, exist_ok=True)
        vocab = {term: int(i) for term, i in self._vectorizer.vocabulary_.items()}
        arrays = {"idf": self._vectorizer.idf_.astype(np.float32), "components": self._components}
        atomic_write(folder / "lsa.safetensors", lambda tmp: save_file(arrays, str(tmp)))
        write_json(folder / "lsa.json", {"identity": self.identity(), "vocabulary": vocab})

    def load_state(self, folder: Path) -> None:
        meta = json.loads((folder / "lsa.json").read_text(encoding="utf-8"))
        arrays = load_file(str(folder / "lsa.safetensors"))
        self._vectorizer = self._new_vectorizer(meta["vocabulary"])
        self._vectorizer.idf_ = arrays["idf"]
        self._components = arrays["components"]
        self.fit_hash = meta["identity"]["fit"]
