"""The one run-dir loader: config.yaml, labels.json and run.json rebuild the model, and its weights come from the
export (safetensors) or from a training checkpoint (read with weights_only=True); thresholds.json and
calibration.json say how its logits become labels and probabilities."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from omegaconf import DictConfig
from scipy.special import logit
from torch import nn

from emotune.data import build_datamodule
from emotune.data.datamodule import EmotionDataModule
from emotune.data.label_stats import LabelStats
from emotune.evaluation.calibration import Calibration
from emotune.model import EmotionClassifier, build_classifier
from emotune.model.module import REBUILD_KEY
from emotune.run.checkpoint_io import read_checkpoint
from emotune.run.export import load_exported_weights
from emotune.run.files import (
    LABELS,
    check_run_dir,
    checkpoint_file,
    input_state_dir,
)
from emotune.run.record import RunRecord
from emotune.run.thresholds import threshold_vector, thresholds_record


@dataclass
class TrainedRun:
    """A run's record with its model: what loading a run dir gives, and what training holds when it finishes."""

    record: RunRecord
    model: EmotionClassifier
    weights: str  # export, best or last; "selected" while training finishes
    thresholds: dict
    calibration: Calibration
    precision: str | None = None  # the trainer's precision while training finishes; None picks per device
    folded: Calibration | None = None  # the calibration an export folded into the head

    @property
    def path(self) -> Path:
        return self.record.path

    @property
    def cfg(self) -> DictConfig:
        return self.record.cfg

    @property
    def roles(self) -> dict:
        return self.record.roles

    @property
    def input_width(self) -> int | None:
        return self.record.info.get("input_width")

    @property
    def label_names(self) -> list[str]:
        return self.record.label_names

    def datamodule(self, data_cfg: DictConfig | None = None) -> EmotionDataModule:
        """Labelled splits, encoded as training did (the run's fitted encoder or tokenizer); `data_cfg` points it at
        other files. Texts to score go through `emotune.inference.RunScorer` instead."""
        datamodule = build_datamodule(self.cfg, data_cfg)
        datamodule.load_state(input_state_dir(self.path, datamodule.reads_tokens), self.input_width)
        if datamodule.label_names != self.label_names:
            raise ValueError(f"label set mismatch: {self.path / LABELS} has {self.label_names}, the data has "
                             f"{datamodule.label_names}")
        return datamodule

    def fold_calibration(self, module: nn.Module) -> Calibration:
        """Folds the calibration into `module`'s head, so its logits come out calibrated, and returns it. The run's
        own calibration becomes the identity: applying it again to calibrated logits would calibrate twice."""
        folded = self.calibration
        folded.fold_into(module)
        self.calibration, self.folded = Calibration.identity(len(self.label_names)), folded
        return folded

    def raw_thresholds(self) -> np.ndarray:
        """Each label's threshold on the raw sigmoid outputs: as tuned (a run from before they were recorded maps
        its calibrated ones back), or `model.threshold` where none were tuned, the rule reports call fixed."""
        if self.thresholds.get("raw_per_label"):
            return np.array([self.thresholds["raw_per_label"][name] for name in self.label_names])
        if self.thresholds.get("per_label"):
            return (self.folded or self.calibration).raw_thresholds(threshold_vector(self.thresholds, self.label_names))
        return np.full(len(self.label_names), float(self.thresholds["default"]))  # untuned: the fixed rule

    def decision_cuts(self) -> np.ndarray:
        """Each label's cut on the logits the model gives now: a label is on where its logit reaches its cut. The
        cut is the logit of the raw threshold, moved by a calibration folded into the head. Logits do not saturate
        as probabilities do near 0 and 1, so a steep calibration cannot change a decision."""
        cuts = logit(np.clip(self.raw_thresholds(), 1e-12, 1 - 1e-12))
        return cuts if self.folded is None else cuts * self.folded.scale + self.folded.shift

    def threshold_vector(self, override: float | None = None, calibrated: bool = True) -> np.ndarray:
        """The thresholds to read calibrated probabilities by; `calibrated=False`, the raw outputs' (as tuned). An
        `override` applies as given. Decisions are made on logits (`decision_cuts`)."""
        if override is not None or (calibrated and self.thresholds.get("per_label")):
            return threshold_vector(self.thresholds, self.label_names, override)
        raw = self.raw_thresholds()
        return (self.folded or self.calibration).calibrated_thresholds(raw) if calibrated else raw


def load_checkpoint_weights(model: EmotionClassifier, path: Path) -> None:
    state = read_checkpoint(path)
    if REBUILD_KEY not in state:
        raise ValueError(f"{path}: not an emotune checkpoint (no '{REBUILD_KEY}' entry)")
    if state[REBUILD_KEY]["label_names"] != model.label_names:
        raise ValueError(f"label set mismatch: {path} has {state[REBUILD_KEY]['label_names']}, the run dir's "
                         f"{LABELS} has {model.label_names}")
    model.load_trainable(state["state_dict"], str(path))


def load_run(run_dir: str | Path, weights: str = "export", accelerator: str = "auto") -> TrainedRun:
    """`weights`: `export` (what a finished run leaves; thresholds included), `best` or `last` (checkpoints).
    The backbone is placed for `accelerator`, as `trainer.accelerator` places it in training."""
    run_dir = Path(run_dir)
    check_run_dir(run_dir, weights)
    record = RunRecord.read(run_dir)
    labels = LabelStats(**record.labels)
    model = build_classifier(record.cfg, labels, record.info.get("input_width"), accelerator)
    model.configure_model()
    if weights == "export":
        load_exported_weights(model, run_dir)
    else:
        load_checkpoint_weights(model, checkpoint_file(run_dir, weights))
    thresholds = record.thresholds or thresholds_record(labels.names, record.cfg.model.threshold, None, None)
    calibration = (Calibration.from_record(record.calibration, labels.names) if record.calibration
                   else Calibration.identity(len(labels.names)))
    return TrainedRun(record, model.eval(), weights, thresholds, calibration)
