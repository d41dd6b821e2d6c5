"""The reference network: project a sentence embedding to one backbone token, read its last hidden state."""

from __future__ import annotations

import torch
from torch import nn


class Projection(nn.Sequential):
    """embedding -> hidden/2 -> GELU -> hidden, as in the reference."""

    def __init__(self, embedding_dim: int, hidden_size: int) -> None:
        super().__init__(
            nn.Linear(embedding_dim, hidden_size // 2), nn.GELU(), nn.Linear(hidden_size // 2, hidden_size)
        )


class EmbeddingClassifierNet(nn.Module):
    """With `backbone=None` the projection feeds the head directly: the ablation without a language model."""

    input_kind = "embedding"

    def __init__(
        self,
        embedding_dim: int,
        num_labels: int,
        backbone: nn.Module | None = None,
        hidden_size: int | None = None,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if backbone is not None:
            hidden_size = backbone.config.get_text_config().hidden_size
        if not hidden_size:
            raise ValueError("model.net.hidden_size is required when backbone=none")
        self.projection = Projection(embedding_dim, hidden_size)
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_labels)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        hidden = self.projection(embeddings)
        if self.backbone is not None:
            token = hidden.unsqueeze(1).to(self.backbone.get_input_embeddings().weight.dtype)
            mask = torch.ones(token.shape[:2], dtype=torch.long, device=token.device)
            hidden = self.backbone(inputs_embeds=token, attention_mask=mask, use_cache=False).last_hidden_state[:, -1]
        return self.head(self.dropout(hidden.to(self.head.weight.dtype)))
