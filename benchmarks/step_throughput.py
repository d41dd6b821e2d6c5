"""Training-step throughput of the nf4 + LoRA backbone, built from a config only (random weights, nothing
downloaded), through the same loader, nets, loss and optimizer that `train.py` uses.

  python benchmarks/step_throughput.py                      # Mistral-Small-3.1 text config, 40 layers (GPU)
  python benchmarks/step_throughput.py --layers 4           # 4 layers; figures also scaled to 40, labelled so
  python benchmarks/step_throughput.py --arch tiny --device cpu --batch-sizes 2,4 --steps 2

FLOPs per step are counted as 6 * N * tokens, N being the parameters of the transformer layers (attention
and MLP, from the config; the token embedding table does no matmul). Frozen nf4 weights get no weight
gradients, so the hardware does about 4N of those 6N: MFU by this count flatters by up to 1.5x, as the
usual convention does. Attention score FLOPs are left out (about 1% at 32 tokens).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from rich.console import Console
from rich.table import Table
from transformers import AutoModel, MistralConfig

import emotune  # noqa: F401  (registers config resolvers)
from emotune.data.label_stats import LabelStats
from emotune.model import EmbeddingClassifierNet, TextClassifierNet
from emotune.placement import backbone_device_map

ROOT = Path(__file__).resolve().parents[1]
ARCHS = {
    "mistral-small-3.1": {"hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 32,
                          "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 32768,
                          "vocab_size": 131072, "max_position_embeddings": 131072, "rope_theta": 1e9},
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "head_dim": 16, "intermediate_size": 128, "vocab_size": 512, "max_position_embeddings": 64},
}
# Dense bf16 tensor-core peaks (TFLOP/s), matched against torch.cuda.get_device_name().
PEAK_BF16_TFLOPS = {"H100 PCIe": 756.0, "H100": 989.4, "H200": 989.4, "A100": 312.0, "L40S": 362.1}
REFERENCE_ROWS, REFERENCE_EPOCHS = 89_000, 15
EMBEDDING_DIM = 512  # the reference's sentence embeddings
LABELS = LabelStats([f"label_{i}" for i in range(28)], [1000 + 100 * i for i in range(28)], 50_000)


def layer_params(config: MistralConfig) -> int:
    h, d = config.hidden_size, config.head_dim
    attention = h * d * (2 * config.num_attention_heads + 2 * config.num_key_value_heads)
    return attention + 3 * h * config.intermediate_size + 2 * h


def peak_tflops(device: torch.device, given: float | None) -> float | None:
    if given or device.type != "cuda":
        return given
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_BF16_TFLOPS.items() if key in name), None)


def compose_config(model_dir: Path, args: argparse.Namespace):
    """The reference experiment's backbone, LoRA targets, loss and optimizer, pointed at the random weights."""
    overrides = ["experiment=reference", f"backbone.name_or_path={model_dir}", f"quant={args.quant}",
                 f"lora.r={args.lora_r}", f"lora.alpha={2 * args.lora_r}"]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=overrides + ([f"optimizer={args.optimizer}"] if args.optimizer else []))


def build_backbone(config: MistralConfig, cfg, folder: Path, device: torch.device) -> torch.nn.Module:
    """Saves random weights like a hub checkpoint, then loads them through `load_backbone`."""
    AutoModel.from_config(config, dtype=torch.bfloat16).save_pretrained(folder)
    placement = backbone_device_map("gpu" if device.type == "cuda" else "cpu")
    backbone = instantiate(cfg.backbone, quant=cfg.quant, lora=cfg.lora, device_map=placement)
    return backbone.to(device)


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


def peak_memory_gb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**30
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # CPU: the process's peak RSS


def measure(args: argparse.Namespace) -> dict:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    full_layers = ARCHS[args.arch]["num_hidden_layers"]
    config = MistralConfig(**{**ARCHS[args.arch], "num_hidden_layers": args.layers or full_layers})
    layers, scale = config.num_hidden_layers, full_layers / config.num_hidden_layers
    n_params = layers * layer_params(config)
    cfg = compose_config(Path(args.workdir), args)
    backbone = build_backbone(config, cfg, Path(args.workdir), device)
    nets = {"embedding": EmbeddingClassifierNet(EMBEDDING_DIM, len(LABELS.names), backbone),
            "text": TextClassifierNet(len(LABELS.names), backbone, pooling="last")}
    static_gb = peak_memory_gb(device)
    peak = peak_tflops(device, args.peak_tflops)
    rows = []
    for mode in args.modes:
        net = nets[mode].to(device).train()
        loss_fn = instantiate(cfg.loss, labels=LABELS).to(device)
        for batch in args.batch_sizes:
            tokens = 1 if mode == "embedding" else args.seq_len
            row = {"mode": mode, "batch": batch, "tokens_per_sample": tokens, "layers": layers}
            if device.type == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats(device)
            try:
                optimizer = instantiate(cfg.optimizer)([p for p in net.parameters() if p.requires_grad])
                inputs = inputs_for(mode, batch, args.seq_len, config.vocab_size, device)
                labels = (torch.rand(batch, len(LABELS.names), device=device) < 0.1).float()
                seconds = time_steps(net, loss_fn, optimizer, inputs, labels, args.steps, args.warmup, device)
            except torch.OutOfMemoryError:
                rows.append({**row, "oom": True})
                continue
            flops = 6 * n_params * batch * tokens
            memory = peak_memory_gb(device)
            row.update(oom=False, step_s=seconds, samples_per_s=batch / seconds, tokens_per_s=batch * tokens / seconds,
                       flops_per_step=flops, tflops=flops / seconds / 1e12, peak_memory_gb=memory,
                       mfu=flops / seconds / (peak * 1e12) if peak else None)
            if scale != 1:  # per-layer work and memory grow with depth; the embedding table does not
                row.update(scaled_to_layers=full_layers, scaled_samples_per_s=batch / (seconds * scale),
                           scaled_peak_memory_gb=static_gb + (memory - static_gb) * scale if device.type == "cuda"
                           else None)
            rows.append(row)
            del optimizer
    best = max((r for r in rows if r["mode"] == "embedding" and not r["oom"]),
               key=lambda r: r["samples_per_s"], default=None)
    projection = None
    if best:
        rate = best.get("scaled_samples_per_s", best["samples_per_s"])
        projection = {"batch": best["batch"], "samples_per_s": rate,
                      "seconds": REFERENCE_ROWS * REFERENCE_EPOCHS / rate}
    return {"arch": args.arch, "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "quant": args.quant, "lora_r": args.lora_r, "optimizer": cfg.optimizer._target_,
            "layers": layers, "full_layers": full_layers,
            "n_params_counted": n_params, "flops_rule": "6 * N * tokens", "peak_bf16_tflops": peak,
            "seq_len": args.seq_len, "rows": rows, "reference_15_epochs": projection}


def show(result: dict) -> None:
    table = Table(title=f"{result['arch']} ({result['layers']}/{result['full_layers']} layers, {result['quant']}, "
                        f"LoRA r={result['lora_r']}) on {result['device']}")
    for column in ("mode", "batch", "samples/s", "tokens/s", "TFLOP/s", "MFU", "peak GB", "scaled samples/s",
                   "scaled peak GB"):
        table.add_column(column, justify="right")
    columns = (("samples_per_s", ".1f"), ("tokens_per_s", ".1f"), ("tflops", ".3f"), ("mfu", ".1%"),
               ("peak_memory_gb", ".2f"), ("scaled_samples_per_s", ".1f"), ("scaled_peak_memory_gb", ".2f"))
    for r in result["rows"]:
        cells = ["OOM", *[""] * 6] if r["oom"] else [
            "" if r.get(key) is None else format(r[key], spec) for key, spec in columns]
        table.add_row(r["mode"], str(r["batch"]), *cells)
    console = Console(width=max(Console().width, 140))
    console.print(table)
    console.print(f"N = {result['n_params_counted']:,} layer parameters; FLOPs = {result['flops_rule']}; "
                  f"peak bf16 {result['peak_bf16_tflops'] or 'unknown (MFU needs --peak-tflops)'} TFLOP/s")
    if result["reference_15_epochs"]:
        p = result["reference_15_epochs"]
        console.print(f"Reference run ({REFERENCE_EPOCHS} epochs x {REFERENCE_ROWS:,} rows, embedding mode, batch "
                      f"{p['batch']}): {p['seconds'] / 60:.1f} min projected")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=sorted(ARCHS), default="mistral-small-3.1")
    parser.add_argument("--layers", type=int, help="reduced depth; figures are also scaled to the full depth")
    parser.add_argument("--modes", type=lambda s: s.split(","), default=["embedding", "text"])
    parser.add_argument("--batch-sizes", type=lambda s: [int(b) for b in s.split(",")],
                        default=[8, 16, 32, 64, 128, 256, 512, 1024])
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--quant", choices=["nf4", "none"], default="nf4")
    parser.add_argument("--lora-r", type=int, default=16)
    parser.add_argument("--optimizer", choices=["adamw", "adamw8bit"], help="default: the reference's (adamw8bit)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device")
    parser.add_argument("--peak-tflops", type=float, help="the device's dense bf16 peak, when not in the table")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        args.workdir = workdir
        result = measure(args)
    show(result)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
