"""`emotune report` on a fixture multirun dir and `emotune compare` on two run dirs, plus W&B offline."""

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import compose_train, goemotions_rows, write_goemotions

from emotune.cli import main
from emotune.recipes.train import train

LABELS = ["anger", "joy", "sadness"]


def fake_run(path: Path, overrides: list[str], macro: float, per_label: list[float], data_hash: str = "h1",
             seed: int = 42) -> Path:
    """A run dir as training leaves it, with chosen numbers."""
    (path / ".hydra").mkdir(parents=True)
    best = {"val/macro_f1": macro, "val/micro_f1": macro + 0.1,
            **{f"val/f1/{n}": f for n, f in zip(LABELS, per_label)}}
    (path / "metrics.json").write_text(json.dumps({"monitor": "val/macro_f1", "best": {"epoch": 1, "metrics": best},
                                                   "final": {"epoch": 1, "metrics": best}}))
    (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (path / "run.json").write_text(json.dumps({"data_hash": data_hash, "seed": seed}))
    (path / "config.yaml").write_text(yaml.safe_dump({"preferred_labels": ["joy", "anger"]}))
    (path / "eval_val").mkdir()
    (path / "eval_val" / "metrics.json").write_text(json.dumps({
        "macro_f1": macro, "micro_f1": macro + 0.1, "per_label": {n: {"f1": f} for n, f in zip(LABELS, per_label)}}))
    return path


@pytest.fixture
def multirun(tmp_path: Path) -> Path:
    root = tmp_path / "multirun"
    fake_run(root / "0", ["experiment=quickstart", "sampling=none", "loss=bce"], 0.30, [0.2, 0.5, 0.2])
    fake_run(root / "1", ["experiment=quickstart", "sampling=ismote", "loss=bce"], 0.28, [0.25, 0.4, 0.2])
    fake_run(root / "2", ["experiment=quickstart", "sampling=ismote", "loss=focal"], 0.26, [0.1, 0.5, 0.18])
    (root / "multirun.yaml").write_text("{}")
    return root


def test_report_renders_the_ablation_table_and_plot(multirun, capsys):
    main(["report", str(multirun)])
    out = capsys.readouterr().out
    assert "Shared overrides: `experiment=quickstart`" in out
    assert "| run | overrides | val macro-F1 (chose the epoch) | val micro-F1 | joy | anger |" in out
    assert "| 1 | `sampling=ismote loss=bce` | 0.2800 | 0.3800 | 0.400 | 0.250 |" in out
    assert "warning" not in out
    assert (multirun / "report.png").read_bytes().startswith(b"\x89PNG")
    assert "![macro-F1 per run](report.png)" in (multirun / "report.md").read_text()


def test_report_warns_when_runs_are_not_comparable(multirun, capsys):
    fake_run(multirun / "3", ["experiment=quickstart", "sampling=none", "loss=focal"], 0.2, [0.1] * 3,
             data_hash="other", seed=7)
    main(["report", str(multirun)])
    out = capsys.readouterr().out
    assert "warning: runs saw different data" in out and "different seeds [7, 42]" in out


def test_compare_puts_two_runs_side_by_side(multirun, capsys):
    main(["compare", str(multirun / "0"), str(multirun / "1"), "--split", "val"])
    out = capsys.readouterr().out
    assert "| joy | 0.500 | 0.400 | -0.100 |" in out and "| anger | 0.200 | 0.250 | +0.050 |" in out
    assert out.index("| joy |") < out.index("| anger |")  # sorted by change, worst first
    assert "| macro | 0.300 | 0.280 | -0.020 |" in out


def seeded_grid(root: Path, gap: float) -> Path:
    """Two arms x 3 seeds whose runs scored the same 400 report rows: `ismote` errs on `gap` less of the rows."""
    rng = np.random.default_rng(0)
    truth = (rng.random((400, 3)) < 0.3).astype(np.uint8)
    for job, (sampling, seed) in enumerate((s, k) for s in ("none", "ismote") for k in (1, 2, 3)):
        path = fake_run(root / str(job), ["experiment=ablation", f"sampling={sampling}", f"seed={seed}"], 0.3,
                        [0.3] * 3, seed=seed)
        roles = {"train": "train", "selection": "tune", "report": "val"}
        (path / "run.json").write_text(json.dumps({"data_hash": "h1", "seed": seed, "roles": roles}))
        wrong = rng.random(truth.shape) < (0.35 - (gap if sampling == "ismote" else 0))
        probs = np.where(truth.astype(bool) ^ wrong, 0.8, 0.2).astype(np.float32)
        np.save(path / "eval_val" / "probabilities.npy", probs)
        np.save(path / "eval_val" / "labels.npy", truth)
        (path / "eval_val" / "metrics.json").write_text(json.dumps({
            "split": "val", "roles": roles, "chose": [], "n_rows": 400, "thresholds": [0.5, 0.4, 0.5],
            "at_fixed_threshold": {"threshold": 0.5}, "per_label": {n: {"f1": 0.0} for n in LABELS}}))
    return root


def test_report_of_a_seeded_grid_gives_deltas_with_intervals(tmp_path, capsys):
    grid = seeded_grid(tmp_path / "grid", gap=0.2)
    main(["report", str(grid)])
    out = capsys.readouterr().out
    assert "val chose nothing (train=train (resampled), selection=tune, report=val). 400 report rows" in out
    assert "seeds [1, 2, 3]" in out and "Baseline: `sampling=none`." in out
    row = next(line for line in out.splitlines() if line.startswith("| `sampling=ismote` | 3 |"))
    assert row.count(" *") == 2  # the planted gap is resolved at both thresholds
    assert "`sampling=ismote` changes macro-F1 by +0." in out
    for png in ("ablation_forest.png", "ablation_delta.png"):
        assert (grid / png).read_bytes().startswith(b"\x89PNG") and png in (grid / "report.md").read_text()
    assert "## Per run" in (grid / "report.md").read_text()


def test_the_fixed_column_reads_the_raw_outputs_not_the_calibrated_ones(tmp_path, capsys):
    """A calibration fitted on the selection split moves decisions at 0.5; the @fixed column must not see it."""
    grid = seeded_grid(tmp_path / "grid", gap=0.2)
    main(["report", str(grid)])
    before = capsys.readouterr().out
    for job in range(3, 6):  # the ismote arm: its calibration pushes every probability over 0.5
        folder = grid / str(job) / "eval_val"
        np.save(folder / "raw_probabilities.npy", np.load(folder / "probabilities.npy"))
        np.save(folder / "probabilities.npy", np.full((400, 3), 0.9, dtype=np.float32))
        metrics = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps({**metrics, "calibration": {"method": "platt"}}))
    main(["report", str(grid)])
    after = capsys.readouterr().out

    def ismote_row(out: str) -> list[str]:
        return next(line for line in out.splitlines() if line.startswith("| `sampling=ismote` | 3 |")).split("|")

    assert ismote_row(after)[3] == ismote_row(before)[3]  # macro-F1 @fixed: from the raw outputs, unchanged
    assert ismote_row(after)[4] != ismote_row(before)[4]  # macro-F1 tuned: from the calibrated probabilities
    (grid / "3" / "eval_val" / "raw_probabilities.npy").unlink()
    with pytest.raises(SystemExit):
        main(["report", str(grid)])
    assert "no raw_probabilities.npy for its calibrated probabilities" in capsys.readouterr().err


def test_compare_of_a_missing_evaluation_says_what_to_run(multirun, capsys):
    with pytest.raises(SystemExit):
        main(["compare", str(multirun / "0"), str(multirun / "1"), "--split", "test"])
    assert "evaluate.py run_dir=" in capsys.readouterr().err


def wandb_summary(path: Path) -> dict[str, str]:
    """The final summary of an offline W&B run: its record log is LevelDB-framed protobuf Records after a 7-byte
    file header; later summary updates replace earlier ones."""
    from wandb.proto import wandb_internal_pb2

    data, pos, parts, summary = path.read_bytes(), 7, [], {}
    while pos + 7 <= len(data):
        if 32768 - pos % 32768 < 7:  # a block's tail too short for a header is padding
            pos += 32768 - pos % 32768
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "little"), data[pos + 6]
        parts.append(data[pos + 7:pos + 7 + length])
        pos += 7 + length
        if kind == 0:
            break
        if kind in (1, 4):  # a whole record, or the last piece of one
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(parts))
            parts = []
            if record.WhichOneof("record_type") == "summary":
                summary.update({u.key or "/".join(u.nested_key): u.value_json for u in record.summary.update})
    return summary


def test_wandb_offline_run_holds_the_metrics(tmp_path):
    data = write_goemotions(tmp_path / "ge", {"train.tsv": goemotions_rows(120), "dev.tsv": goemotions_rows(40, 1)})
    cfg = compose_train(tmp_path, ["experiment=quickstart", f"data.data_dir={data}", "data.verify_checksums=false",
                                   "encoder.dim=8", "encoder.min_df=1", "trainer.max_epochs=4", "optimizer.lr=0.3",
                                   "logger=wandb", "logger.wandb.mode=offline"])
    summary = train(cfg)
    runs = list((Path(cfg.paths.output_dir) / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and summary["best"] is not None
    assert summary["best"]["epoch"] != summary["final"]["epoch"]  # lr 0.3 overshoots after the first epoch
    # the run's record log (protobuf records, key names stored as UTF-8) holds metrics, config and tables
    records = next(runs[0].glob("run-*.wandb")).read_bytes()
    for key in (b"val/macro_f1", b"val/f1/joy", b"train/loss_epoch", b"val/per_label", b"train/label_counts",
                b"alpha_preferred"):
        assert key in records, key
    assert not list(runs[0].rglob("*.ckpt"))  # checkpoints are never uploaded
    kept = wandb_summary(next(runs[0].glob("run-*.wandb")))  # what a Bayes sweep reads: the selected epoch's metric
    assert json.loads(kept["best_epoch"]) == summary["best"]["epoch"]
    assert json.loads(kept["val/macro_f1"]) == pytest.approx(summary["best"]["metrics"]["val/macro_f1"])
