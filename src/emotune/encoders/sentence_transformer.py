"""Any sentence-transformers model, by hub name or local folder; the run stores only the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def folder_fingerprint(folder: Path) -> list | None:
    """A local model folder can be retrained in place; its files' sizes and times tell cached embeddings apart."""
    if not folder.is_dir():
        return None
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*") if p.is_file())


class SentenceTransformerEncoder:
    needs_fit = False

    def __init__(
        self, name_or_path: str, batch_size: int = 64, normalize: bool = True, device: str | None = None
    ) -> None:
        self.name_or_path = name_or_path
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = device
        self._model = None

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.name_or_path, device=self.device)
        return self._model

    def identity(self) -> dict:
        return {"encoder": "sentence_transformer", "model": self.name_or_path, "normalize": self.normalize,
                "files": folder_fingerprint(Path(self.name_or_path))}

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        out = model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            show_progress_bar=len(texts) > 1000,
            convert_to_numpy=True,
        )
        return np.asarray(out, dtype=np.float32)

    def save_state(self, folder: Path) -> None:
        """Nothing is fitted: the model reference in the run's config is enough to rebuild it."""

    def load_state(self, folder: Path) -> None:
        """See save_state."""
