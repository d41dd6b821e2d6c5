"""Label sets over GoEmotions' 28 fine labels: each is a 0/1 matrix from fine labels to target labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from emotune.data.checksums import DataFileError

LABEL_SETS = ("all", "preferred", "ekman", "sentiment")
NEUTRAL = "neutral"


def _grouping(path: Path, fine: list[str]) -> tuple[list[str], np.ndarray]:
    """A group file maps group -> fine labels; neutral stays its own group since neither file lists it."""
    try:
        groups: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise DataFileError(f"{path}: expected a JSON object of group -> list of emotions ({err})") from err
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        raise DataFileError(f"{path}: expected a JSON object of group -> list of emotions")
    names = list(groups) + [NEUTRAL]
    matrix = np.zeros((len(fine), len(names)), dtype=np.uint8)
    for col, members in enumerate(groups.values()):
        for member in members:
            if member not in fine:
                raise DataFileError(f"{path}: group member {member!r} is not one of the emotions in emotions.txt")
            matrix[fine.index(member), col] = 1
    matrix[fine.index(NEUTRAL), -1] = 1
    return names, matrix


def label_set_matrix(
    name: str, fine: list[str], data_dir: Path, preferred: list[str]
) -> tuple[list[str], np.ndarray]:
    """Returns the target label names and the (n_fine, n_target) mapping for label set `name`."""
    if name == "all":
        return list(fine), np.eye(len(fine), dtype=np.uint8)
    if name == "preferred":
        unknown = [p for p in preferred if p not in fine]
        if unknown or not preferred:
            raise ValueError(f"data.preferred_labels: {unknown or 'empty'} not among GoEmotions' emotions {fine}")
        return list(preferred), np.eye(len(fine), dtype=np.uint8)[:, [fine.index(p) for p in preferred]]
    if name == "ekman":
        return _grouping(data_dir / "ekman_mapping.json", fine)
    if name == "sentiment":
        return _grouping(data_dir / "sentiment_dict.json", fine)
    raise ValueError(f"data.label_set={name!r}: expected one of {LABEL_SETS}")
