"""model=text through every backbone family's loading path, with tiny random models saved to disk."""

from pathlib import Path

import pandas as pd
import pytest
import torch
from helpers import compose_train
from transformers import Mistral3ForConditionalGeneration

from emotune.backbone.loading import load_backbone
from emotune.data import build_datamodule
from emotune.export.hf import export_hf
from emotune.model import build_classifier
from emotune.recipes.train import train
from emotune.run.loader import load_run

FAMILIES = ["mistral", "llama", "qwen2", "bert", "mistral3"]


def text_overrides(path: Path, quant: str = "none", lora: str = "default") -> list[str]:
    targets = "lora.target_modules=null" if lora == "default" else None
    return [x for x in ["model=text", f"backbone.name_or_path={path}", f"quant={quant}", f"lora={lora}", targets,
                        "trainer=cpu", "datamodule.max_length=16"] if x]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_loads_and_classifies_tokens(tmp_path, small_table_overrides, tiny_family, family):
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family(family)))
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    model = build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)
    model.configure_model()
    classifier = model.net.backbone.get_base_model()
    assert type(classifier).__name__.endswith("ForSequenceClassification")
    assert classifier.config.problem_type == "multi_label_classification"
    assert list(classifier.config.id2label.values()) == datamodule.label_names
    inputs, labels = next(iter(datamodule.train_dataloader()))
    assert inputs["input_ids"].shape[1] <= 16 and inputs["attention_mask"].shape == inputs["input_ids"].shape
    logits = model(inputs)
    assert logits.shape == labels.shape and torch.isfinite(logits).all()
    assert any("lora_A" in n for n, p in model.named_parameters() if p.requires_grad)


def test_mistral3_loads_its_text_model_only(tiny_family):
    path = tiny_family("mistral3")
    backbone = load_backbone(str(path), quant=None, lora=None, dtype="float32")
    assert type(backbone).__name__ == "MistralModel"
    assert not any("vision" in name or "projector" in name for name, _ in backbone.named_modules())
    original = Mistral3ForConditionalGeneration.from_pretrained(path).model.language_model.state_dict()
    loaded = backbone.state_dict()
    assert set(loaded) == set(original)
    assert all(torch.equal(loaded[k], original[k]) for k in original)


def test_trust_remote_code_is_off_by_default(tmp_path):
    cfg = compose_train(tmp_path, [])
    assert cfg.backbone.trust_remote_code is False and cfg.datamodule.get("trust_remote_code", False) is False


@pytest.mark.parametrize(("family", "quant", "lora", "pooling"),
                         [("bert", "none", "none", "mean"), ("mistral", "nf4", "default", "auto")])
def test_text_mode_learns_the_keyword_task(tmp_path, small_table_overrides, tiny_family, family, quant, lora, pooling):
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family(family), quant, lora) + [
        "trainer.max_epochs=4", "trainer.accumulate_grad_batches=1", "optimizer.lr=3e-3", "loss=bce",
        "scheduler.warmup_ratio=0", f"model.net.pooling={pooling}"])
    summary = train(cfg)
    losses = pd.read_csv(Path(cfg.paths.output_dir) / "csv" / "metrics.csv")["train/loss_epoch"].dropna().tolist()
    assert len(losses) == 4 and losses[-1] < 0.8 * losses[0]
    assert summary["best"]["metrics"]["val/macro_f1"] > 0.5
    run = load_run(cfg.paths.output_dir)
    classifies = type(run.model.net.backbone.get_base_model() if lora == "default" else run.model.net.backbone)
    assert classifies.__name__.endswith("ForSequenceClassification") == (pooling == "auto")
    if pooling == "mean":  # a head of ours on the bare model: no transformers class holds it
        with pytest.raises(ValueError, match=r"pools its tokens by their mean \(model.net.pooling=mean\)"):
            export_hf(run, tmp_path / "hf")
        assert not (tmp_path / "hf").exists()


def test_a_datamodule_that_does_not_match_the_net_is_refused(tmp_path, small_table_overrides, tiny_family):
    cfg = compose_train(tmp_path, small_table_overrides + [f"backbone.name_or_path={tiny_family('bert')}",
                                                           "quant=none", "lora=none", "datamodule=text"])
    datamodule = build_datamodule(cfg)
    with pytest.raises(ValueError, match="reads embedding input but the datamodule gives text: switch the input with "
                                         r"the model group \(model=embedding or model=text\)"):
        build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)


def test_model_input_is_not_a_second_switch(tmp_path, small_table_overrides):
    with pytest.raises(Exception, match="model.input"):
        compose_train(tmp_path, small_table_overrides + ["model.input=text"])


def test_gradient_checkpointing_option(tmp_path, small_table_overrides, tiny_family):
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family("bert"), lora="none") + [
        "backbone.gradient_checkpointing=true"])
    datamodule = build_datamodule(cfg)
    model = build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)
    model.configure_model()
    assert model.net.backbone.is_gradient_checkpointing
    inputs, labels = next(iter(datamodule.train_dataloader()))
    model.loss_fn(model(inputs), labels).backward()
    assert model.net.backbone.bert.embeddings.word_embeddings.weight.grad is not None


def test_ismote_with_text_input_is_refused(tmp_path, small_table_overrides, tiny_family):
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family("bert")) + ["sampling=ismote"])
    with pytest.raises(Exception, match="ISMOTE interpolates sentence embeddings, and model=text has none"):
        build_datamodule(cfg)


def test_random_oversampling_duplicates_token_rows(tmp_path, small_table_overrides, tiny_family):
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family("bert")) + [
        "sampling=random_oversample", "sampling.oversample.sampling_strategy=200"])
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    rows, labels = datamodule.train_arrays()
    assert len(rows) > len(datamodule.split("train")) and (labels.sum(axis=0) >= 200).all()
    dataset = datamodule.dataset("train")
    duplicate = len(datamodule.split("train"))  # the first synthetic row repeats its seed's tokens
    seed = int(rows[duplicate, 0])
    assert dataset[duplicate][0] == datamodule.tokens("train")[seed]


def test_nf4_classifier_head_is_unquantized_fp32_and_saved_with_the_adapter(tmp_path, small_table_overrides,
                                                                           tiny_family):
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family("mistral"), "nf4"))
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    model = build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)
    model.configure_model()
    score = model.net.backbone.base_model.model.score  # PEFT's wrapper around the head it trains and saves
    trained = score.modules_to_save["default"]
    assert type(trained) is torch.nn.Linear and trained.weight.dtype == torch.float32 and trained.weight.requires_grad
    assert model.net.backbone.base_model.model.model.layers[0].self_attn.q_proj.base_layer.weight.dtype == torch.uint8
    inputs, labels = next(iter(datamodule.train_dataloader()))
    model.loss_fn(model(inputs), labels).backward()
    assert trained.weight.grad is not None and trained.weight.grad.abs().sum() > 0


def test_an_nf4_encoder_classifier_keeps_its_head_and_pooler_unquantized(tmp_path, small_table_overrides, tiny_family):
    """transformers leaves only the last module unquantized, which for BERT is no head at all (classifier.bias)."""
    cfg = compose_train(tmp_path, small_table_overrides + text_overrides(tiny_family("bert"), "nf4"))
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    model = build_classifier(cfg, datamodule.train_label_stats(), datamodule.input_width)
    model.configure_model()
    bert = model.net.backbone.base_model.model
    assert type(bert.classifier.modules_to_save["default"]) is torch.nn.Linear
    assert type(bert.bert.pooler.dense) is torch.nn.Linear
    inputs, labels = next(iter(datamodule.train_dataloader()))
    logits = model(inputs)
    assert logits.shape == labels.shape and torch.isfinite(logits).all()
