"""Labels of a synthetic row: the reference copies the seed's; MLSMOTE's rules also consult its neighbours."""

from __future__ import annotations

import numpy as np

RULES = ("copy", "ranking", "union", "intersection")


def synthetic_labels(rule: str, seed: np.ndarray, neighbours: np.ndarray | None) -> np.ndarray:
    """seed: (n, L); neighbours: (n, k, L), the seed's k nearest neighbours in its label's bag (unused by copy)."""
    if rule == "copy":
        return seed.copy()
    votes = seed.astype(np.int32) + neighbours.sum(axis=1, dtype=np.int32)
    voters = neighbours.shape[1] + 1
    if rule == "ranking":
        return (2 * votes >= voters).astype(np.uint8)
    if rule == "union":
        return (votes > 0).astype(np.uint8)
    if rule == "intersection":
        return (votes == voters).astype(np.uint8)
    raise ValueError(f"label_rule={rule!r}: expected one of {RULES}")
