"""Loads a transformers backbone, optionally quantized to 4-bit NF4, and wraps it with PEFT LoRA."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import bitsandbytes as bnb
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModel, BitsAndBytesConfig

log = logging.getLogger(__name__)


def keep_4bit_trainable_on_cpu(model: torch.nn.Module) -> None:
    """bitsandbytes repacks 4-bit weights for CPU inference on the first eval-mode forward, and the packed
    kernel has no backward: every training step after a validation pass would get wrong gradients."""
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def lora_config(r: int, alpha: int, dropout: float, target_modules: list[str], bias: str = "none") -> LoraConfig:
    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules), bias=bias)


def load_backbone(
    name_or_path: str,
    quant: BitsAndBytesConfig | None = None,
    lora: Mapping | None = None,
    dtype: str = "bfloat16",
    trust_remote_code: bool = False,
    gradient_checkpointing: bool = False,
) -> torch.nn.Module:
    """Without LoRA a quantized backbone cannot learn, so that combination is refused rather than frozen."""
    if quant is not None and lora is None:
        raise ValueError("lora=none with a quantized backbone leaves nothing to train: set quant=none or a lora")
    model = AutoModel.from_pretrained(
        name_or_path, quantization_config=quant, dtype=getattr(torch, dtype), trust_remote_code=trust_remote_code
    )
    keep_4bit_trainable_on_cpu(model)
    model.train()  # from_pretrained returns eval mode; Lightning then switches modes for the whole module
    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if lora is None:
        log.info("Fully fine-tuning %s", name_or_path)
        return model
    model.requires_grad_(False)
    return get_peft_model(model, lora_config(**lora))
