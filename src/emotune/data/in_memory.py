"""Texts to score, served as a split so prediction reuses the DataModule's encoding and batching."""

from __future__ import annotations

import numpy as np

from emotune.data.labeled_texts import LabeledTexts


class TextsSource:
    dataset = None

    def __init__(self, texts: list[str], label_names: list[str], origin: str = "<input>") -> None:
        self.texts, self.label_names, self.origin = texts, list(label_names), origin

    def has_split(self, split: str) -> bool:
        return True  # every split is the texts to score

    def load(self, split: str) -> LabeledTexts:
        return LabeledTexts(self.texts, np.zeros((len(self.texts), len(self.label_names)), np.uint8), self.origin)
