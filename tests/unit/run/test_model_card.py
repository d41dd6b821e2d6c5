"""The model card a finished run writes: hub metadata that parses, and numbers that are the run's own, each named
with the split that measured it and what that split chose."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

import pytest
import yaml
from helpers import compose_train, goemotions_overrides, goemotions_rows, keyword_rows, write_goemotions
from huggingface_hub import ModelCard

from emotune.recipes.train import train
from emotune.run.model_card import write_model_card
from emotune.run.record import RunRecord

SELECTION_CHOSE = ("which picked the best epoch by val/macro_f1 and tuned the thresholds and fitted the calibration: "
                   "optimistic")
METRIC = {("f1", "macro"): "macro_f1", ("f1", "micro"): "micro_f1", ("precision", "macro"): "macro_precision",
          ("recall", "macro"): "macro_recall", ("exact_match", None): "exact_match"}


def read(run_dir: Path, name: str) -> dict:
    return json.loads((run_dir / name).read_text())


def by_split(card: ModelCard) -> dict[str, dict[str, tuple[float, str]]]:
    """model-index results as {split: {summary key: (value, metric name)}}."""
    found: dict[str, dict[str, tuple[float, str]]] = {}
    for result in card.data.eval_results or []:
        key = METRIC[(result.metric_type, result.metric_config)]
        found.setdefault(result.dataset_split, {})[key] = (result.metric_value, result.metric_name)
    return found


def table_rows(text: str, header: str) -> dict[str, list[str]]:
    start = text.index(header)
    lines = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines)}


@pytest.fixture(scope="module")
def unscored_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Own data, another loss and resampling, and `report.after_fit=false`: no report split numbers exist."""
    tmp_path = tmp_path_factory.mktemp("unscored")
    data = tmp_path / "own.jsonl"
    data.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(300)))
    cfg = compose_train(tmp_path, ["experiment=quickstart", "data=table", f"data.train_file={data}", "encoder.dim=16",
                                   "encoder.min_df=1", "trainer.max_epochs=1", "report.after_fit=false",
                                   "loss=cb_bce", "sampling=random_oversample",
                                   "sampling.oversample.sampling_strategy=150"])
    train(cfg)
    return Path(cfg.paths.output_dir)


def test_the_front_matter_parses_and_describes_a_goemotions_run(finished_run: Path) -> None:
    data = ModelCard.load(finished_run / "README.md").data
    assert data.license == "apache-2.0" and data.pipeline_tag == "text-classification"
    assert data.datasets == ["google-research-datasets/go_emotions"] and data.language == "en"
    assert {"emotion", "multi-label", "goemotions", "focal-loss", "no-resampling"} <= set(data.tags)
    assert data.base_model is None and data.library_name is None  # backbone=none: no language model to name


def test_model_index_quotes_the_run_files_with_their_protocol(finished_run: Path) -> None:
    card = ModelCard.load(finished_run / "README.md")
    roles = read(finished_run, "run.json")["roles"]
    report = read(finished_run / f"eval_{roles['report']}", "metrics.json")
    best = read(finished_run, "metrics.json")["best"]["metrics"]
    results = by_split(card)
    assert set(results) == {roles["report"], roles["selection"]} == {"test", "val"}
    quoted = results[roles["report"]]
    assert {key: value for key, (value, _) in quoted.items()} == {key: report[key] for key in METRIC.values()}
    assert all(name.endswith(f"(report split {roles['report']}, chose nothing)") for _, name in quoted.values())
    selected = results[roles["selection"]]
    assert {key: value for key, (value, _) in selected.items()} == {k: best[f"val/{k}"] for k in ("macro_f1",
                                                                                                  "micro_f1")}
    selection = f"selection split {roles['selection']}, {SELECTION_CHOSE}; at the fixed threshold 0.5"
    assert all(name.endswith(f"({selection})") for _, name in selected.values())
    assert f"- `{roles['selection']}` ({selection}): macro-F1 {best['val/macro_f1']:.4f}" in card.text
    assert f"- `{roles['report']}` (report split {roles['report']}, chose nothing): macro-F1 {report['macro_f1']:.4f}" \
        in card.text
    assert "LEAKY" not in card.text


def test_the_per_emotion_table_is_the_report_split_per_label(finished_run: Path) -> None:
    text = (finished_run / "README.md").read_text()
    per_label = read(finished_run / "eval_test", "metrics.json")["per_label"]
    thresholds = read(finished_run, "thresholds.json")
    rows = table_rows(text, "| emotion | precision | recall | F1 | support | threshold |")
    assert list(rows) == read(finished_run, "labels.json")["names"]
    for name, (precision, recall, f1, support, threshold) in rows.items():
        expected = per_label[name]
        assert [precision, recall, f1] == [f"{expected[key]:.3f}" for key in ("precision", "recall", "f1")]
        assert int(support) == expected["support"] and threshold == f"{thresholds['per_label'][name]:.3f}"
    assert thresholds["tuned_on"] == "val" and "best F1 on the `val` split (the selection split)" in text


def test_the_limitations_state_label_noise_and_the_measured_calibration(finished_run: Path) -> None:
    text = ModelCard.load(finished_run / "README.md").text
    limitations = text[text.index("## Limitations"):text.index("## How to use")]
    assert "an external audit of 1,000 of its comments" in limitations and "about 30%" in limitations
    assert "English Reddit comments only" in limitations
    summary = read(finished_run / "eval_test", "metrics.json")["calibration"]
    assert summary["method"] == "platt" and summary["fitted_on"] == "val"
    assert (f"calibrated per label (platt scaling fitted on `val`). On `test` the expected calibration error "
            f"went from {summary['ece_before']:.4f} to {summary['ece_after']:.4f}") in limitations
    assert "emotune predict --run-dir DIR --input texts.txt --output predictions.jsonl" in text
    assert "Hydra recorded no command line" in text and "`config.yaml`" in text  # trained from Python, not train.py


def test_the_reproduce_command_is_what_hydra_recorded(finished_run: Path, tmp_path: Path) -> None:
    run_dir = Path(shutil.copytree(finished_run, tmp_path / "run"))
    overrides = ["experiment=quickstart", "model.lora_targets=[v_proj,o_proj]", "~logger", "data.data_dir=/a b"]
    (run_dir / ".hydra").mkdir()
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    text = write_model_card(RunRecord.read(run_dir)).read_text()
    command = next(line for line in text.splitlines() if line.startswith("python train.py"))
    assert shlex.split(command) == ["python", "train.py", *overrides]
    assert "Hydra recorded no command line" not in text


def test_base_model_is_a_hub_id_never_a_local_folder(finished_run: Path, tmp_path: Path) -> None:
    run_dir = Path(shutil.copytree(finished_run, tmp_path / "run"))
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    (run_dir / "export.json").write_text(json.dumps({"adapter": True}))
    for name, base_model in (("unsloth/Mistral-Small-3.1-24B-Instruct-2503", "unsloth/Mistral-Small-3.1-24B-"
                              "Instruct-2503"), (str(tmp_path), None)):
        config["backbone"] = {"name_or_path": name}
        (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
        data = ModelCard.load(write_model_card(RunRecord.read(run_dir))).data
        assert data.base_model == base_model and data.library_name == "peft"


def test_a_run_without_a_scored_report_split_says_so(unscored_run: Path) -> None:
    roles = read(unscored_run, "run.json")["roles"]
    assert not (unscored_run / f"eval_{roles['report']}").exists()
    card = ModelCard.load(unscored_run / "README.md")
    assert f"**The report split `{roles['report']}` was not scored when training finished** " \
           "(`report.after_fit=false`)" in card.text
    results = by_split(card)
    assert list(results) == [roles["selection"]]  # the selection split alone, labelled as such
    best = read(unscored_run, "metrics.json")["best"]["metrics"]
    assert {key: value for key, (value, _) in results[roles["selection"]].items()} == {
        k: best[f"val/{k}"] for k in ("macro_f1", "micro_f1")}
    assert all(SELECTION_CHOSE in name for _, name in results[roles["selection"]].values())
    data = card.data
    assert data.datasets is None and data.language is None and data.base_model is None
    assert {"bce-loss", "class-balanced", "random-oversampler"} <= set(data.tags) and "goemotions" not in data.tags
    thresholds = read(unscored_run, "thresholds.json")["per_label"]
    rows = table_rows(card.text, "| emotion | threshold |")
    assert {name: t for name, (t,) in rows.items()} == {name: f"{t:.3f}" for name, t in thresholds.items()}
    assert "an external audit of 1,000" not in card.text and "`own.jsonl` only" in card.text


def test_a_leaky_replay_card_says_so_first_and_in_every_metric(tmp_path: Path) -> None:
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(100), "dev.tsv": goemotions_rows(40, 1),
                                              "test.tsv": goemotions_rows(40, 2)})
    cfg = compose_train(tmp_path, ["experiment=reference_leaky", *goemotions_overrides(data), "encoder.dim=8",
                                   "encoder.min_df=1", "trainer.max_epochs=1", "report.plots=false",
                                   "sampling.oversample.sampling_strategy=30"])
    train(cfg)
    card = ModelCard.load(Path(cfg.paths.output_dir) / "README.md")
    first = card.text.split("\n\n")[1]
    assert first.startswith("**LEAKY AUDIT REPLAY") and "comparable to nothing" in first
    names = [result.metric_name for result in card.data.eval_results]
    assert names and all("leaky audit replay, comparable to nothing" in name for name in names)
    assert "ismote" in card.data.tags
