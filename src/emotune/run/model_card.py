"""The model card (README.md, hub format) a finished run dir carries. It is built from the run dir's own files only,
so it can quote no number the run did not write, and it names the protocol of each number: which split measured
it and what that split chose."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from huggingface_hub import EvalResult, ModelCardData
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


def model_lines(run: RunRecord) -> list[str]:
    cfg, names, backbone, lora = run.cfg, run.labels["names"], backbone_name(run.cfg), run.cfg.get("lora") or {}
    adapter = (f"LoRA r={lora.get('r')} alpha={lora.get('alpha')}, PEFT adapter in `{files.ADAPTER}/`"
               if run.adapter else "no adapter")
    encoder = cfg.datamodule.get("encoder")
    reads = (f"one `{encoder._target_.rsplit('.', 1)[-1]}` embedding per text" if encoder
             else f"the text's tokens (at most {cfg.datamodule.get('max_length')} of them)")
    return [f"- Backbone: `{backbone}` ({adapter})" if backbone else "- Backbone: none (a projection and a head)",
            f"- Input: {reads}",
            f"- Loss and resampling: {', '.join(choice_tags(cfg))}", f"- Labels ({len(names)}): {', '.join(names)}",
            f"- Training rows after resampling: {run.labels['n_rows']}; seed {run.info.get('seed')}"]


def skipped_because(cfg: DictConfig, setting: str) -> str:
    """fast_dev_run skips threshold tuning and the report whatever the settings say."""
    return "a fast_dev_run" if cfg.trainer.get("fast_dev_run") else setting


def results_lines(run: RunRecord) -> list[str]:
    roles, chose = run.roles, selection_choices(run)
    did = f"{' and '.join(chose)}, so its numbers are optimistic" if chose else "chose nothing"
    quote = "Quote none of these numbers (leaky replay)." if run.leaky else "Quote the report split's numbers."
    lines = [f"Splits: train `{roles['train']}` (resampled), selection `{roles['selection']}` ({did}), report "
             f"`{roles['report']}`. {quote}", ""]
    if run.report is None:
        why = skipped_because(run.cfg, "`report.after_fit=false`")
        lines += [f"**The report split `{roles['report']}` was not scored when training finished** ({why}), so this "
                  f"card quotes no report-split numbers; `python evaluate.py run_dir=DIR` scores it into "
                  f"`{files.eval_dir(Path(), roles['report'])}/`.", ""]
    for split, how, values in measurements(run):
        lines.append(f"- `{split}` ({how}): " + ", ".join(f"{REPORTED[k][2]} {v:.4f}" for k, v in values.items()))
    fixed = (run.report or {}).get("at_fixed_threshold")
    if fixed:
        lines.append(f"- `{run.report['split']}` at the fixed threshold {fixed['threshold']} instead of the tuned "
                     f"ones (same protocol): macro-F1 {fixed['macro_f1']:.4f}, micro-F1 {fixed['micro_f1']:.4f}")
    return lines


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


def emotion_table(run: RunRecord) -> list[str]:
    names, per_label = run.labels["names"], run.thresholds.get("per_label") or {}
    threshold = {name: per_label.get(name, run.thresholds["default"]) for name in names}
    if run.report is None:
        return ["| emotion | threshold |", "|---|---:|"] + [f"| {n} | {threshold[n]:.3f} |" for n in names]
    scores = run.report["per_label"]
    return (["| emotion | precision | recall | F1 | support | threshold |", "|---|---:|---:|---:|---:|---:|"]
            + [f"| {n} | {scores[n]['precision']:.3f} | {scores[n]['recall']:.3f} | {scores[n]['f1']:.3f} "
               f"| {scores[n]['support']} | {threshold[n]:.3f} |" for n in names])


def limitation_lines(run: RunRecord) -> list[str]:
    data = ["- GoEmotions is English Reddit comments only: other languages, platforms and registers are outside "
            "what the model saw.",
            "- GoEmotions' labels are noisy: an external audit of 1,000 of its comments found strong "
            "label errors in about 30% of them. That is the audit's figure, not one this run measured; every score "
            "here is against those labels."] if is_goemotions(run) else [
        f"- Trained on `{Path(run.cfg.data.train_file).name}` only: the model knows the language, domain and "
        "labelling conventions of those rows, and inherits any noise in their labels."]
    leaky = ["- **Leaky audit replay**: synthetic training rows were built from evaluation rows, so the numbers "
             "say nothing about unseen text."] if run.leaky else []
    return leaky + data + [calibration_line(run),
        "- Labels with small support in the table above have F1 estimates that swing widely from sample to sample.",
        "- The labels describe the emotion a text expresses as raters read it, not its writer's state: do not use "
        "the scores to make decisions about individuals (health, hiring, moderation without human review)."]


def calibration_line(run: RunRecord) -> str:
    method, summary = run.calibration_method, (run.report or {}).get("calibration")
    if not method:
        return ("- The probabilities are model scores (one sigmoid per label), not calibrated frequencies: this run "
                "does not calibrate them (`model.calibration=null`), so 0.7 does not mean 70% of such texts carry the "
                "label. Thresholds are cut-offs chosen for F1, not probability levels.")
    measured = (f" On `{run.report['split']}` the expected calibration error went from {summary['ece_before']:.4f} "
                f"to {summary['ece_after']:.4f} (per-label mean {summary['macro_ece_before']:.4f} to "
                f"{summary['macro_ece_after']:.4f})." if summary else "")
    return (f"- The probabilities are calibrated per label ({method} scaling fitted on "
            f"`{run.calibration['fitted_on']}`).{measured} Calibration fits the training distribution: on text unlike "
            "it, scores drift. Thresholds are cut-offs chosen for F1, not probability levels.")


def usage_lines(run: RunRecord) -> list[str]:
    if run.overrides is None:
        reproduce = ["Hydra recorded no command line for this run (it was not started by `train.py`); its full "
                     f"resolved config is `{files.CONFIG}`."]
    else:
        reproduce = ["```bash", " ".join(["python train.py", *map(shlex.quote, run.overrides)]), "```",
                     f"(the overrides Hydra recorded; the resolved config is `{files.CONFIG}`, and paths in it point "
                     "at the machine that trained the run)."]
    backbone = backbone_name(run.cfg)
    return ["```bash", "emotune predict --run-dir DIR --input texts.txt --output predictions.jsonl", "```", "",
            "DIR is this folder. The input takes one text per line (or a .csv, .tsv or .jsonl file with "
            "`--text-column`); each output row holds every label's score and the labels at or above their "
            "thresholds; `--threshold T` uses one threshold for every label instead."
            + (f" The backbone `{backbone}` must be a local folder or reachable on the hub." if backbone else ""),
            "", "From Python: `emotune.inference.open_scorer(run_dir=DIR).probabilities(texts)`.",
            *exportable(run), "", "## Reproduce", "", *reproduce]


def exportable(run: RunRecord) -> list[str]:
    """A token-input run with the transformers classifier also loads without emotune, once exported."""
    cfg, net = run.cfg, run.cfg.model.net
    if run.info.get("input") != "tokens":
        return []
    onnx = ("`emotune export --run-dir DIR --format onnx --output OUT [--quantize int8]` writes an ONNX graph that "
            "`emotune predict --onnx OUT` scores with onnxruntime.")
    if net.get("pooling", "auto") == "mean":  # no transformers class pools by the mean; no ONNX operator runs nf4
        return [] if cfg.get("quant") else ["", onnx]
    if cfg.get("quant"):  # merging LoRA into nf4 weights would round its update away
        return ["", "`emotune export --run-dir DIR --format hf --output OUT --adapter` writes it as a PEFT adapter "
                "with its head, for `AutoPeftModelForSequenceClassification`; `config.thresholds` in OUT holds the "
                "thresholds."]
    return ["", "`emotune export --run-dir DIR --format hf --output OUT` writes it as a transformers folder: "
            "`pipeline(\"text-classification\", model=OUT, top_k=None)` gives the same scores, and "
            "`config.thresholds` holds the thresholds. " + onnx]


def render(run: RunRecord) -> str:
    leaky = (["**LEAKY AUDIT REPLAY: every number in this card comes from the leaky replay of the reference "
              "protocol and is comparable to nothing.**", ""] if run.leaky else [])
    on = f" on the report split `{run.report['split']}`" if run.report else ""
    body = [f"# Emotion classifier `{run.path.name}`", "", *leaky,
            "A multi-label emotion classifier trained with emotune: every label gets its own score, and each label "
            "whose score reaches its threshold is predicted.", "", "## Model", "", *model_lines(run), "",
            "## Results", "", *results_lines(run), "", f"## Per emotion{on}", "", *emotion_table(run), "",
            threshold_sentence(run), "", "## Intended use", "",
            "Research on, and aggregate analysis of, the emotions expressed in short texts like the training data.",
            "", "## Limitations", "", *limitation_lines(run), "", "## How to use", "", *usage_lines(run)]
    return f"---\n{card_data(run).to_yaml()}\n---\n\n" + "\n".join(body) + "\n"


def write_model_card(run: RunRecord) -> Path:
    """Called last, once the report split is scored, with the record of what the run saved."""
    write_text(run.path / files.MODEL_CARD, render(run))
    return run.path / files.MODEL_CARD
