"""Per-label accuracy, (TP + TN) / N at each label's threshold, in every form the evaluation report takes."""

import csv
import json

import pytest
import torch
from rich.console import Console

from emotune.evaluation.per_label import per_label_report
from emotune.evaluation.report import print_table
from emotune.recipes.evaluate import write_report

NAMES = ["anger", "joy", "sadness"]
LABELS = torch.tensor([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0]])
PROBS = torch.tensor([[0.9, 0.2, 0.1], [0.6, 0.7, 0.2], [0.3, 0.8, 0.1], [0.1, 0.1, 0.4], [0.2, 0.6, 0.1]])


@pytest.fixture
def report() -> dict:
    return per_label_report(PROBS, LABELS, NAMES, thresholds=0.5)


def test_accuracy_counts_right_positives_and_negatives(report):
    predicted = PROBS >= 0.5
    expected = (predicted == LABELS.bool()).float().mean(0)
    for name, value in zip(NAMES, expected.tolist()):
        assert report["per_label"][name]["accuracy"] == pytest.approx(value)
    assert report["macro_accuracy"] == pytest.approx(expected.mean().item())
    assert report["micro_accuracy"] == pytest.approx(report["macro_accuracy"])  # every row has every label


def test_per_label_thresholds_change_accuracy():
    loose = per_label_report(PROBS, LABELS, NAMES, thresholds=torch.tensor([0.5, 0.5, 0.3]).numpy())
    assert loose["per_label"]["sadness"]["accuracy"] == pytest.approx(1.0)


def test_accuracy_reaches_csv_markdown_json_and_terminal(report, tmp_path):
    write_report(report, tmp_path, "val")
    table = list(csv.DictReader((tmp_path / "per_class.csv").read_text().splitlines()))
    assert list(table[0]) == ["label", "precision", "recall", "f1", "accuracy", "support"]
    assert [row["label"] for row in table[-2:]] == ["macro", "micro"]
    assert float(table[-2]["accuracy"]) == pytest.approx(report["macro_accuracy"])
    assert json.loads((tmp_path / "metrics.json").read_text())["per_label"]["joy"]["accuracy"] == pytest.approx(0.8)
    markdown = (tmp_path / "report.md").read_text()
    assert "| label | precision | recall | F1 | accuracy | N |" in markdown
    assert "| joy | 0.667 | 1.000 | 0.800 | 0.800 | 2 |" in markdown
    console = Console(record=True, width=120)
    print_table(report, "val", console)
    assert "accuracy" in console.export_text()
