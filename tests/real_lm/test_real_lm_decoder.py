"""What a real decoder (SmolLM2-135M-Instruct) needs that an encoder does not: no KV cache in training, the same
probabilities whatever side the tokenizer pads on, a pad token where the tokenizer has none, bf16 autocast on CPU."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import torch
from helpers import compose_train, epoch_losses, goemotions_overrides

from emotune.backbone.tokenizer import load_tokenizer
from emotune.data.text_datamodule import PadCollator
from emotune.model.build import build_net
from emotune.recipes.train import train

pytestmark = pytest.mark.real_lm

TEXTS = ["I love this so much!", "what time is the meeting tomorrow? I need to know, it matters a lot to me",
         "ugh.", "Thanks, that was really kind of you and I appreciate it"]
LABELS = [f"label{i}" for i in range(5)]


def net_for(cfg, input_width: int | None) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_net(cfg, LABELS, input_width, "cpu").train()


@pytest.mark.parametrize("model", ["embedding", "text"])
def test_no_training_forward_builds_a_kv_cache(tmp_path, smollm2, model):
    cfg = compose_train(tmp_path, [f"model={model}", "quant=none", f"backbone.name_or_path={smollm2}",
                                   "backbone.dtype=float32", "trainer=cpu"])
    net = net_for(cfg, 8 if model == "embedding" else None)
    outputs = []
    net.backbone.register_forward_hook(lambda module, args, output: outputs.append(output))
    if model == "embedding":
        net(torch.randn(3, 8)).sum().backward()
    else:
        batch, _ = PadCollator(load_tokenizer(smollm2))([(ids, torch.zeros(5)) for ids in
                                                        load_tokenizer(smollm2)(TEXTS)["input_ids"]])
        net(batch).sum().backward()
    assert outputs and getattr(outputs[0], "past_key_values", None) is None


def tokenizer_copy(source: Path, folder: Path, **changes) -> Path:
    """The model's tokenizer files with `tokenizer_config.json` changed (None deletes a key)."""
    folder.mkdir()
    for path in source.iterdir():
        if path.name.startswith(("tokenizer", "special_tokens", "vocab", "merges")):
            shutil.copy(path, folder / path.name)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    for key, value in changes.items():
        config.pop(key, None) if value is None else config.__setitem__(key, value)
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    special = folder / "special_tokens_map.json"
    if special.is_file() and changes.get("pad_token", "") is None:
        special.write_text(json.dumps({k: v for k, v in json.loads(special.read_text()).items() if k != "pad_token"}))
    return folder


@pytest.mark.parametrize("family", ["smollm2", "minilm"])
def test_padding_on_either_side_gives_the_same_probabilities(tmp_path, request, family):
    """MiniLM (absolute positions, mean pooling as in experiment=cpu_text) changes its outputs when padded on the
    left; SmolLM2 (rotary positions, last-token pooling) only by float error. Batches pad on the right either way."""
    folder = request.getfixturevalue(family)
    extra = ["model.net.pooling=mean", "lora=none"] if family == "minilm" else []
    cfg = compose_train(tmp_path, ["model=text", "quant=none", f"backbone.name_or_path={folder}",
                                   "backbone.dtype=float32", "trainer=cpu", *extra])
    net = net_for(cfg, None).eval()
    scores = {}
    for side in ("left", "right"):
        tokenizer = load_tokenizer(tokenizer_copy(folder, tmp_path / side, padding_side=side))
        batch, _ = PadCollator(tokenizer)([(ids, torch.zeros(5)) for ids in tokenizer(TEXTS)["input_ids"]])
        with torch.no_grad():
            scores[side] = torch.sigmoid(net(batch))
    assert torch.allclose(scores["left"], scores["right"], atol=1e-5), (scores["left"] - scores["right"]).abs().max()


def test_a_tokenizer_without_a_pad_token_gets_one_and_the_log_names_it(tmp_path, smollm2, caplog):
    folder = tokenizer_copy(smollm2, tmp_path / "nopad", pad_token=None)
    with caplog.at_level(logging.INFO, logger="emotune"):
        tokenizer = load_tokenizer(folder)
    assert tokenizer.pad_token == tokenizer.eos_token == "<|im_end|>"
    assert f"no pad token: padding with '<|im_end|>' (id {tokenizer.pad_token_id})" in caplog.text
    batch = tokenizer.pad([{"input_ids": ids} for ids in tokenizer(TEXTS[:2])["input_ids"]], return_tensors="pt")
    assert batch["attention_mask"].sum(1).tolist() == [len(ids) for ids in tokenizer(TEXTS[:2])["input_ids"]]


@pytest.mark.slow  # bf16 matmuls are emulated on CPUs without AVX512-BF16: about 45 s here
def test_bf16_autocast_on_cpu_trains(tmp_path, smollm2, minilm, real_goemotions):
    cfg = compose_train(tmp_path, ["experiment=small_lm", "sampling=none", f"backbone.name_or_path={smollm2}",
                                   f"encoder.name_or_path={minilm}", *goemotions_overrides(real_goemotions),
                                   "trainer.precision=bf16-mixed", "trainer.max_epochs=3", "datamodule.batch_size=16",
                                   "optimizer.lr=3e-3", "scheduler.warmup_ratio=0", "report.plots=false"])
    summary = train(cfg)
    losses = epoch_losses(Path(cfg.paths.output_dir))
    assert len(losses) == 3 and all(map(torch.isfinite, torch.tensor(losses))) and losses[-1] < losses[0], losses
    assert summary["best"] is not None
