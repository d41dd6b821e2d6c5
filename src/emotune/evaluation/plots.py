"""PNG views of an evaluation: per-label F1, a precision-recall curve per label, label co-occurrence, and a
reliability diagram before and after calibration."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torchmetrics.functional.classification import multilabel_precision_recall_curve

from emotune.evaluation.calibration import ECE_BINS
from emotune.utils.plotting import plt, save_png


def per_label_f1(report: dict, path: Path) -> None:
    items = sorted(report["per_label"].items(), key=lambda kv: kv[1]["f1"])
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(items) + 1.2))
    ax.barh([name for name, _ in items], [v["f1"] for _, v in items], color="tab:blue")
    for i, (_, v) in enumerate(items):
        ax.text(v["f1"] + 0.01, i, f"{v['f1']:.2f} (N={v['support']})", va="center", fontsize=7)
    ax.axvline(report["macro_f1"], color="tab:red", linestyle="--", label=f"macro-F1 {report['macro_f1']:.3f}")
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("F1")
    ax.legend(loc="lower right")
    save_png(fig, path)


def pr_curves(probs: torch.Tensor, labels: torch.Tensor, names: list[str], path: Path) -> None:
    precision, recall, _ = multilabel_precision_recall_curve(probs, labels.int(), len(names), thresholds=101)
    cols = 7
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.2 * cols, 2.0 * rows), sharex=True, sharey=True)
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        if i >= len(names):
            ax.axis("off")
            continue
        ax.plot(recall[i].numpy(), precision[i].numpy(), linewidth=1.2)
        ax.set_title(names[i], fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
    fig.supxlabel("recall")
    fig.supylabel("precision")
    save_png(fig, path)


def cooccurrence(predicted: np.ndarray, labels: np.ndarray, names: list[str], path: Path) -> None:
    """Row i: of the rows that truly carry label i, the share predicted as each label j (multi-label confusion)."""
    truth = labels.astype(np.float64)
    shares = (truth.T @ predicted.astype(np.float64)) / np.maximum(truth.sum(axis=0), 1)[:, None]
    fig, ax = plt.subplots(figsize=(0.32 * len(names) + 2, 0.32 * len(names) + 1.5))
    image = ax.imshow(shares, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, fraction=0.04, label="share of the true label's rows")
    save_png(fig, path)


def reliability(curves: dict[str, torch.Tensor], labels: torch.Tensor, path: Path) -> None:
    """Every (row, label) decision in equal-width bins: the share of positives against the mean probability, and
    below it how many decisions each bin holds (most are confident negatives)."""
    truth = labels.flatten().double().numpy()
    edges = np.linspace(0, 1, ECE_BINS + 1)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5.5, 6.5), sharex=True, height_ratios=(3, 1))
    top.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    for (name, probs), color in zip(curves.items(), ("tab:orange", "tab:blue")):
        p = probs.flatten().double().numpy()
        bins = np.clip(np.digitize(p, edges[1:-1]), 0, ECE_BINS - 1)
        count = np.bincount(bins, minlength=ECE_BINS)
        seen = count > 0
        mean_p = np.bincount(bins, p, ECE_BINS)[seen] / count[seen]
        share = np.bincount(bins, truth, ECE_BINS)[seen] / count[seen]
        top.plot(mean_p, share, marker="o", color=color, label=name)
        bottom.bar(edges[:-1] + (0.5 if color == "tab:blue" else 0.0) / ECE_BINS, count, width=0.5 / ECE_BINS,
                   align="edge", color=color)
    top.set_ylabel("share of positives")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.legend(loc="upper left", fontsize=8)
    bottom.set_yscale("log")
    bottom.set_ylabel("decisions")
    bottom.set_xlabel("predicted probability")
    save_png(fig, path)


def ece_name(summary: dict, when: str) -> str:
    name = f"calibrated ({summary['method']})" if when == "after" else "uncalibrated"
    return f"{name}: ECE {summary[f'ece_{when}']:.4f}, per-label mean {summary[f'macro_ece_{when}']:.4f}"


PLOTS = {"per_label_f1.png": "Per-label F1", "pr_curves.png": "Precision-recall per label",
         "cooccurrence.png": "True vs predicted labels", "reliability.png": "Reliability before and after calibration"}


def write_plots(report: dict, probs: torch.Tensor, labels: torch.Tensor, names: list[str], out_dir: Path,
                raw: torch.Tensor) -> None:
    """`probs` are the calibrated probabilities, `raw` the model's sigmoid outputs, which the report's thresholds
    decide on."""
    thresholds = torch.as_tensor(report["thresholds"], dtype=raw.dtype)
    summary = report["calibration"]
    curves = {ece_name(summary, "before"): raw, ece_name(summary, "after"): probs} if summary["method"] else \
        {ece_name(summary, "before"): raw}
    reliability(curves, labels, out_dir / "reliability.png")
    per_label_f1(report, out_dir / "per_label_f1.png")
    pr_curves(probs, labels, names, out_dir / "pr_curves.png")
    cooccurrence((raw >= thresholds).numpy(), labels.numpy(), names, out_dir / "cooccurrence.png")
