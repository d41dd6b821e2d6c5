"""Token-level classifier. By default the backbone is transformers' own `*ForSequenceClassification` model for the
run's labels, so a run exports to a folder that `AutoModelForSequenceClassification` and
`pipeline("text-classification")` load with no code of ours. Mean pooling, which sentence-embedding encoders are
trained for, has no such class: it keeps a head of ours on the bare model."""

from __future__ import annotations

import torch
from torch import nn

POOLINGS = ("auto", "mean")


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)


class TextClassifierNet(nn.Module):
    """`pooling=auto`: the family's own pooling and head (decoders read the last token that is not padding,
    BERT-like encoders their pooled [CLS] state); `load_backbone` with `labels` builds that model.
    `pooling=mean`: the mean of the bare model's last hidden states, then dropout and a linear head."""

    input_kind = "text"

    def __init__(self, num_labels: int, backbone: nn.Module | None, pooling: str = "auto",
                 dropout: float = 0.1) -> None:
        super().__init__()
        if backbone is None:
            raise ValueError("model=text needs a backbone: backbone=none has nothing to read the tokens")
        if pooling not in POOLINGS:
            raise ValueError(f"model.net.pooling={pooling!r}: expected one of {POOLINGS}")
        self.backbone, self.pooling = backbone, pooling
        if pooling == "mean":
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(backbone.config.get_text_config().hidden_size, num_labels)
        elif backbone.config.num_labels != num_labels:
            raise ValueError(f"the backbone classifies {backbone.config.num_labels} labels, the data has {num_labels}")

    @staticmethod
    def classifies(pooling: str = "auto") -> bool:
        """Whether the backbone is built as a sequence classifier for the labels (else the bare model)."""
        return pooling != "mean"

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """A classifier never decodes: no KV cache is built (families whose config has no `use_cache` build none)."""
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        kwargs = {"input_ids": ids, "attention_mask": mask}
        if getattr(self.backbone.config, "use_cache", None) is not None:
            kwargs["use_cache"] = False
        if self.pooling != "mean":
            return self.backbone(**kwargs).logits.float()
        hidden = self.backbone(**kwargs).last_hidden_state
        return self.head(self.dropout(mean_pool(hidden, mask).to(self.head.weight.dtype)))
