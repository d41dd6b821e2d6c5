"""The DataModule's split handling, built from the real config."""

import json
from pathlib import Path

from helpers import compose_train, goemotions_rows, write_goemotions

from emotune.data import build_datamodule
from emotune.recipes.train import train


def test_encoder_is_fitted_on_train_only(tmp_path: Path) -> None:
    train_file, val_file = tmp_path / "train.jsonl", tmp_path / "val.jsonl"
    train_file.write_text("".join(json.dumps({"text": f"common words {i} here", "labels": ["a"]}) + "\n"
                                  for i in range(40)))
    val_file.write_text(json.dumps({"text": "zebra zebra", "labels": ["a"]}) + "\n")
    cfg = compose_train(tmp_path, ["data=table", f"data.train_file={train_file}", f"data.val_file={val_file}",
                                   "data.test_fraction=0", "encoder.dim=4", "encoder.min_df=1"])
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")
    vocabulary = datamodule.encoder._vectorizer.vocabulary_
    assert "common" in vocabulary and "zebra" not in vocabulary
    assert not datamodule.embeddings("val").any()  # nothing of val was seen, so it encodes to zeros


def test_rerun_into_the_same_dir_replaces_its_checkpoints(tmp_path: Path) -> None:
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(120), "dev.tsv": goemotions_rows(40, 1)})
    overrides = ["experiment=quickstart", f"data.data_dir={data}", "data.verify_checksums=false", "encoder.dim=8",
                 "encoder.min_df=1", "trainer.max_epochs=1", "trainer.enable_progress_bar=false"]
    train(compose_train(tmp_path, overrides))
    train(compose_train(tmp_path, overrides))
    assert sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]
