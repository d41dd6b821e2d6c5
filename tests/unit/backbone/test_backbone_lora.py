"""The tiny Mistral through the users' loading path: real bitsandbytes NF4 and real PEFT LoRA on CPU."""

import gc
from pathlib import Path

import bitsandbytes as bnb
import pytest
import torch
from bitsandbytes.functional import has_avx512bf16
from helpers import compose_train, epoch_losses
from hydra.utils import instantiate

from emotune.backbone.loading import load_backbone
from emotune.data import build_datamodule
from emotune.model import EmotionClassifier, build_classifier
from emotune.recipes.train import train, write_run_start
from emotune.run.loader import load_run

TRAINABLE_PARTS = ("lora_A", "lora_B", "net.projection.", "net.norm.", "net.head.")


def build(tmp_path: Path, overrides: list[str]):
    cfg = compose_train(tmp_path, overrides)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    model = build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)
    model.configure_model()
    return cfg, datamodule, model


def test_nf4_backbone_is_quantized_and_wrapped_in_lora(tmp_path, small_table_overrides, tiny_backbone_overrides):
    _, _, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4"))
    attention = model.net.backbone.base_model.model.layers[0].self_attn
    assert isinstance(attention.v_proj.base_layer, bnb.nn.Linear4bit)
    assert attention.v_proj.base_layer.weight.quant_type == "nf4"
    assert attention.v_proj.base_layer.weight.quant_state.nested  # double quantization
    assert attention.v_proj.lora_A["default"].out_features == 4
    assert type(attention.q_proj) is bnb.nn.Linear4bit  # no adapter: one token gives it no gradient


def test_training_forwards_build_no_kv_cache(tmp_path, small_table_overrides, tiny_backbone_overrides):
    """A classifier never decodes, so a cache built on every forward would be wasted memory and time."""
    _, datamodule, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4"))
    outputs = []
    model.net.backbone.register_forward_hook(lambda module, args, output: outputs.append(output))
    model(next(iter(datamodule.train_dataloader()))[0])
    assert outputs and outputs[0].past_key_values is None


@pytest.mark.parametrize("tokens", [1, 2])
def test_one_token_gives_q_and_k_adapters_no_gradient(tiny_mistral, tokens):
    """Why model=embedding's LoRA leaves out q_proj and k_proj (conf/model/embedding.yaml): over one key the
    attention softmax is 1 whatever the query and key. Two tokens are the control: there they learn."""
    projections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    backbone = load_backbone(str(tiny_mistral), lora={"r": 4, "alpha": 8, "dropout": 0.0,
                                                      "target_modules": projections}, dtype="float32")
    torch.manual_seed(0)
    for name, param in backbone.named_parameters():
        if "lora_B" in name:  # PEFT starts B at zero; away from it every adapter could pass a gradient back
            torch.nn.init.normal_(param, std=0.02)
    inputs = torch.randn(3, tokens, backbone.config.hidden_size)
    backbone(inputs_embeds=inputs, use_cache=False).last_hidden_state[:, -1].pow(2).sum().backward()
    largest = {proj: max(p.grad.abs().max().item() for n, p in backbone.named_parameters()
                         if p.requires_grad and f".{proj}." in n) for proj in projections}
    attention_scores, rest = max(largest["q_proj"], largest["k_proj"]), min(largest[p] for p in projections[2:])
    assert rest > 0
    if tokens == 1:
        assert attention_scores <= 1e-6 * rest
    else:
        assert attention_scores >= 1e-3 * rest


def test_embedding_mode_adapts_all_but_q_and_k_and_text_mode_all(tmp_path):
    embedding = compose_train(tmp_path, [])
    assert embedding.lora.target_modules == ["v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    text = compose_train(tmp_path, ["model=text"])
    assert text.lora.target_modules[:2] == ["q_proj", "k_proj"] and len(text.lora.target_modules) == 7


def test_only_lora_projection_and_head_get_gradients(tmp_path, small_table_overrides, tiny_backbone_overrides):
    _, datamodule, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4"))
    features, labels = next(iter(datamodule.train_dataloader()))
    model.loss_fn(model(features), labels).backward()
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert with_grad == trainable
    assert all(any(part in n for part in TRAINABLE_PARTS) for n in trainable)
    # lora_B starts at zero, so at the first step only lora_B (not lora_A) receives a non-zero gradient.
    nonzero = {n for n in with_grad if model.get_parameter(n).grad.abs().sum() > 0}
    assert {"lora_B", "net.projection.", "net.head."} <= {p for p in TRAINABLE_PARTS if any(p in n for n in nonzero)}
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert any("embed_tokens" in n for n in frozen) and any("base_layer" in n for n in frozen)


@pytest.mark.skipif(not has_avx512bf16(), reason="bitsandbytes repacks 4-bit weights only on AVX512-BF16 CPUs")
def test_gradients_after_a_validation_pass_are_unchanged(tmp_path, small_table_overrides, tiny_backbone_overrides):
    _, datamodule, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4"))
    features, labels = next(iter(datamodule.train_dataloader()))

    def projection_grad() -> torch.Tensor:
        model.zero_grad()
        model.train()
        torch.manual_seed(0)  # same dropout masks
        model.loss_fn(model(features), labels).backward()
        return model.net.projection[0].weight.grad.clone()

    before = projection_grad()
    model.eval()
    with torch.no_grad():
        model(features)
    assert torch.equal(projection_grad(), before)


@pytest.mark.parametrize(("quant", "optimizer"), [("nf4", "adamw8bit"), ("none", "adamw")])
def test_tiny_mistral_learns_the_keyword_task(
    tmp_path, small_table_overrides, tiny_backbone_overrides, quant, optimizer
):
    cfg = compose_train(tmp_path, small_table_overrides + tiny_backbone_overrides(quant) + [
        f"optimizer={optimizer}", "trainer.max_epochs=5", "trainer.accumulate_grad_batches=1", "optimizer.lr=3e-3",
        "loss=bce", "scheduler.warmup_ratio=0"])
    summary = train(cfg)
    losses = epoch_losses(Path(cfg.paths.output_dir))
    assert len(losses) == 5 and losses[-1] < 0.8 * losses[0]
    assert summary["best"]["metrics"]["val/macro_f1"] > 0.5


def test_checkpoint_reloads_in_a_fresh_model_with_identical_logits(
    tmp_path, small_table_overrides, tiny_backbone_overrides
):
    cfg, datamodule, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4") + [
        "+trainer.max_steps=3", "trainer.num_sanity_val_steps=0"])
    trainer = instantiate(cfg.trainer, logger=False, enable_checkpointing=False, limit_val_batches=0)
    trainer.fit(model, datamodule=datamodule)
    run_dir = Path(cfg.paths.output_dir)
    write_run_start(run_dir, cfg, datamodule, datamodule.train_label_stats(), datamodule.train_counts())
    trainer.save_checkpoint(run_dir / "checkpoints" / "best.ckpt")

    saved = torch.load(run_dir / "checkpoints" / "best.ckpt", weights_only=True)["state_dict"]
    assert set(saved) == set(model.trainable_shapes())
    assert int(saved["net.norm.num_batches_tracked"]) > 0 and saved["net.norm.running_var"].ne(1).all()
    assert not any("base_layer" in key or "embed_tokens" in key for key in saved)

    fresh = load_run(run_dir, "best").model
    features = torch.from_numpy(datamodule.embeddings("val"))
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(features), fresh(features))


def test_the_state_the_head_reads_is_standardized_per_feature(tmp_path, small_table_overrides,
                                                              tiny_backbone_overrides):
    """The decoder's one-token state is standardized over the batch before the head (network.py says why); a
    training batch of one row, an epoch's last, has no spread and is standardized by the running statistics."""
    _, datamodule, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("none"))
    features, _ = next(iter(datamodule.train_dataloader()))
    net = model.net.train()
    seen = {}
    net.norm.register_forward_hook(lambda _, inputs, output: seen.update(raw=inputs[0], out=output))
    net(features)
    assert seen["out"].mean(0).abs().max() < 1e-4 and seen["raw"].mean(0).abs().max() > 1e-2
    assert seen["out"].std(0, unbiased=False).sub(1).abs().max() < 1e-2
    assert torch.isfinite(net(features[:1])).all()
    assert int(net.norm.num_batches_tracked) == 1  # the one-row batch left the running statistics alone
    assert model.build_net is not None and "net.norm.running_mean" in model.trainable_shapes()


def test_a_checkpoint_from_another_lora_setup_is_refused(tmp_path, small_table_overrides, tiny_backbone_overrides):
    _, _, model = build(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4"))
    saved = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad and "mlp" not in name}
    with pytest.raises(ValueError, match=r"the checkpoint being resumed does not match.*missing \['net\.backbone"):
        model.on_load_checkpoint({"state_dict": saved})
    with pytest.raises(ValueError, match="run/x.ckpt does not match"):
        model.load_trainable(saved, "run/x.ckpt")


def test_lora_none_with_a_quantized_backbone_is_refused(tmp_path, small_table_overrides, tiny_mistral):
    with pytest.raises(Exception, match="lora=none with a quantized backbone"):
        build(tmp_path, small_table_overrides + [f"backbone.name_or_path={tiny_mistral}", "quant=nf4", "lora=none"])


def test_train_frees_its_model_before_returning(tmp_path, small_table_overrides, tiny_backbone_overrides):
    """A Hydra multirun runs its jobs in one process: the next job must not load its backbone beside this one's,
    which the trainer-module reference cycle would otherwise keep until the cyclic collector happens to run."""
    cfg = compose_train(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4") + ["trainer.max_epochs=1"])
    gc.collect()
    gc.disable()
    try:
        train(cfg)
        alive = [o for o in gc.get_objects() if isinstance(o, EmotionClassifier | bnb.nn.Linear4bit)]
    finally:
        gc.enable()
    assert alive == []


@pytest.mark.parametrize("mode", ["embedding", "text"])
def test_the_weightless_build_plans_the_trainable_shapes_of_the_real_one(tmp_path, small_table_overrides,
                                                                        tiny_backbone_overrides, mode):
    """Under DDP a resumed checkpoint is checked against the build on the meta device, before any rank loads."""
    text = ["model=text", "lora.target_modules=null", "datamodule.max_length=16"] if mode == "text" else []
    cfg = compose_train(tmp_path, small_table_overrides + tiny_backbone_overrides("nf4") + text)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    model = build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)
    planned = model.planned_shapes()
    assert model.net is None and planned
    model.configure_model()
    assert planned == model.trainable_shapes()
