"""`emotune export --format sentence-transformers`: a mean-pooled token run (`model.net.pooling=mean`, e.g.
`experiment=cpu_text`) as a Sentence Transformers folder, the field's format for a mean-pooled model with no remote
code: `Transformer` -> `Pooling(mean)` -> `Dense(hidden -> labels, identity)`.

`SentenceTransformer(OUT).encode(texts)` returns the logits with the run's calibration folded into the Dense layer;
a sigmoid gives the probabilities `emotune predict` gives, and `config.json` holds the label names (`id2label`) and
the thresholds. modules.json names the modules by their legacy paths (`sentence_transformers.models.*`) and the
Pooling and Dense configs use the legacy keys: text-embeddings-inference recognises only those (it ignores the
paths newer Sentence Transformers versions write), and Sentence Transformers itself still loads them."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from emotune.export.hf import exportable_net, finish_export
from emotune.run.loader import TrainedRun
from emotune.utils.atomic import write_json

log = logging.getLogger(__name__)

POOLING, DENSE = "1_Pooling", "2_Dense"
MODULES = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
           {"idx": 1, "name": "1", "path": POOLING, "type": "sentence_transformers.models.Pooling"},
           {"idx": 2, "name": "2", "path": DENSE, "type": "sentence_transformers.models.Dense"}]
IDENTITY = "torch.nn.modules.linear.Identity"  # text-embeddings-inference takes Identity or Tanh


def export_sentence_transformer(run: TrainedRun, output: Path) -> Path:
    """It changes the loaded run's model (LoRA merged, calibration folded): score with a freshly loaded run."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise FileExistsError(f"--output {output} already holds files: give a new or empty folder")
    pooling = getattr(run.model.net, "pooling", "mean")  # an embedding-input run is refused below, by its kind
    if pooling != "mean":
        raise ValueError(f"{run.path} reads its tokens with transformers' own classifier (model.net.pooling="
                         f"{pooling}), not a mean pool and a head: export it with --format hf")
    net = exportable_net(run, "into which LoRA cannot merge without rounding its update away: train with "
                              "quant=none for a Sentence Transformers export")
    folded = run.fold_calibration(net.head)
    staging = output.parent / f".{output.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    for folder in (POOLING, DENSE):
        (staging / folder).mkdir(parents=True)
    net.backbone.save_pretrained(staging)
    hidden, labels = net.head.in_features, net.head.out_features
    write_json(staging / "modules.json", MODULES)
    write_json(staging / "sentence_bert_config.json",
               {"max_seq_length": int(run.cfg.datamodule.max_length), "do_lower_case": False})
    write_json(staging / POOLING / "config.json",
               {"word_embedding_dimension": hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
                "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True})
    write_json(staging / DENSE / "config.json",
               {"in_features": hidden, "out_features": labels, "bias": True, "activation_function": IDENTITY})
    save_file({"linear.weight": net.head.weight.detach().float().contiguous(),
               "linear.bias": net.head.bias.detach().float().contiguous()}, str(staging / DENSE / "model.safetensors"))
    write_json(staging / "config_sentence_transformers.json",
               {"__version__": {"pytorch": torch.__version__}, "prompts": {}, "default_prompt_name": None,
                "similarity_fn_name": None})
    config = net.backbone.config
    config.id2label = dict(enumerate(run.label_names))
    config.label2id = {name: i for i, name in enumerate(run.label_names)}
    config.problem_type = "multi_label_classification"
    finish_export(run, config, staging, output, folded)
    log.info("Exported %s to %s as a Sentence Transformers folder", run.path, output)
    return output
