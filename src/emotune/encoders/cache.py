"""On-disk cache of fitted encoders and embeddings, keyed by encoder identity and text content."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from safetensors import SafetensorError

from emotune.utils.atomic import atomic_write, save_npy
from emotune.utils.hashing import digest, texts_hash

log = logging.getLogger(__name__)


def check_finite(embeddings: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(~np.isfinite(embeddings).all(axis=1))
    if bad.size:
        raise ValueError(f"{what}: embedding row {int(bad[0])} contains NaN or inf ({bad.size} rows in all)")


class EmbeddingCache:
    """`root=None` disables caching; a cache entry that fails to read is rebuilt, never trusted."""

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root).expanduser() if root else None

    def fit(self, encoder, train_texts: list[str]) -> None:
        if not encoder.needs_fit:
            return
        fit_hash = texts_hash(train_texts)
        folder = self.root / "encoders" / digest({**encoder.identity(), "fit": fit_hash}) if self.root else None
        if folder is not None and folder.exists():
            try:
                encoder.load_state(folder)
                log.info("Loaded fitted encoder from %s", folder)
                return
            except (OSError, ValueError, KeyError, SafetensorError) as err:
                log.warning("Refitting encoder: cached state in %s is unreadable (%s)", folder, err)
        log.info("Fitting %s on %d training texts", encoder.identity()["encoder"], len(train_texts))
        encoder.fit(train_texts, fit_hash)
        if folder is not None:
            encoder.save_state(folder)

    def encode(self, encoder, texts: list[str], what: str = "texts") -> np.ndarray:
        path = None
        if self.root is not None:
            path = self.root / "embeddings" / f"{digest({**encoder.identity(), 'texts': texts_hash(texts)})}.npy"
            cached = self._read(path, len(texts))
            if cached is not None:
                return cached
        log.info("Encoding %d %s", len(texts), what)
        embeddings = np.ascontiguousarray(encoder.encode(texts), dtype=np.float32)
        check_finite(embeddings, what)
        if path is not None:
            atomic_write(path, lambda tmp: save_npy(tmp, embeddings))
        return embeddings

    @staticmethod
    def _read(path: Path, n_rows: int) -> np.ndarray | None:
        if not path.exists():
            return None
        try:
            embeddings = np.load(path, allow_pickle=False)
            if embeddings.ndim == 2 and embeddings.shape[0] == n_rows and np.isfinite(embeddings).all():
                return embeddings
            log.warning("Rebuilding %s: shape %s or values do not match", path, embeddings.shape)
        except (OSError, ValueError) as err:
            log.warning("Rebuilding %s: unreadable (%s)", path, err)
        return None
