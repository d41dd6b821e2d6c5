"""The Mistral3 text model loads in nf4 from both key layouts its published checkpoints use, and an unmapped
layout is refused instead of training from random weights."""

import json
from pathlib import Path

import bitsandbytes as bnb
import pytest
import torch
from helpers import tiny_configs
from safetensors.torch import save_file
from transformers import BitsAndBytesConfig, Mistral3ForConditionalGeneration

from emotune.backbone.loading import load_backbone

# Where each layout keeps the parts of a Mistral3ForConditionalGeneration: transformers 4.5x wrote the
# published Mistral-Small-3.1 files in the first, later versions write the second.
LAYOUTS = {
    "language_model.model": {"text": "language_model.model.", "lm_head": "language_model.lm_head.",
                             "vision_tower": "vision_tower.", "multi_modal_projector": "multi_modal_projector."},
    "model.language_model": {"text": "model.language_model.", "lm_head": "lm_head.",
                             "vision_tower": "model.vision_tower.",
                             "multi_modal_projector": "model.multi_modal_projector."},
    "unmapped": {"text": "text_model.", "lm_head": "lm_head.", "vision_tower": "vision_tower.",
                 "multi_modal_projector": "multi_modal_projector."},
}
NF4 = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                         bnb_4bit_compute_dtype=torch.bfloat16)
LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}


def original_parts() -> dict[str, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    model = Mistral3ForConditionalGeneration(tiny_configs()["mistral3"])
    return {"text": model.model.language_model.state_dict(), "lm_head": model.lm_head.state_dict(),
            "vision_tower": model.model.vision_tower.state_dict(),
            "multi_modal_projector": model.model.multi_modal_projector.state_dict()}


def write_checkpoint(folder: Path, layout: str, parts: dict[str, dict[str, torch.Tensor]]) -> Path:
    """Real safetensors files with an explicit key layout, as a hub download would hold them."""
    folder.mkdir()
    tensors = {LAYOUTS[layout][part] + key: value.clone().contiguous()
               for part, state in parts.items() for key, value in state.items()}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(tiny_configs()["mistral3"].to_dict()))
    return folder


def weights(backbone: torch.nn.Module) -> tuple[dict[str, torch.Tensor], set[str]]:
    """Each base weight as a float tensor, nf4 ones dequantized, keyed as in the text model's own state dict;
    and the keys that were nf4."""
    out, nf4 = {}, set()
    for name, param in backbone.get_base_model().named_parameters():
        if "lora_" in name:
            continue
        if isinstance(param, bnb.nn.Params4bit):
            nf4.add(name.replace(".base_layer", ""))
            param = bnb.functional.dequantize_4bit(param.data, param.quant_state)
        out[name.replace(".base_layer", "")] = param.detach().float().cpu()
    return out, nf4


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device")])])
@pytest.mark.parametrize("layout", ["language_model.model", "model.language_model"])
def test_both_published_layouts_load_in_nf4(tmp_path, layout, device):
    parts = original_parts()
    path = write_checkpoint(tmp_path / layout, layout, parts)
    backbone = load_backbone(str(path), quant=NF4, lora=LORA, device_map={"": device} if device == "cuda" else None)
    assert type(backbone.get_base_model()).__name__ == "MistralModel"
    loaded, nf4 = weights(backbone)
    assert set(loaded) == set(parts["text"])
    assert len(nf4) == 2 * 7  # every projection of both decoder layers
    for key, original in parts["text"].items():
        original = original.float()
        if key in nf4:
            # nf4 keeps 16 levels per 64-value block, scaled by the block's absmax: the worst rounding is about
            # 0.14 of that absmax, and the typical one a small fraction of the values' spread.
            error = (loaded[key] - original).abs()
            assert error.max() <= 0.15 * original.abs().max(), key
            assert error.norm() <= 0.12 * original.norm(), key
        else:
            assert torch.equal(loaded[key], original.to(torch.bfloat16).float()), key


def test_a_layout_that_is_not_mapped_is_refused(tmp_path):
    path = write_checkpoint(tmp_path / "unmapped", "unmapped", original_parts())
    with pytest.raises(ValueError, match=r"weights are not in the checkpoint \(e.g. .*embed_tokens.*"
                                         r"would start from random values"):
        load_backbone(str(path), quant=NF4, lora=LORA)
