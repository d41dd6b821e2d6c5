"""Token-level classifier: the backbone reads the text, a pooled hidden state feeds the same head."""

from __future__ import annotations

import torch
from torch import nn
from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

POOLINGS = ("auto", "last", "mean")


def default_pooling(backbone: nn.Module) -> str:
    """Encoders (BERT-like, with a masked-LM head in transformers) are mean-pooled; decoders see the whole
    text only at their last token."""
    return "mean" if backbone.config.get_text_config().model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES else "last"


def pool(hidden: torch.Tensor, mask: torch.Tensor, pooling: str) -> torch.Tensor:
    if pooling == "mean":
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
    last = mask.shape[1] - 1 - mask.flip(1).int().argmax(1)  # last non-pad position, for either padding side
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


class TextClassifierNet(nn.Module):
    input_kind = "text"

    def __init__(
        self, num_labels: int, backbone: nn.Module | None, pooling: str = "auto", dropout: float = 0.1
    ) -> None:
        super().__init__()
        if backbone is None:
            raise ValueError("model=text needs a backbone: backbone=none has nothing to read the tokens")
        if pooling not in POOLINGS:
            raise ValueError(f"model.net.pooling={pooling!r}: expected one of {POOLINGS}")
        self.backbone = backbone
        self.pooling = default_pooling(backbone) if pooling == "auto" else pooling
        hidden_size = backbone.config.get_text_config().hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_labels)

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        mask = inputs["attention_mask"]
        # A classifier never decodes: no KV cache is built on any forward.
        hidden = self.backbone(input_ids=inputs["input_ids"], attention_mask=mask, use_cache=False).last_hidden_state
        return self.head(self.dropout(pool(hidden, mask, self.pooling).to(self.head.weight.dtype)))
