"""An encoder whose output goes bad, as a half-precision sentence encoder's can: row 2 gets `bad`."""

import numpy as np

from emotune.encoders import LsaEncoder


class NonFiniteLsa(LsaEncoder):
    def __init__(self, bad: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bad = bad

    def encode(self, texts: list[str]) -> np.ndarray:
        embeddings = super().encode(texts)
        embeddings[2, 1] = self.bad
        return embeddings
