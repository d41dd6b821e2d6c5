"""Loads a transformers backbone, optionally quantized to 4-bit NF4, and wraps it with PEFT LoRA."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import bitsandbytes as bnb
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, BitsAndBytesConfig, PretrainedConfig

from emotune.backbone.tokenizer import load_tokenizer

log = logging.getLogger(__name__)


def keep_4bit_trainable_on_cpu(model: torch.nn.Module) -> None:
    """bitsandbytes repacks 4-bit weights for CPU inference on the first eval-mode forward, and the packed
    kernel has no backward: every training step after a validation pass would get wrong gradients."""
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def lora_config(
    r: int, alpha: int, dropout: float, target_modules: list[str] | None = None, bias: str = "none",
    task_type: str | None = None, modules_to_save: list[str] | None = None,
) -> LoraConfig:
    """`target_modules: null` takes PEFT's default for the model family (e.g. query/value for BERT). With
    `task_type="SEQ_CLS"` PEFT trains and saves the classification head beside the adapter (`modules_to_save`)."""
    targets = list(target_modules) if target_modules else None
    return LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=targets, bias=bias,
                      task_type=task_type, modules_to_save=modules_to_save)


# The modules a `*ForSequenceClassification` model adds on top of its base model (BERT-like: classifier; decoders:
# score; DistilBERT: pre_classifier too). They are new, trained, never quantized, and saved with a LoRA adapter.
HEADS = ("classifier", "score", "pre_classifier")


def for_classification(config: PretrainedConfig, labels: Sequence[str], pad_token_id: int) -> PretrainedConfig:
    """Multi-label (a sigmoid per label, as `pipeline` then applies) with the run's label names. Decoders pool the
    last token that is not `pad_token_id`, so it must be the id the tokenizer pads with."""
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    config.problem_type = "multi_label_classification"
    config.pad_token_id = pad_token_id
    return config


def float32_head(model: torch.nn.Module) -> None:
    """A bf16 head would round away AdamW's small updates; it is tiny, so it trains in fp32 and casts its input."""
    for name in HEADS:
        head = getattr(model, name, None)
        if type(head) is torch.nn.Linear and head.weight.dtype != torch.float32:
            head.float()
            head.register_forward_pre_hook(lambda module, args: (args[0].to(module.weight.dtype), *args[1:]))


# A multimodal checkpoint stores its text model under one of these prefixes: the published Mistral-Small-3.1 files
# (written by transformers 4.5x) under `language_model.model.`, later transformers versions under
# `model.language_model.`. tests/test_mistral3_layouts.py loads both in nf4.
TEXT_MODEL_KEYS = {r"^language_model\.model\.": "", r"^model\.language_model\.": "", r"^language_model\.": ""}


def text_config(name_or_path: str, trust_remote_code: bool) -> tuple[PretrainedConfig, bool]:
    """The config of the model to build and whether it is the text part of a multimodal checkpoint (e.g.
    Mistral3ForConditionalGeneration), whose vision tower is then never created or kept in memory."""
    config = AutoConfig.from_pretrained(name_or_path, trust_remote_code=trust_remote_code)
    text = config.get_text_config()
    if text is not config:
        log.info("Loading only the %s text model of %s", text.model_type, type(config).__name__)
    return text, text is not config


class _DropLoadReport(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "LOAD REPORT" not in str(record.msg)


@contextmanager
def own_load_report() -> Iterator[None]:
    """transformers logs a table row per unused tensor, hundreds for a vision tower loaded text-only; `check_loaded`
    reports the same load in one line and, unlike that warning, stops on missing weights."""
    logger, drop = logging.getLogger("transformers.modeling_utils"), _DropLoadReport()
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def check_loaded(name_or_path: str, info: Mapping[str, list[str]]) -> None:
    """A weight the checkpoint does not hold would be freshly initialised with only a warning, and the backbone
    would train from random weights; a key layout the loader does not map shows up here first. The classification
    head is new by design; an encoder saved without its [CLS] pooler gets a fresh one, with a warning."""
    if any(".pooler." in f".{key}" for key in info["missing_keys"]):
        log.warning("backbone %s has no pooler weights: the classifier's [CLS] pooler starts from random values "
                    "(it trains only with lora=none)", name_or_path)
    missing = sorted(key for key in info["missing_keys"]
                     if key.split(".")[0] not in HEADS and ".pooler." not in f".{key}")
    if missing:
        raise ValueError(f"backbone {name_or_path}: {len(missing)} weights are not in the checkpoint (e.g. "
                         f"{', '.join(missing[:3])}); its key layout is not one emotune maps, so they would start "
                         "from random values")
    skipped = sorted({key.split(".")[0] for key in info["unexpected_keys"]})
    if skipped:
        log.info("Left out %d checkpoint tensors outside the backbone (%s)", len(info["unexpected_keys"]),
                 ", ".join(skipped))


def load_backbone(
    name_or_path: str,
    quant: BitsAndBytesConfig | None = None,
    lora: Mapping | None = None,
    dtype: str = "bfloat16",
    trust_remote_code: bool = False,
    gradient_checkpointing: bool = False,
    device_map: dict | None = None,
    labels: Sequence[str] | None = None,
    weights: bool = True,
) -> torch.nn.Module:
    """Without LoRA a quantized backbone cannot learn, so that combination is refused rather than frozen.
    `device_map` (from `emotune.backbone.placement`) places quantized weights; unquantized ones stay for Lightning
    to move.
    `labels` builds transformers' own `*ForSequenceClassification` model for them (the token-input classifier, which
    then exports as a standard folder) instead of the bare model.
    `weights=False` builds the architecture alone, unquantized (on the meta device under `torch.device("meta")`):
    its trainable names and shapes are those of the real load, at no load cost."""
    if quant is not None and lora is None:
        raise ValueError("lora=none with a quantized backbone leaves nothing to train: set quant=none or a lora")
    config, multimodal = text_config(name_or_path, trust_remote_code)
    auto = AutoModel
    if labels is not None:
        pad = load_tokenizer(name_or_path, trust_remote_code).pad_token_id
        config, auto = for_classification(config, labels, pad), AutoModelForSequenceClassification
        if quant is not None:  # transformers keeps only the last module unquantized: BERT's would be classifier.bias
            quant = copy.deepcopy(quant)
            quant.llm_int8_skip_modules = [*HEADS, "pooler.dense", "lm_head"]
    if weights:
        with own_load_report():
            model, info = auto.from_pretrained(
                name_or_path,
                config=config,
                key_mapping=TEXT_MODEL_KEYS if multimodal else None,
                quantization_config=quant,
                dtype=getattr(torch, dtype),
                trust_remote_code=trust_remote_code,
                device_map=device_map if quant is not None else None,
                output_loading_info=True,
            )
        check_loaded(name_or_path, info)
        keep_4bit_trainable_on_cpu(model)
        log.info("Loaded backbone %s onto %s", name_or_path, next(model.parameters()).device)
    else:
        model = auto.from_config(config, dtype=getattr(torch, dtype), trust_remote_code=trust_remote_code)
    float32_head(model)
    model.train()  # from_pretrained returns eval mode; Lightning then switches modes for the whole module
    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if lora is None:
        log.info("Fully fine-tuning %s", name_or_path)
        return model
    model.requires_grad_(False)
    if labels is None:
        return get_peft_model(model, lora_config(**lora))
    heads = [name for name in HEADS if hasattr(model, name)]
    return get_peft_model(model, lora_config(**lora, task_type="SEQ_CLS", modules_to_save=heads))
