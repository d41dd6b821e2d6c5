"""The preflight's parts, the backbone placement and the typed contracts, without training anything."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import compose_train, goemotions_rows, write_goemotions
from hydra.utils import instantiate

from emotune.backbone.placement import backbone_device_map
from emotune.data import GoEmotions, TableSource
from emotune.data.protocols import DataSource
from emotune.encoders import LsaEncoder, SentenceTransformerEncoder
from emotune.encoders.protocol import FittedEncoder, TextEncoder
from emotune.evaluation.metric_names import AVERAGED, PER_LABEL
from emotune.evaluation.metrics import build_metrics
from emotune.recipes.instantiate import instantiate_group
from emotune.recipes.preflight import Found, parameter_count, preflight


def test_parameter_count_follows_the_decoder_shapes(tmp_path: Path) -> None:
    """Mistral-Small-3.1's text config: 22.9B parameters in the decoder and its embeddings (the LM head, which a
    classifier does not load, is the rest of its 23.6B)."""
    text = {"hidden_size": 5120, "num_hidden_layers": 40, "intermediate_size": 32768, "num_attention_heads": 32,
            "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 131072}
    (tmp_path / "config.json").write_text(json.dumps({"text_config": text, "vision_config": {}}))
    assert parameter_count(Found(config_file=tmp_path / "config.json"), "anything") == pytest.approx(22.90e9, rel=1e-3)
    assert parameter_count(Found(hub_parameters=3e9), "org/Some-Model-7B-Instruct") == 3e9
    assert parameter_count(Found(), "org/Some-Model-7B-Instruct") == 7e9
    assert parameter_count(Found(), "org/model-v2") is None


def test_a_tiny_quantized_backbone_on_cpu_passes(tmp_path: Path, tiny_mistral: Path, small_table_overrides) -> None:
    cfg = compose_train(tmp_path, small_table_overrides + [f"backbone.name_or_path={tiny_mistral}", "trainer=cpu"])
    assert preflight(cfg) == []


def test_a_folder_without_a_model_is_named(tmp_path: Path, small_table_overrides) -> None:
    cfg = compose_train(tmp_path, small_table_overrides + [f"backbone.name_or_path={tmp_path}", "trainer=cpu"])
    assert preflight(cfg) == [f"backbone.name_or_path={tmp_path}: no model folder there (expected a folder with "
                              "config.json)"]


def test_an_explicit_checkpoint_that_does_not_exist_is_named(tmp_path: Path, small_table_overrides) -> None:
    cfg = compose_train(tmp_path, small_table_overrides + ["experiment=quickstart", "ckpt_path=nowhere.ckpt"])
    assert preflight(cfg) == ["ckpt_path=nowhere.ckpt: no such checkpoint (use a .ckpt file, or last for this run "
                              "dir's last.ckpt)"]


def test_placement_follows_the_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LOCAL_RANK", "SLURM_LOCALID"):
        monkeypatch.delenv(variable, raising=False)
    assert backbone_device_map("cpu") is None
    if not torch.cuda.is_available():
        assert backbone_device_map("auto") is None
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # the mapping rule, on any machine
    assert backbone_device_map("cpu") is None
    assert backbone_device_map("gpu", 1) == {"": 0}
    assert backbone_device_map("auto", [2, 3]) == {"": 2}
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert backbone_device_map("gpu", [2, 3]) == {"": 3}
    assert backbone_device_map("gpu", 2) == {"": 1}
    assert backbone_device_map("gpu", "2,3") == {"": 3} and backbone_device_map("gpu", "1,") == {"": 1}
    assert backbone_device_map("gpu", "2") == {"": 1}  # a count: this process's own device
    monkeypatch.delenv("LOCAL_RANK")
    monkeypatch.setenv("SLURM_LOCALID", "1")  # srun sets this, not LOCAL_RANK
    assert backbone_device_map("gpu", [4, 5]) == {"": 5}


def test_logger_and_callbacks_none_instantiate_nothing(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=quickstart", "logger=none", "callbacks=none"])
    assert instantiate_group(cfg.logger, "logger") == [] and instantiate_group(cfg.callbacks, "callbacks") == []
    debug = compose_train(tmp_path, ["experiment=quickstart", "debug=fdr"])
    assert not debug.logger and not debug.callbacks


def test_sources_and_encoders_meet_their_protocols(tmp_path: Path, keyword_jsonl: Path) -> None:
    assert isinstance(TableSource(str(keyword_jsonl)), DataSource)
    folder = write_goemotions(tmp_path / "goemotions", {"train.tsv": goemotions_rows(10)})
    assert isinstance(GoEmotions(str(folder), verify_checksums=False, download=False), DataSource)
    assert isinstance(LsaEncoder(), FittedEncoder) and isinstance(SentenceTransformerEncoder("x"), TextEncoder)
    assert not isinstance(SentenceTransformerEncoder("x"), FittedEncoder)


def test_the_monitor_names_are_the_logged_ones(tmp_path: Path, small_table_overrides) -> None:
    assert set(build_metrics(3)) == {*AVERAGED, *PER_LABEL}
    cfg = compose_train(tmp_path, small_table_overrides + ["experiment=quickstart",
                                                           "callbacks.model_checkpoint.monitor=val/macro_f2"])
    assert preflight(cfg)[0].startswith("callbacks.model_checkpoint.monitor=val/macro_f2: expected val/loss or")
    cfg = compose_train(tmp_path, small_table_overrides + ["experiment=quickstart",
                                                           "callbacks.model_checkpoint.monitor=val/loss"])
    assert preflight(cfg) == ["callbacks.model_checkpoint.mode=max: val/loss is better when lower, so mode should be "
                              "min"]
    early = ["+callbacks.early_stopping._target_=lightning.pytorch.callbacks.EarlyStopping",
             "+callbacks.early_stopping.monitor=val/f1_macro", "+callbacks.early_stopping.mode=max"]
    cfg = compose_train(tmp_path, small_table_overrides + ["experiment=quickstart", *early])
    assert preflight(cfg)[0].startswith("callbacks.early_stopping.monitor=val/f1_macro: expected val/loss or")


@pytest.mark.parametrize(("name", "expected"), [("constant", [1.0] * 10), ("cosine", None)])
def test_the_scheduler_is_a_partial_like_the_optimizer(tmp_path: Path, small_table_overrides, name, expected) -> None:
    cfg = compose_train(tmp_path, small_table_overrides + [f"scheduler={name}", "scheduler.warmup_ratio=0.2"])
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = instantiate(cfg.scheduler)(optimizer, total_steps=10)
    lrs = []
    for _ in range(10):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[:2] == [0.0, 0.5]  # two warmup steps of ten
    if expected is None:
        assert lrs[2] == 1.0 and np.all(np.diff(lrs[2:]) < 0)
    else:
        assert lrs[2:] == expected[2:]
