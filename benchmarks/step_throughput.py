"""Training-step throughput and memory of the nf4 + LoRA backbone, from a config only (random weights, nothing
downloaded), through the same loader, nets, loss and optimizer that `train.py` uses.

  python benchmarks/step_throughput.py --layers 8           # 8 of 40 layers; figures also scaled to 40 (GPU)
  python benchmarks/step_throughput.py                      # all 40 layers: a ~13 GB nf4 checkpoint in --workdir
  python benchmarks/step_throughput.py --arch tiny --device cpu --batch-sizes 2,4 --steps 2

The random checkpoint is written one layer at a time with its projections already in nf4 (random_checkpoint.py).
Each mode gets the LoRA targets its experiment trains (`--experiment`, default reference_fast).

FLOPs per step are counted as 6 * N * tokens, N being the parameters of the transformer layers (attention
and MLP, from the config; the token embedding table does no matmul). Frozen nf4 weights get no weight
gradients, so the hardware does about 4N of those 6N: MFU by this count flatters by up to 1.5x, as the
usual convention does. Attention score FLOPs are left out (about 1% at 32 tokens).

At small batches a step is bound by memory traffic instead: the forward and the backward pass each dequantise
every nf4 weight (read 0.5 byte per weight, write a bf16 copy, read it back in the matmul). `weight GB/s` is
that traffic, 2 x (nf4 bytes + 4 bytes per weight), over the step time: a lower bound on achieved bandwidth
(with quant=none, 2 x 2 bytes per weight).

Scaled figures (with --layers below the full depth): throughput divides by the depth ratio. Peak memory adds,
for each missing layer, its weights (counted, nf4 state included) and its share of the step's working memory,
measured as the difference between a step through all loaded layers and one through half of them.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from transformers import MistralConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_checkpoint import write_random_checkpoint  # noqa: E402
from throughput_memory import Memory, module_bytes  # noqa: E402
from throughput_report import show  # noqa: E402

import emotune  # noqa: E402,F401  (registers config resolvers)
from emotune.data.label_stats import LabelStats  # noqa: E402
from emotune.model.build import build_net  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARCHS = {
    "mistral-small-3.1": {"hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 32,
                          "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 32768,
                          "vocab_size": 131072, "max_position_embeddings": 131072, "rope_theta": 1e9},
    "tiny": {"hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
             "head_dim": 16, "intermediate_size": 128, "vocab_size": 512, "max_position_embeddings": 64},
}
# Dense bf16 tensor-core peaks (TFLOP/s) by the name torch.cuda.get_device_name() gives; the longest match wins, and
# an unlisted variant needs --peak-tflops rather than a neighbour's figure.
PEAK_BF16_TFLOPS = {"H100 80GB HBM3": 989.4, "H100 SXM": 989.4, "H100 PCIe": 756.0, "H100 NVL": 835.5,
                    "H200 NVL": 835.5, "H200": 989.4, "A100": 312.0, "L40S": 362.1}
# Train rows of experiment=reference on the official GoEmotions files: 39,069 after the 10% selection carve from
# 43,410, then 85,468 after undersampling and ISMOTE (printed by benchmarks/reference_rows.py).
REFERENCE_ROWS, REFERENCE_EPOCHS = 85_468, 15
EMBEDDING_DIM = 512  # the reference's sentence embeddings
BATCHES = {"embedding": [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096], "text": [8, 16, 32, 64, 128, 256]}


def layer_params(config: MistralConfig) -> int:
    h, d = config.hidden_size, config.head_dim
    attention = h * d * (2 * config.num_attention_heads + 2 * config.num_key_value_heads)
    return attention + 3 * h * config.intermediate_size + 2 * h


def peak_for(device_name: str) -> float | None:
    matches = [key for key in PEAK_BF16_TFLOPS if key in device_name]
    return PEAK_BF16_TFLOPS[max(matches, key=len)] if matches else None


def compose_config(model_dir: Path, mode: str, args: argparse.Namespace):
    overrides = [f"experiment={args.experiment}", f"model={mode}", f"backbone.name_or_path={model_dir}",
                 f"quant={args.quant}", f"lora.r={args.lora_r}", f"lora.alpha={2 * args.lora_r}"]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=overrides + ([f"optimizer={args.optimizer}"] if args.optimizer else []))


def build_mode_net(cfg, mode: str, device: torch.device) -> torch.nn.Module:
    """The net `train.py` builds for this input, with the random checkpoint as its backbone."""
    width = EMBEDDING_DIM if mode == "embedding" else None
    net = build_net(cfg, labels_for(cfg).names, width, "gpu" if device.type == "cuda" else "cpu")
    return net.to(device).train()


def decoder(net: torch.nn.Module) -> torch.nn.Module:
    """The decoder stack: the bare model in embedding mode, the classifier's base model in text mode."""
    base = net.backbone.get_base_model()
    return getattr(base, base.base_model_prefix, base)


def inputs_for(mode: str, batch: int, seq_len: int, vocab: int, device: torch.device):
    if mode == "embedding":
        return torch.randn(batch, EMBEDDING_DIM, device=device)
    ids = torch.randint(0, vocab, (batch, seq_len), device=device)
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}


def time_steps(net, loss_fn, optimizer, inputs, labels, steps: int, warmup: int, device: torch.device) -> float:
    """Seconds per optimizer step; the device is synchronised only around the timed block."""
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")

    def step() -> None:
        with autocast:
            loss = loss_fn(net(inputs).float(), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps


def labels_for(cfg) -> LabelStats:
    """28 labels, the experiment's preferred ones among them, so the focal loss weighs them as in training."""
    names = [*cfg.preferred_labels, *(f"other_{i}" for i in range(28 - len(cfg.preferred_labels)))]
    return LabelStats(names, [1000 + 100 * i for i in range(len(names))], 50_000)


def run_batch(net, cfg, mode: str, batch: int, steps: int, warmup: int, args, memory: Memory) -> tuple[float, float]:
    """Seconds per step and the peak memory of those steps; a fresh optimizer, so its state is counted."""
    device = memory.device
    labels_stats = labels_for(cfg)
    loss_fn = instantiate(cfg.loss, labels=labels_stats).to(device)
    optimizer = instantiate(cfg.optimizer)([p for p in net.parameters() if p.requires_grad])
    inputs = inputs_for(mode, batch, args.seq_len, net.backbone.config.vocab_size, device)
    labels = (torch.rand(batch, len(labels_stats.names), device=device) < 0.1).float()
    memory.reset_peak()
    seconds = time_steps(net, loss_fn, optimizer, inputs, labels, steps, warmup, device)
    peak = memory.peak()
    del optimizer, inputs, labels
    memory.release()
    return seconds, peak


def half_depth_peak(net, cfg, mode: str, batch: int, args, memory: Memory) -> float:
    """One step through the first half of the loaded layers (the rest stay loaded, so only working memory
    differs)."""
    layers = decoder(net).layers
    decoder(net).layers = layers[: len(layers) // 2]
    try:
        return run_batch(net, cfg, mode, batch, 1, 1, args, memory)[1]
    finally:
        decoder(net).layers = layers


def measure_mode(mode: str, config: MistralConfig, checkpoint: Path, args, memory: Memory) -> list[dict]:
    cfg = compose_config(checkpoint, mode, args)
    net = build_mode_net(cfg, mode, memory.device)
    layers, full = config.num_hidden_layers, ARCHS[args.arch]["num_hidden_layers"]
    static, per_layer = memory.current(), module_bytes(decoder(net).layers[0]) / 2**30
    n_params, tokens = layers * layer_params(config), 1 if mode == "embedding" else args.seq_len
    nf4_bytes = module_bytes(decoder(net).layers, quantized_only=True)
    weight_bytes = 2 * (nf4_bytes + 4 * n_params) if nf4_bytes else 2 * 2 * n_params
    rows = []
    for batch in args.batch_sizes or BATCHES[mode]:
        row = {"mode": mode, "batch": batch, "tokens_per_sample": tokens, "layers": layers,
               "lora_targets": list(cfg.lora.target_modules)}
        try:
            seconds, peak = run_batch(net, cfg, mode, batch, args.steps, args.warmup, args, memory)
            half = half_depth_peak(net, cfg, mode, batch, args, memory) if full > layers and layers >= 2 else None
        except torch.OutOfMemoryError:
            memory.release()
            rows.append({**row, "oom": True})
            break  # larger batches only need more
        flops = 6 * n_params * batch * tokens
        row.update(oom=False, step_s=seconds, samples_per_s=batch / seconds, tokens_per_s=batch * tokens / seconds,
                   flops_per_step=flops, tflops=flops / seconds / 1e12, weight_gbps=weight_bytes / seconds / 1e9,
                   peak_memory_gb=peak, static_memory_gb=static,
                   mfu=flops / seconds / (args.peak * 1e12) if args.peak else None)
        if full > layers:
            working_per_layer = (peak - half) / (layers - layers // 2) if half is not None else None
            row.update(scaled_to_layers=full, scaled_samples_per_s=batch * layers / (seconds * full),
                       layer_weights_gb=per_layer, working_gb_per_layer=working_per_layer,
                       scaled_peak_memory_gb=None if half is None else
                       peak + (full - layers) * (per_layer + working_per_layer))
        rows.append(row)
    del net
    memory.release()
    return rows


def measure(args: argparse.Namespace) -> dict:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    args.peak = args.peak_tflops or (peak_for(name) if device.type == "cuda" else None)
    config = MistralConfig(**{**ARCHS[args.arch], "num_hidden_layers": args.layers or ARCHS[args.arch][
        "num_hidden_layers"]})
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        cfg = compose_config(Path(workdir), args.modes[0], args)
        quant = instantiate(cfg.quant) if cfg.get("quant") else None
        checkpoint = write_random_checkpoint(config, Path(workdir) / "model", quant, device)
        memory = Memory(device)
        rows = [row for mode in args.modes for row in measure_mode(mode, config, checkpoint, args, memory)]
    best = max((r for r in rows if r["mode"] == "embedding" and not r["oom"]),
               key=lambda r: r["samples_per_s"], default=None)
    projection = None
    if best:
        rate = best.get("scaled_samples_per_s", best["samples_per_s"])
        projection = {"batch": best["batch"], "samples_per_s": rate, "rows": args.rows,
                      "seconds": args.rows * REFERENCE_EPOCHS / rate}
    n_params = config.num_hidden_layers * layer_params(config)
    return {"arch": args.arch, "device": name, "quant": args.quant, "lora_r": args.lora_r,
            "experiment": args.experiment, "optimizer": cfg.optimizer._target_, "layers": config.num_hidden_layers,
            "full_layers": ARCHS[args.arch]["num_hidden_layers"], "n_params_counted": n_params,
            "flops_rule": "6 * N * tokens", "peak_bf16_tflops": args.peak, "seq_len": args.seq_len,
            "weight_traffic_rule": "2 * (nf4 bytes + 4 * N)" if args.quant == "nf4" else "2 * 2 * N",
            "rows": rows, "reference_15_epochs": projection}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=sorted(ARCHS), default="mistral-small-3.1")
    parser.add_argument("--layers", type=int, help="reduced depth; figures are also scaled to the full depth")
    parser.add_argument("--modes", type=lambda s: s.split(","), default=["embedding", "text"])
    parser.add_argument("--batch-sizes", type=lambda s: [int(b) for b in s.split(",")],
                        help=f"for every mode (default: {BATCHES})")
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--experiment", default="reference_fast", help="whose LoRA, loss and optimizer to run")
    parser.add_argument("--quant", choices=["nf4", "none"], default="nf4")
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--optimizer", choices=["adamw", "adamw8bit"], help="default: the experiment's")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rows", type=int, default=REFERENCE_ROWS, help="train rows for the 15-epoch projection")
    parser.add_argument("--device")
    parser.add_argument("--workdir", help="where the random checkpoint is written (default: the temp dir)")
    parser.add_argument("--peak-tflops", type=float, help="the device's dense bf16 peak, when not in the table")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    result = measure(args)
    show(result, REFERENCE_EPOCHS)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    gc.collect()
    return result


if __name__ == "__main__":
    main()
