"""The model card (README.md, hub format) a finished run dir carries: `model_card.md.jinja` rendered with
`huggingface_hub.ModelCard.from_template`. What it quotes is built from the run dir's own files only, so it can
quote no number the run did not write, and it names the protocol of each number: which split measured it and what
that split chose."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id
from omegaconf import DictConfig

from emotune.data.goemotions import GoEmotions
from emotune.evaluation.protocol import Protocol
from emotune.run import files
from emotune.run.record import RunRecord
from emotune.run.thresholds import GRID
from emotune.utils.atomic import write_text
from emotune.utils.hub import looks_like_path

LICENSE = "apache-2.0"  # the project's (pyproject.toml); a backbone's own license also binds its weights
GOEMOTIONS = GoEmotions.dataset
# Report-split summary keys, as (hub metric type, averaging, label); the selection split quotes the first two.
REPORTED = {"macro_f1": ("f1", "macro", "macro-F1"), "micro_f1": ("f1", "micro", "micro-F1"),
            "macro_precision": ("precision", "macro", "macro precision"),
            "macro_recall": ("recall", "macro", "macro recall"), "exact_match": ("exact_match", None, "exact match")}
SELECTED = ("macro_f1", "micro_f1")
TEMPLATE = Path(__file__).with_name("model_card.md.jinja")  # the card's prose and layout


def is_goemotions(run: RunRecord) -> bool:
    return run.info.get("dataset") == GOEMOTIONS


def backbone_name(cfg: DictConfig) -> str | None:
    return (cfg.get("backbone") or {}).get("name_or_path")


def hub_id(cfg: DictConfig) -> str | None:
    """A local folder is no hub id: as base_model it would link to a model nobody else can fetch."""
    name = backbone_name(cfg)
    if not name or looks_like_path(name):
        return None
    try:
        validate_repo_id(name)
    except HFValidationError:
        return None
    return name


def kebab(target: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", target.rsplit(".", 1)[-1]).lower()


def choice_tags(cfg: DictConfig) -> list[str]:
    """The loss and resampling steps as their classes name them, so a hub search finds runs by either choice."""
    loss = [kebab(cfg.loss._target_)] + (["class-balanced"] if cfg.loss.get("class_balanced_beta") else [])
    steps = [(cfg.get("sampling") or {}).get(step) for step in ("undersample", "oversample")]
    return loss + ([kebab(step._target_) for step in steps if step] or ["no-resampling"])


def selection_choices(run: RunRecord) -> list[str]:
    """No best epoch without a checkpoint (fast_dev_run), no tuned thresholds with `thresholds.tune_on=null`."""
    selection = run.roles["selection"]
    return ([f"picked the best epoch by {run.summary.get('monitor')}"] if run.summary.get("best") else []) + (
        ["tuned the thresholds"] if run.thresholds.get("tuned_on") == selection else []) + (
        ["fitted the calibration"] if (run.calibration or {}).get("fitted_on") == selection else [])


def protocol(run: RunRecord, role: str) -> str:
    """Validation runs at the fixed threshold, so the selection split's numbers say so too."""
    if role == "report":
        return Protocol.of(run.report).short()
    selection = Protocol(run.roles["selection"], run.roles, tuple(selection_choices(run)), run.leaky)
    return f"{selection.short()}; at the fixed threshold {run.cfg.model.threshold}"


def measurements(run: RunRecord) -> list[tuple[str, str, dict[str, float]]]:
    """(split, protocol, values): the report split first, the numbers to quote, then the selection split."""
    found = []
    if run.report is not None:
        found.append((run.report["split"], protocol(run, "report"), {key: run.report[key] for key in REPORTED}))
    record = run.summary.get("best") or run.summary.get("final") or {"metrics": {}}
    values = {key: record["metrics"][f"val/{key}"] for key in SELECTED if f"val/{key}" in record["metrics"]}
    if values:
        found.append((run.roles["selection"], protocol(run, "selection"), values))
    return found


def card_data(run: RunRecord) -> ModelCardData:
    goemotions = is_goemotions(run)
    name = (f"GoEmotions ({run.cfg.data.label_set} labels)" if goemotions
            else Path(run.cfg.data.train_file).name) + (" (leaky audit replay)" if run.leaky else "")
    results = [EvalResult(task_type="text-classification", task_name="Multi-label emotion classification",
                          dataset_type=GOEMOTIONS if goemotions else "custom", dataset_name=name, dataset_split=split,
                          metric_type=REPORTED[key][0], metric_config=REPORTED[key][1], metric_value=value,
                          metric_name=f"{REPORTED[key][2]} ({how})")
               for split, how, values in measurements(run) for key, value in values.items()]
    library = "peft" if run.adapter else "transformers" if backbone_name(run.cfg) else None
    return ModelCardData(license=LICENSE, base_model=hub_id(run.cfg), datasets=[GOEMOTIONS] if goemotions else None,
                         language="en" if goemotions else None, library_name=library,
                         pipeline_tag="text-classification",
                         tags=["emotion", "multi-label", "emotune", *(["goemotions"] if goemotions else []),
                               *choice_tags(run.cfg)],
                         model_name=run.path.name if results else None, eval_results=results or None)


def reads(run: RunRecord) -> str:
    encoder = run.cfg.datamodule.get("encoder")
    return (f"one `{encoder._target_.rsplit('.', 1)[-1]}` embedding per text" if encoder
            else f"the text's tokens (at most {run.cfg.datamodule.get('max_length')} of them)")


def adapter_text(run: RunRecord) -> str:
    lora = run.cfg.get("lora") or {}
    return (f"LoRA r={lora.get('r')} alpha={lora.get('alpha')}, PEFT adapter in `{files.ADAPTER}/`"
            if run.adapter else "no adapter")


def skipped_because(cfg: DictConfig, setting: str) -> str:
    """fast_dev_run skips threshold tuning and the report whatever the settings say."""
    return "a fast_dev_run" if cfg.trainer.get("fast_dev_run") else setting


def selection_did(run: RunRecord) -> str:
    chose = selection_choices(run)
    return f"{' and '.join(chose)}, so its numbers are optimistic" if chose else "chose nothing"


def threshold_sentence(run: RunRecord) -> str:
    tuned_on, default = run.thresholds.get("tuned_on"), run.thresholds["default"]
    if tuned_on and run.thresholds.get("per_label"):
        mapped = (" on the uncalibrated outputs, mapped through the calibration so that it makes the same decisions "
                  "on the probabilities this model gives" if run.calibration_method else "")
        return (f"Each label's threshold is the value from {GRID[0]:.2f} to {GRID[-1]:.2f} (step 0.01) that gave "
                f"that label the best F1 on the `{tuned_on}` split (the selection split){mapped}; a label without "
                f"positives there keeps `model.threshold={default}`.")
    why = skipped_because(run.cfg, "`thresholds.tune_on=null`")
    return f"Thresholds were not tuned ({why}): every label uses the fixed `model.threshold={default}`."


def calibration_sentence(run: RunRecord) -> str:
    method, summary = run.calibration_method, (run.report or {}).get("calibration")
    if not method:
        return ("The probabilities are model scores (one sigmoid per label), not calibrated frequencies: this run "
                "does not calibrate them (`model.calibration=null`), so 0.7 does not mean 70% of such texts carry the "
                "label. Thresholds are cut-offs chosen for F1, not probability levels.")
    measured = (f" On `{run.report['split']}` the expected calibration error went from {summary['ece_before']:.4f} "
                f"to {summary['ece_after']:.4f} (per-label mean {summary['macro_ece_before']:.4f} to "
                f"{summary['macro_ece_after']:.4f})." if summary else "")
    return (f"The probabilities are calibrated per label ({method} scaling fitted on "
            f"`{run.calibration['fitted_on']}`).{measured} Calibration fits the training distribution: on text unlike "
            "it, scores drift. Thresholds are cut-offs chosen for F1, not probability levels.")


def export_sentence(run: RunRecord) -> str | None:
    """A token-input run with the transformers classifier also loads without emotune, once exported."""
    cfg, net = run.cfg, run.cfg.model.net
    if run.info.get("input") != "tokens":
        return None
    onnx = ("`emotune export --run-dir DIR --format onnx --output OUT [--quantize int8]` writes an ONNX graph that "
            "`emotune predict --onnx OUT` scores with onnxruntime.")
    if net.get("pooling", "auto") == "mean":  # no transformers class pools by the mean; no ONNX operator runs nf4
        return None if cfg.get("quant") else (
            "`emotune export --run-dir DIR --format sentence-transformers --output OUT` writes a Sentence "
            "Transformers folder: `SentenceTransformer(OUT).encode(texts)` gives the logits, a sigmoid turns them into "
            "the probabilities `emotune predict` gives, and a label is predicted where its logit reaches its cut in "
            "`config.threshold_logits` (label names in `config.id2label`). " + onnx)
    if cfg.get("quant"):  # merging LoRA into nf4 weights would round its update away
        return ("`emotune export --run-dir DIR --format hf --output OUT --adapter` writes it as a PEFT adapter "
                "with its head, for `AutoPeftModelForSequenceClassification`; `config.thresholds` in OUT holds the "
                "thresholds.")
    return ("`emotune export --run-dir DIR --format hf --output OUT` writes it as a transformers folder: "
            "`pipeline(\"text-classification\", model=OUT, top_k=None)` gives the same scores, and "
            "`config.thresholds` holds the thresholds. " + onnx)


def render(run: RunRecord) -> str:
    """The card's prose and layout are the template's; what it quotes is computed here from the run's record."""
    names, per_label = run.labels["names"], run.thresholds.get("per_label") or {}
    context = {
        "name": run.path.name, "leaky": run.leaky, "goemotions": is_goemotions(run),
        "backbone": backbone_name(run.cfg), "adapter": adapter_text(run), "reads": reads(run),
        "choices": choice_tags(run.cfg), "label_names": names, "n_rows": run.labels["n_rows"],
        "seed": run.info.get("seed"), "roles": run.roles, "selection_did": selection_did(run), "report": run.report,
        "unscored_because": skipped_because(run.cfg, "`report.after_fit=false`"),
        "report_dir": files.eval_dir(Path(), run.roles["report"]),
        "measurements": [(split, how, ", ".join(f"{REPORTED[k][2]} {v:.4f}" for k, v in values.items()))
                         for split, how, values in measurements(run)],
        "fixed": (run.report or {}).get("at_fixed_threshold"),
        "thresholds": {name: per_label.get(name, run.thresholds["default"]) for name in names},
        "threshold_sentence": threshold_sentence(run), "calibration_sentence": calibration_sentence(run),
        "train_file": Path(run.cfg.data.get("train_file") or "").name,
        "export": export_sentence(run), "overrides": run.overrides, "config_file": files.CONFIG,
        "command": " ".join(["python train.py", *map(shlex.quote, run.overrides or [])]),
    }
    return str(ModelCard.from_template(card_data(run), template_path=str(TEMPLATE), **context))


def write_model_card(run: RunRecord) -> Path:
    """Called last, once the report split is scored, with the record of what the run saved."""
    write_text(run.path / files.MODEL_CARD, render(run))
    return run.path / files.MODEL_CARD
