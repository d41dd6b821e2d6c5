"""OmegaConf resolvers the configs use; registered when emotune is imported."""

from __future__ import annotations

from omegaconf import OmegaConf


def best_precision() -> str:
    """bf16 autocast on a GPU that has bf16; fp32 elsewhere, where bf16 matmuls are emulated and slow."""
    import torch

    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def register() -> None:
    if not OmegaConf.has_resolver("best_precision"):
        OmegaConf.register_new_resolver("best_precision", best_precision)
