"""`emotune export --format onnx`: a token-input run's own network as an ONNX graph, in a folder that onnxruntime
scores without torch (`emotune predict --onnx DIR`, emotune.inference.onnx_scoring). Both poolings export, since
the graph is traced from the run's network rather than rebuilt from a transformers class.

The graph comes from torch.onnx's default exporter (`dynamo=True`: torch.export, then onnxscript), which traced the
tiny BERT, Mistral (LoRA merged) and mean-pooled BERT test runs with dynamic batch and sequence axes; the older
TorchScript exporter (`dynamo=False`) was not needed. Its probabilities match `emotune predict --run-dir` within 1e-5
(measured: 3e-7 at most on the test runs). `--quantize int8` is onnxruntime's dynamic quantization: int8 weights
with a scale per output channel, activations scaled per batch, no calibration data. It moved the test runs'
probabilities by 0.025 at most (the tests allow 0.05), and a weakly trained MiniLM-L6 GoEmotions run's by 5e-4 on
average and 0.10 at most over 5,426 val texts, its macro-F1 (0.116) unchanged to three decimals; a scale per tensor
doubled the mean error, and onnxruntime's pre-processing before quantizing changed nothing."""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from emotune.export.hf import exportable_net, finish_export
from emotune.inference.onnx_scoring import INPUTS, ONNX_MODEL, OUTPUT, check_installed
from emotune.run.loader import TrainedRun

log = logging.getLogger(__name__)

QUANTIZATIONS = ("int8",)
# Recorded in config.json as `onnx_quantization`; the choice is measured in the module docstring.
INT8 = {"method": "onnxruntime dynamic", "weights": "int8", "per_channel": True, "reduce_range": False,
        "activations": "uint8, scale per batch"}


class TokenLogits(nn.Module):
    """The net reads a dict; an ONNX graph's inputs are named tensors, in optimum's order."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.net({"input_ids": input_ids, "attention_mask": attention_mask})


def trace(net: nn.Module, path: Path) -> None:
    """Example rows of different lengths (some padding), so that nothing is specialised to one shape."""
    vocab = net.backbone.config.get_text_config().vocab_size
    input_ids = torch.arange(2 * 8).reshape(2, 8) % vocab
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 5:] = 0
    batch, sequence = torch.export.Dim("batch_size"), torch.export.Dim("sequence_length")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.filterwarnings("ignore", message="# The axis name")  # both inputs share the two axes, as they should
        program = torch.onnx.export(TokenLogits(net).eval(), (input_ids, attention_mask), dynamo=True, verbose=False,
                                    input_names=list(INPUTS), output_names=[OUTPUT],
                                    dynamic_shapes={name: {0: batch, 1: sequence} for name in INPUTS})
    program.save(str(path))  # weights go to an external file beside it only past protobuf's 2 GB


def quantize_int8(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process the graph first: measured, it changed nothing here
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=INT8["per_channel"],
                         reduce_range=INT8["reduce_range"],
                         use_external_data_format=any(p.name != source.name for p in source.parent.iterdir()))
    finally:
        root.setLevel(level)


def export_onnx(run: TrainedRun, output: Path, quantize: str | None = None) -> Path:
    """It changes the loaded run's model (LoRA merged, calibration folded into the head, so the graph's logits are
    calibrated): score with a freshly loaded run."""
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise FileExistsError(f"--output {output} already holds files: give a new or empty folder")
    if quantize not in (None, *QUANTIZATIONS):
        raise ValueError(f"--quantize {quantize}: expected one of {QUANTIZATIONS}")
    check_installed("onnx", "onnxscript", *(["onnxruntime"] if quantize else []))
    net = exportable_net(run)
    folded = run.fold_calibration(net)
    staging = output.parent / f".{output.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if quantize is None:
        trace(net, staging / ONNX_MODEL)
    else:
        with tempfile.TemporaryDirectory(dir=output.parent) as fp32:
            trace(net, Path(fp32) / ONNX_MODEL)
            quantize_int8(Path(fp32) / ONNX_MODEL, staging / ONNX_MODEL)
    config = copy.deepcopy(net.backbone.config)  # model_type and sizes, for tools that read a transformers config
    config.id2label = dict(enumerate(run.label_names))
    config.label2id = {name: i for i, name in enumerate(run.label_names)}
    config.problem_type = "multi_label_classification"
    config.onnx_quantization = INT8 if quantize else {"weights": "float32"}
    finish_export(run, config, staging, output, folded)
    log.info("Exported %s to %s as ONNX (%s)", run.path, output, quantize or "float32")
    return output
