"""A newcomer's first commands, run as users run them (subprocesses, so Hydra's own writes are included): each
either runs to the end or fails at once with one line per problem that says what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, keyword_rows

KERNELS_WARNING = "kernels-community"


def run(script: str, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """No HYDRA_FULL_ERROR: users see what this shows."""
    environment = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run([sys.executable, str(ROOT / script), *args], cwd=cwd, env={**environment, **(env or {})},
                          capture_output=True, text=True, timeout=600)


def offline(tmp_path: Path) -> dict:
    """A machine with no hub access and an empty Hugging Face cache."""
    return {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}


def errors(result: subprocess.CompletedProcess, prog: str = "train.py") -> list[str]:
    """The problem lines, after checking that nothing else (no traceback, no Hydra wrapper) was printed for them."""
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "Error executing job" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith(f"{prog}: error: ")]


def table(path: Path, rows: list[tuple[str, list[str]]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in rows))
    return path


@pytest.fixture(scope="module")
def own_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """120 training rows of one's own: three common labels, `rare` on 3 rows and `single` on 1 (the small-data
    cases), with val and test files, so val selects and test reports."""
    folder = tmp_path_factory.mktemp("own")
    rows = keyword_rows(120)
    rows[:3] = [(f"{text} rare", [*labels, "rare"]) for text, labels in rows[:3]]
    rows[3] = (rows[3][0] + " single", [*rows[3][1], "single"])
    val = keyword_rows(30, seed=1) + [("rare again", ["rare"]), ("single again", ["single"])]
    test = keyword_rows(30, seed=2) + [("rare once more", ["rare"])]
    return {"train": table(folder / "train.jsonl", rows), "val": table(folder / "val.jsonl", val),
            "test": table(folder / "test.jsonl", test)}


def own_overrides(data: dict[str, Path], tmp_path: Path) -> list[str]:
    return ["experiment=quickstart", "data=table", f"data.train_file={data['train']}", f"data.val_file={data['val']}",
            f"data.test_file={data['test']}", "trainer.max_epochs=2", "trainer.enable_progress_bar=false",
            f"hydra.run.dir={tmp_path / 'run'}", f"paths.cache_dir={tmp_path / 'cache'}"]


def test_the_first_command_on_a_cpu_says_what_to_do(tmp_path: Path) -> None:
    result = run("train.py", "loss.gamma=2", "lora.r=16", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path,
                 env=offline(tmp_path))
    problems = errors(result)
    assert len(problems) == 2, result.stderr
    assert "backbone.name_or_path=unsloth/Mistral-Small-3.1-24B-Instruct-2503: not a local folder" in problems[0]
    assert "needs a CUDA GPU" in problems[1] and "`python train.py experiment=quickstart`" in problems[1]
    assert "preflight.allow_cpu=true" in problems[1]
    assert KERNELS_WARNING not in result.stderr
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [".hydra", "train.log"]  # Hydra's own, nothing more


def test_the_cpu_refusal_has_a_key_that_overrides_it(tmp_path: Path) -> None:
    result = run("train.py", "preflight.allow_cpu=true", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path,
                 env=offline(tmp_path))
    problems = errors(result)
    assert len(problems) == 1 and "HF_HUB_OFFLINE is set" in problems[0]


def test_the_reference_experiment_is_the_published_recipe_and_refuses_a_cpu(tmp_path: Path) -> None:
    shown = run("train.py", "experiment=reference", "--cfg", "job", "--package", "sampling", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "_target_: emotune.sampling.MajorityUndersampler" in shown.stdout
    assert "_target_: emotune.sampling.ISMOTE" in shown.stdout and "sampling_strategy: 4000" in shown.stdout
    problems = errors(run("train.py", "experiment=reference", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path,
                          env=offline(tmp_path)))
    assert any("encoder.name_or_path=sentence-transformers/distiluse" in p for p in problems)
    assert any("needs a CUDA GPU" in p for p in problems)


def test_threshold_and_selection_settings_are_checked_before_any_work(tmp_path: Path, own_data) -> None:
    result = run("train.py", *own_overrides(own_data, tmp_path), "datamodule.selection=tune",
                 "datamodule.tune_fraction=0", cwd=tmp_path)
    assert errors(result) == ["train.py: error: datamodule.selection=tune needs datamodule.tune_fraction > 0 (e.g. "
                              "0.1), which carves the tune split from train"]
    problems = errors(run("train.py", *own_overrides(own_data, tmp_path), "thresholds.tune_on=test", cwd=tmp_path))
    assert problems == ["train.py: error: thresholds.tune_on=test: expected auto (the selection split), val, tune or "
                        "null; the test split only reports, it never chooses"]
    result = run("train.py", *own_overrides(own_data, tmp_path), "thresholds.tune_on=tune", cwd=tmp_path)
    assert errors(result) == ["train.py: error: thresholds.tune_on=tune but the selection split is val: thresholds "
                              "are tuned on the split that selects; leave thresholds.tune_on=auto"]
    assert "Fitting" not in result.stdout + result.stderr  # refused before the encoder is fitted


def test_an_unwritable_hydra_run_dir_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = run("train.py", "experiment=quickstart", f"hydra.run.dir={tmp_path / 'a-file' / 'run'}", cwd=tmp_path)
    assert errors(result) == [f"train.py: error: hydra.run.dir={tmp_path / 'a-file' / 'run'}: cannot be created "
                              f"({tmp_path / 'a-file'} is not a writable directory)"]


def test_a_mistyped_target_is_one_line(tmp_path: Path, own_data) -> None:
    result = run("train.py", *own_overrides(own_data, tmp_path), "loss._target_=emotune.loss.Nope", cwd=tmp_path)
    assert len(errors(result)) == 1 and "emotune.loss.Nope" in errors(result)[0]


def test_an_unwritable_run_dir_is_one_line(tmp_path: Path, own_data) -> None:
    (tmp_path / "a-file").write_text("")
    result = run("train.py", *own_overrides(own_data, tmp_path), f"paths.output_dir={tmp_path / 'a-file' / 'run'}",
                 cwd=tmp_path)
    assert errors(result) == [f"train.py: error: paths.output_dir: {tmp_path / 'a-file' / 'run'} is not a writable "
                              "directory (Not a directory)"]


def test_a_bad_setting_of_a_composed_object_comes_out_without_hydras_wrapper(tmp_path: Path, own_data) -> None:
    result = run("train.py", *own_overrides(own_data, tmp_path), "sampling=ismote",
                 "sampling.oversample.direction=sideways", cwd=tmp_path)
    assert errors(result) == ["train.py: error: direction='sideways': expected one of ('reference', 'paper')"]


@pytest.mark.parametrize("sampling", ["none", "ismote"])
def test_a_small_dataset_of_ones_own_trains_and_says_what_it_adapted(tmp_path: Path, own_data, sampling) -> None:
    result = run("train.py", *own_overrides(own_data, tmp_path), f"sampling={sampling}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    logged = result.stdout + result.stderr  # Hydra's log handler writes to stdout
    assert "encoder.dim=384 clamped to" in logged
    if sampling == "ismote":
        assert "label 'rare' has 3 positives in train, so k_neighbors=5 is clamped to 2" in logged
        assert "Oversampling skips 'single': 1 positive(s)" in logged
    counts = (tmp_path / "run" / "label_counts.csv").read_text()
    assert "rare" in counts and (tmp_path / "run" / "head.safetensors").is_file()
    assert KERNELS_WARNING not in result.stderr


@pytest.mark.parametrize("override", ["++trainer.fast_dev_run=true", "debug=fdr", "debug=limit", "debug=overfit",
                                      "logger=none", "callbacks=none"])
def test_lightning_and_template_debug_moves_run_end_to_end(tmp_path: Path, own_data, override) -> None:
    result = run("train.py", *own_overrides(own_data, tmp_path), override, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = tmp_path / "run"
    for name in ("config.yaml", "labels.json", "thresholds.json", "head.safetensors", "export.json"):
        assert (run_dir / name).is_file(), name
    if override in ("++trainer.fast_dev_run=true", "debug=fdr"):
        assert "No best checkpoint" in result.stdout and "use the weights in memory" in result.stdout
    if override != "debug=fdr":
        return  # one scoring run shows the export works without a checkpoint
    predicted = subprocess.run([sys.executable, "-m", "emotune.cli", "predict", "--run-dir", str(run_dir), "--input",
                                "-", "--output", "-"], input="sunshine and tears\n", capture_output=True, text=True,
                               timeout=300)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    assert set(json.loads(predicted.stdout)["probabilities"]) == {"anger", "joy", "rare", "sadness", "single"}


def test_debug_fdr_runs_token_input_with_a_tiny_backbone(tmp_path: Path, own_data, tiny_mistral) -> None:
    """Also on a machine without wandb or imbalanced-learn (as on the GPU machines): a run that logs to CSV
    imports neither."""
    absent = tmp_path / "absent"
    absent.mkdir()
    for name in ("wandb", "imblearn"):
        (absent / f"{name}.py").write_text(f"raise ImportError('{name} is not installed here')\n")
    result = run("train.py", *own_overrides(own_data, tmp_path)[1:], "model=text", "trainer=cpu",
                 f"backbone.name_or_path={tiny_mistral}", "lora.r=4", "debug=fdr", cwd=tmp_path,
                 env={"PYTHONPATH": str(absent)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "run" / "adapter" / "adapter_model.safetensors").is_file()
    assert (tmp_path / "run" / "tokenizer").is_dir()


def test_evaluating_a_folder_that_is_not_a_run_is_one_line(tmp_path: Path) -> None:
    result = run("evaluate.py", f"run_dir={tmp_path}", "split=val", cwd=tmp_path)
    assert errors(result, "evaluate.py") == [
        f"evaluate.py: error: {tmp_path} is not a usable training run dir: missing config.yaml, labels.json, "
        "run.json, checkpoints/best.ckpt (written as training goes)"]
    result = run("evaluate.py", f"run_dir={tmp_path / 'typo'}", "split=val", cwd=tmp_path)
    assert errors(result, "evaluate.py") == [f"evaluate.py: error: {tmp_path / 'typo'}: no such run dir"]
    assert not (tmp_path / "typo").exists()
