"""Shared fixtures: a tiny Mistral on disk, generated data, finished runs, and the real models where they exist."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import (
    FAST_RUN,
    GOEMOTIONS_LABELS,
    SHARED,
    TEXT_RUNS,
    TextRun,
    compose_train,
    goemotions_overrides,
    goemotions_rows,
    keyword_rows,
    save_tiny,
    shared_model,
    write_goemotions,
)

import emotune  # noqa: F401  (registers config resolvers)


@pytest.fixture
def keyword_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "keywords.jsonl"
    path.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(400)))
    return path


@pytest.fixture
def small_table_overrides(keyword_jsonl: Path) -> list[str]:
    """data=table on the keyword task with a small LSA encoder: seconds per epoch on CPU."""
    return [f"data.train_file={keyword_jsonl}", "data=table", "encoder.dim=16", "encoder.min_df=1",
            "datamodule.batch_size=32"]


@pytest.fixture(scope="session")
def tiny_family(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    made: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in made:
            made[family] = save_tiny(family, tmp_path_factory.mktemp(f"tiny-{family}"))
        return made[family]

    return get


@pytest.fixture(scope="session")
def tiny_mistral(tiny_family: Callable[[str], Path]) -> Path:
    """A random 2-layer Mistral saved like a hub checkpoint, loaded through the users' path."""
    return tiny_family("mistral")


@pytest.fixture
def tiny_backbone_overrides(tiny_mistral: Path) -> Callable[[str], list[str]]:
    def overrides(quant: str = "nf4") -> list[str]:
        return [f"backbone.name_or_path={tiny_mistral}", f"quant={quant}", "lora.r=4", "lora.alpha=8",
                "trainer=cpu"]

    return overrides


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run dir trained on GoEmotions-format data; tests copy it before pointing anything at it."""
    from emotune.recipes.train import train

    tmp_path = tmp_path_factory.mktemp("finished")
    data_dir = write_goemotions(tmp_path / "goemotions", {"train.tsv": goemotions_rows(200),
                                                          "dev.tsv": goemotions_rows(60, seed=1),
                                                          "test.tsv": goemotions_rows(60, seed=2)})
    train(compose_train(tmp_path, [*FAST_RUN, *goemotions_overrides(data_dir)]))
    return tmp_path / "run"


@pytest.fixture(scope="session")
def trained_text_run(tmp_path_factory: pytest.TempPathFactory, tiny_family: Callable[[str], Path]
                     ) -> Callable[[str], TextRun]:
    """One trained run per TEXT_RUNS entry per session, shared by the export tests (about 3 s each)."""
    from emotune.recipes.train import train

    made: dict[str, TextRun] = {}

    def get(name: str) -> TextRun:
        if name not in made:
            family, overrides = TEXT_RUNS[name]
            tmp_path = tmp_path_factory.mktemp(f"text-{name}")
            data = tmp_path / "train.jsonl"
            data.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(120)))
            cfg = compose_train(tmp_path, ["data=table", f"data.train_file={data}", "model=text", "trainer=cpu",
                                           f"backbone.name_or_path={tiny_family(family)}", "backbone.dtype=float32",
                                           "datamodule.max_length=16", "trainer.max_epochs=2", "optimizer.lr=3e-3",
                                           "loss=bce", "report.plots=false", *overrides])
            train(cfg)
            made[name] = TextRun(name, Path(cfg.paths.output_dir))
        return made[name]

    return get


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """HuggingFaceTB/SmolLM2-135M-Instruct, a real pretrained decoder (Llama architecture), as a local folder."""
    return shared_model("smollm2-dir")


@pytest.fixture(scope="session")
def minilm() -> Path:
    """sentence-transformers/all-MiniLM-L6-v2 as a local folder."""
    return shared_model("minilm-dir")


@pytest.fixture(scope="session")
def real_goemotions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real GoEmotions rows as a GoEmotions-format folder: official train rows, in order, until every label has
    four positives (about a hundred), and the first 24 dev rows."""
    official = SHARED / "data" / "goemotions"
    if not (official / "train.tsv").is_file():
        pytest.skip(f"real_lm: {official} is absent (real GoEmotions rows come from ../shared)")
    folder = tmp_path_factory.mktemp("real-goemotions")
    for name in ("emotions.txt", "ekman_mapping.json", "sentiment_dict.json"):
        (folder / name).write_bytes((official / name).read_bytes())
    kept, seen = [], [0] * len(GOEMOTIONS_LABELS)
    for line in official.joinpath("train.tsv").read_text().splitlines(keepends=True):
        ids = [int(i) for i in line.split("\t")[1].split(",")]
        if any(seen[i] < 4 for i in ids):  # every label keeps positives after a tenth is carved off to select on
            kept.append(line)
            for i in ids:
                seen[i] += 1
    (folder / "train.tsv").write_text("".join(kept))
    (folder / "dev.tsv").write_text("".join(official.joinpath("dev.tsv").read_text().splitlines(keepends=True)[:24]))
    return folder
