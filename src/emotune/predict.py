"""Scores new texts with an exported run dir: probabilities for every label and the predicted labels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf
from rich.console import Console
from rich.progress import track

from emotune.data import build_datamodule
from emotune.data.in_memory import TextsSource
from emotune.data.label_stats import LabelStats
from emotune.export import check_export, load_exported_weights
from emotune.model import build_classifier
from emotune.thresholds import threshold_vector

PROGRESS_FROM = 1000


def to_device(inputs, device: torch.device):
    return {k: v.to(device) for k, v in inputs.items()} if isinstance(inputs, dict) else inputs.to(device)


class Predictor:
    def __init__(self, run_dir: str | Path, device: str | None = None) -> None:
        self.run_dir = Path(run_dir)
        manifest = check_export(self.run_dir)
        self.cfg = OmegaConf.load(self.run_dir / "config.yaml")
        self.labels = LabelStats(**json.loads((self.run_dir / "labels.json").read_text()))
        self.thresholds = json.loads((self.run_dir / "thresholds.json").read_text())
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.input_width = manifest["embedding_dim"]
        model = build_classifier(self.cfg, self.labels, self.input_width)
        load_exported_weights(model, self.run_dir)
        self.model = model.to(self.device).eval()

    @property
    def label_names(self) -> list[str]:
        return self.labels.names

    def threshold_vector(self, override: float | None = None) -> np.ndarray:
        return threshold_vector(self.thresholds, self.label_names, override)

    def probabilities(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            raise ValueError("nothing to score: the input holds no texts")
        datamodule = build_datamodule(self.cfg, source=TextsSource(texts, self.label_names))
        datamodule.load_state(self.run_dir, self.input_width)
        datamodule.eval_batch_size = batch_size
        batches = track(datamodule.loader("predict"), description="Scoring", disable=len(texts) < PROGRESS_FROM,
                        console=Console(stderr=True))
        out = []
        with torch.no_grad():
            for inputs, _ in batches:
                out.append(torch.sigmoid(self.model(to_device(inputs, self.device)).float()).cpu())
        return torch.cat(out).numpy()
