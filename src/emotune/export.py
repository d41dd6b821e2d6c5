"""A self-contained run dir: the PEFT adapter, the other trainable weights in safetensors, labels,
thresholds and config, so a run can be scored (`emotune predict`) without the training checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from peft import PeftModel, set_peft_model_state_dict
from safetensors.torch import load_file, save_file

from emotune.atomic import atomic_write, write_json
from emotune.data.label_stats import LabelStats
from emotune.model.module import EmotionClassifier

MANIFEST = "export.json"
REQUIRED = ("config.yaml", MANIFEST, "labels.json", "thresholds.json", "head.safetensors")


def trainable_outside_adapter(model: EmotionClassifier) -> dict[str, torch.Tensor]:
    """Projection and head, plus the backbone itself when it was fully fine-tuned."""
    return {n: p.detach().contiguous().cpu() for n, p in model.named_parameters()
            if p.requires_grad and "lora_" not in n}


def export_run(model: EmotionClassifier, run_dir: Path, labels: LabelStats, embedding_dim: int | None,
               thresholds: dict) -> None:
    backbone = getattr(model.net, "backbone", None)
    if isinstance(backbone, PeftModel):
        staging = run_dir / ".adapter.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        backbone.save_pretrained(staging)
        shutil.rmtree(run_dir / "adapter", ignore_errors=True)
        staging.rename(run_dir / "adapter")
    atomic_write(run_dir / "head.safetensors", lambda tmp: save_file(trainable_outside_adapter(model), str(tmp)))
    write_json(run_dir / "labels.json", labels.as_dict())
    write_json(run_dir / "thresholds.json", thresholds)
    write_json(run_dir / MANIFEST, {"embedding_dim": embedding_dim, "adapter": isinstance(backbone, PeftModel)})


def check_export(run_dir: Path) -> dict:
    missing = [name for name in REQUIRED if not (run_dir / name).is_file()]
    manifest = json.loads((run_dir / MANIFEST).read_text()) if MANIFEST not in missing else {}
    if manifest.get("adapter") and not (run_dir / "adapter" / "adapter_model.safetensors").is_file():
        missing.append("adapter/adapter_model.safetensors")
    if missing:
        raise FileNotFoundError(f"{run_dir} is not a complete exported run: missing {', '.join(missing)} "
                                "(it is written when training finishes)")
    return manifest


def load_exported_weights(model: EmotionClassifier, run_dir: Path) -> None:
    """safetensors only: loading a run dir never unpickles anything."""
    if isinstance(getattr(model.net, "backbone", None), PeftModel):
        adapter = load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))
        result = set_peft_model_state_dict(model.net.backbone, adapter)
        if result.unexpected_keys or any("lora_" in key for key in result.missing_keys):
            raise ValueError(f"{run_dir / 'adapter'} does not match the configured LoRA modules")
    head = load_file(str(run_dir / "head.safetensors"))
    expected = {n for n, p in model.named_parameters() if p.requires_grad and "lora_" not in n}
    if set(head) != expected:
        raise ValueError(f"{run_dir / 'head.safetensors'} does not match the model: "
                         f"missing {sorted(expected - set(head))[:3]}, unexpected {sorted(set(head) - expected)[:3]}")
    model.load_state_dict(head, strict=False)
