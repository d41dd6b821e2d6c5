"""What training adds to a run dir when it finishes: the PEFT adapter, the other trainable weights in
safetensors, the calibration and the decision thresholds, so the run can be scored (`emotune predict`) without its
checkpoints."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch
from peft import PeftModel, set_peft_model_state_dict
from safetensors.torch import load_file, save_file

from emotune.model.module import EmotionClassifier
from emotune.run.files import (
    ADAPTER,
    ADAPTER_WEIGHTS,
    CALIBRATION,
    HEAD,
    MANIFEST,
    MODEL_CARD,
    THRESHOLDS,
    eval_dirs,
)
from emotune.utils.atomic import atomic_write, write_json


def trainable_outside_adapter(model: EmotionClassifier) -> dict[str, torch.Tensor]:
    """Projection, norm and head, plus the backbone itself when it was fully fine-tuned."""
    return {n: t.detach().contiguous().cpu() for n, t in model.learned_state().items() if "lora_" not in n}


def export_run(model: EmotionClassifier, run_dir: Path, thresholds: dict, calibration: dict) -> dict:
    """Returns the manifest (export.json) it wrote."""
    backbone = getattr(model.net, "backbone", None)
    if isinstance(backbone, PeftModel):
        staging = run_dir / f".{ADAPTER}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        backbone.save_pretrained(staging)
        shutil.rmtree(run_dir / ADAPTER, ignore_errors=True)
        staging.rename(run_dir / ADAPTER)
    atomic_write(run_dir / HEAD, lambda tmp: save_file(trainable_outside_adapter(model), str(tmp)))
    write_json(run_dir / THRESHOLDS, thresholds)
    write_json(run_dir / CALIBRATION, calibration)
    manifest = {"adapter": isinstance(backbone, PeftModel)}
    write_json(run_dir / MANIFEST, manifest)
    return manifest


def clear_finished(run_dir: Path) -> None:
    """An earlier run's export and evaluations in this dir would not match the run that starts in it."""
    for name in (HEAD, THRESHOLDS, CALIBRATION, MANIFEST, MODEL_CARD):
        (run_dir / name).unlink(missing_ok=True)
    for folder in [run_dir / ADAPTER, *eval_dirs(run_dir)]:
        shutil.rmtree(folder, ignore_errors=True)


def load_exported_weights(model: EmotionClassifier, run_dir: Path) -> None:
    """safetensors only: loading a run dir never unpickles anything."""
    if isinstance(getattr(model.net, "backbone", None), PeftModel):
        adapter = load_file(str(run_dir / ADAPTER_WEIGHTS))
        result = set_peft_model_state_dict(model.net.backbone, adapter)
        if result.unexpected_keys or any("lora_" in key for key in result.missing_keys):
            raise ValueError(f"{run_dir / ADAPTER} does not match the configured LoRA modules")
    head = load_file(str(run_dir / HEAD))
    expected = {n for n in model.learned_state() if "lora_" not in n}
    if set(head) != expected:
        raise ValueError(f"{run_dir / HEAD} does not match the model: "
                         f"missing {sorted(expected - set(head))[:3]}, unexpected {sorted(set(head) - expected)[:3]}")
    model.load_state_dict(head, strict=False)
