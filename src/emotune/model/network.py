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
    """With `backbone=None` the projection feeds the head directly: the ablation without a language model.

    With a backbone, the state the head reads is standardized per feature (batch norm). Alone at position 0, the
    projected token is where a pretrained decoder parks its attention sink: its last hidden state is one large
    vector shared by every input plus a small input-dependent part (mean cosine 0.98 between the states of 64
    different inputs, SmolLM2-135M). A linear head could ignore the shared part, but AdamW's steps on it are
    dominated by it, and the run learns the label priors only (docs/results.md, "A real language model on a CPU")."""

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
        self.norm = nn.BatchNorm1d(hidden_size) if backbone is not None else nn.Identity()
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_labels)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        hidden = self.projection(embeddings)
        if self.backbone is not None:
            token = hidden.unsqueeze(1).to(self.backbone.get_input_embeddings().weight.dtype)
            mask = torch.ones(token.shape[:2], dtype=torch.long, device=token.device)
            hidden = self.backbone(inputs_embeds=token, attention_mask=mask, use_cache=False).last_hidden_state[:, -1]
            hidden = self.standardize(hidden.to(self.norm.weight.dtype))
        return self.head(self.dropout(hidden.to(self.head.weight.dtype)))

    def standardize(self, hidden: torch.Tensor) -> torch.Tensor:
        """A training batch of one row (an epoch's last) has no spread to standardize by: it uses the running
        statistics, as evaluation does."""
        if self.training and hidden.shape[0] == 1:
            norm = self.norm
            return nn.functional.batch_norm(hidden, norm.running_mean, norm.running_var, norm.weight, norm.bias,
                                            training=False, eps=norm.eps)
        return self.norm(hidden)
