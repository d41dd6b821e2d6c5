"""`emotune export --format hf`: a token-input run as a folder that transformers loads with its own classes
(`AutoModelForSequenceClassification`, `pipeline("text-classification", top_k=None)`), or as a PEFT adapter for
`AutoPeftModelForSequenceClassification`. The run's calibration is folded into the head, so the exported logits
give the calibrated probabilities `emotune predict` gives; the per-label thresholds travel in its config.json."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from peft import PeftModel
from transformers import AutoTokenizer, PretrainedConfig

from emotune.evaluation.calibration import Calibration
from emotune.model.text_net import TextClassifierNet
from emotune.run.files import MODEL_CARD, TOKENIZER
from emotune.run.loader import TrainedRun

log = logging.getLogger(__name__)


def embedding_run_message(run: TrainedRun) -> str:
    return (f"{run.path} is an embedding-input run (model=embedding): a sentence encoder, a projection to one "
            "token and a head around the backbone, which no transformers class holds. Its run dir is its export "
            "(adapter/ is a standard PEFT adapter of the bare backbone; head.safetensors holds the projection, "
            "norm and head): load it with emotune.run.loader.load_run or score with emotune predict")


def exportable_net(run: TrainedRun, nf4_refusal: str = "which no ONNX operator runs: export it with --format hf "
                   "--adapter, or train with quant=none for an ONNX export") -> TextClassifierNet:
    """The run's net with LoRA merged into its weights (in place), in float32 and eval mode: for the exports that
    hold one standalone graph or set of weights."""
    net = run.model.net
    if not isinstance(net, TextClassifierNet):
        raise ValueError(embedding_run_message(run))
    if run.cfg.get("quant"):
        raise ValueError(f"{run.path} has an nf4 backbone, {nf4_refusal}")
    if isinstance(net.backbone, PeftModel):
        net.backbone = net.backbone.merge_and_unload()
    return net.float().eval()


def finish_export(run: TrainedRun, config: PretrainedConfig, staging: Path, output: Path, folded: Calibration) -> None:
    """What every export folder holds besides its weights: the config with the thresholds and the calibration
    folded into the head, the tokenizer truncating at the run's max_length (as training did, and as
    pipeline(..., truncation=True) then does) and the model card; the staging folder then becomes `output`."""
    config.thresholds = dict(zip(run.label_names, map(float, run.threshold_vector(None))))
    # The exact rule: a label is on where the exported logit reaches this cut (probabilities round near 0 and 1).
    config.threshold_logits = dict(zip(run.label_names, map(float, run.decision_cuts())))
    config.thresholds_tuned_on = run.thresholds.get("tuned_on")
    config.calibration = {"method": folded.method, "fitted_on": folded.fitted_on}
    config.emotune = run.record.headline()  # what `emotune serve --onnx` reports under /info
    config.save_pretrained(staging)
    tokenizer = AutoTokenizer.from_pretrained(str(run.path / TOKENIZER))
    tokenizer.model_max_length = int(run.cfg.datamodule.max_length)
    tokenizer.save_pretrained(staging)
    if (run.path / MODEL_CARD).is_file():
        shutil.copyfile(run.path / MODEL_CARD, staging / MODEL_CARD)
    if output.exists():
        output.rmdir()
    staging.rename(output)


def export_hf(run: TrainedRun, output: Path, merge: bool = True) -> Path:
    """It changes the loaded run's model (LoRA merged, calibration folded): score with a freshly loaded run.
    `merge=True` folds LoRA into the weights: a standalone model (refused for nf4 runs, where requantizing would
    round the update away). `merge=False` keeps the adapter, with the head in its `modules_to_save`, and loads on
    top of the original backbone."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise FileExistsError(f"--output {output} already holds files: give a new or empty folder")
    if not isinstance(run.model.net, TextClassifierNet):
        raise ValueError(embedding_run_message(run))
    if run.model.net.pooling == "mean":
        raise ValueError(f"{run.path} pools its tokens by their mean (model.net.pooling=mean), which no transformers "
                         "class does: export it with --format sentence-transformers (or --format onnx)")
    backbone = run.model.net.backbone
    if merge and run.cfg.get("quant"):
        raise ValueError(f"{run.path} has an nf4 backbone: merging LoRA into 4-bit weights rounds most of its update "
                         "away, so export it with --adapter (the adapter on top of the original backbone)")
    staging = output.parent / f".{output.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    if isinstance(backbone, PeftModel) and not merge:
        folded = run.fold_calibration(backbone)
        backbone.save_pretrained(staging)
        config = backbone.get_base_model().config
    else:
        model = backbone.merge_and_unload() if isinstance(backbone, PeftModel) else backbone
        folded = run.fold_calibration(model)
        model.save_pretrained(staging)
        config = model.config
    finish_export(run, config, staging, output, folded)
    log.info("Exported %s to %s (%s)", run.path, output, "merged" if merge else "PEFT adapter")
    return output
