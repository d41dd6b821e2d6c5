"""Resuming a run trained with bitsandbytes' AdamW8bit (the reference optimizer) restores its 8-bit state."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import compose_train, keyword_rows

from emotune.recipes.train import train


def test_a_resumed_adamw8bit_run_ends_where_an_uninterrupted_one_does(tmp_path: Path, tiny_mistral: Path) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(200)))
    # A constant rate: a cosine schedule would be planned over the first run's single epoch.
    base = ["data=table", f"data.train_file={data}", "encoder.dim=16", "encoder.min_df=1",
            f"backbone.name_or_path={tiny_mistral}", "lora.r=4", "trainer=cpu", "optimizer=adamw8bit",
            "optimizer.lr=3e-3", "scheduler=constant", "trainer.accumulate_grad_batches=1", "datamodule.batch_size=32",
            "report.after_fit=false"]
    whole = train(compose_train(tmp_path / "whole", [*base, "trainer.max_epochs=2"]))
    train(compose_train(tmp_path / "parts", [*base, "trainer.max_epochs=1"]))
    resumed = train(compose_train(tmp_path / "parts", [*base, "trainer.max_epochs=2", "ckpt_path=last"]))
    assert resumed["final"]["epoch"] == whole["final"]["epoch"] == 1
    assert resumed["final"]["metrics"] == whole["final"]["metrics"]
