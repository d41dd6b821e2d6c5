"""Token-level classifier: the backbone is transformers' own `*ForSequenceClassification` model for the run's
labels, so a run exports to a folder that `AutoModelForSequenceClassification` and `pipeline("text-classification")`
load with no code of ours."""

from __future__ import annotations

import torch
from torch import nn


class TextClassifierNet(nn.Module):
    """Pooling and head are the family's: decoders read the last token that is not padding, BERT-like encoders
    their pooled [CLS] state (`load_backbone` with `labels` builds it)."""

    input_kind = "text"

    def __init__(self, num_labels: int, backbone: nn.Module | None) -> None:
        super().__init__()
        if backbone is None:
            raise ValueError("model=text needs a backbone: backbone=none has nothing to read the tokens")
        if backbone.config.num_labels != num_labels:
            raise ValueError(f"the backbone classifies {backbone.config.num_labels} labels, the data has {num_labels}")
        self.backbone = backbone

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.backbone(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits.float()
