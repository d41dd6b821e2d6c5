"""Training throughput of `experiment=small_lm` on this machine: samples/s of a full optimizer step (projection,
one-token decoder forward and backward through LoRA, head, focal loss, AdamW) for each quant, batch and precision.

  python benchmarks/small_lm_speed.py --backbone DIR_OR_HUB_ID
  python benchmarks/small_lm_speed.py --backbone DIR --quants none,nf4 --batch-sizes 64,256,1024 \
      --precisions 32-true,bf16-mixed --dtypes float32,bfloat16

The net is built from the composed config (`build_net`, the loader `train.py` uses); inputs are random unit
vectors of the encoder's width and random multi-hot labels, so nothing but the step is timed. `precision` is what
Lightning's `trainer.precision` would do on a CPU: `bf16-mixed` wraps the step in bf16 autocast. `dtype` is
`backbone.dtype`, the dtype the frozen weights are stored in; with nf4 it is also the dtype the 4-bit weights
are dequantized to for each matmul (conf/quant/nf4.yaml follows it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import emotune  # noqa: F401  (registers config resolvers)
from emotune.data.label_stats import LabelStats
from emotune.model.build import build_net

ROOT = Path(__file__).resolve().parents[1]
EMBEDDING_DIM = 384  # all-MiniLM-L6-v2


def compose_small_lm(backbone: str, quant: str, dtype: str) -> object:
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=["experiment=small_lm", f"backbone.name_or_path={backbone}",
                                           f"quant={quant}", f"backbone.dtype={dtype}", "paths.output_dir=."])


def measure(cfg, batch: int, precision: str, samples: int, max_seconds: float, warmup: int) -> tuple[float, int]:
    names = [f"label{i}" for i in range(28)]
    stats = LabelStats(names, [batch] * 28, batch * 28)
    torch.manual_seed(0)
    net = build_net(cfg, names, EMBEDDING_DIM, "cpu")
    net.train()
    loss_fn = instantiate(cfg.loss, labels=stats)
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer = instantiate(cfg.optimizer)(params)
    x = torch.nn.functional.normalize(torch.randn(batch, EMBEDDING_DIM), dim=-1)
    y = (torch.rand(batch, 28) < 0.1).float()
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16-mixed" else nullcontext()

    def step() -> None:
        with autocast:
            loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(warmup):
        step()
    steps, start = 0, time.perf_counter()
    while steps * batch < samples and (steps < 2 or time.perf_counter() - start < max_seconds):
        step()
        steps += 1
    seconds = time.perf_counter() - start
    return batch * steps / seconds, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", required=True, help="SmolLM2-135M-Instruct: hub id or local folder")
    parser.add_argument("--quants", default="none,nf4")
    parser.add_argument("--dtypes", default="float32,bfloat16", help="backbone.dtype values (quant=none only)")
    parser.add_argument("--precisions", default="32-true,bf16-mixed")
    parser.add_argument("--batch-sizes", default="64,256,1024")
    parser.add_argument("--samples", type=int, default=4096, help="rows timed per setting (after warmup)")
    parser.add_argument("--max-seconds", type=float, default=30, help="stop timing a setting after this (2 steps min)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rows", type=int, default=85_468,
                        help="rows per epoch to project minutes for (default: small_lm's train split after "
                             "undersampling and ISMOTE; benchmarks/reference_rows.py prints it)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    rows = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    print(f"{'quant':>5} {'dtype':>9} {'precision':>10} {'batch':>6} {'samples/s':>10} {'min/epoch':>10}", flush=True)
    for quant in args.quants.split(","):
        for dtype in args.dtypes.split(","):
            cfg = compose_small_lm(args.backbone, quant, dtype)
            for precision in args.precisions.split(","):
                for batch in map(int, args.batch_sizes.split(",")):
                    rate, steps = measure(cfg, batch, precision, args.samples, args.max_seconds, args.warmup)
                    minutes = args.rows / rate / 60
                    rows.append({"quant": quant, "dtype": dtype, "precision": precision, "batch": batch,
                                 "samples_per_s": round(rate, 1), "steps": steps, "minutes_per_epoch": minutes})
                    print(f"{quant:>5} {dtype:>9} {precision:>10} {batch:>6} {rate:>10.1f} {minutes:>10.1f}",
                          flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    sys.exit(0)


if __name__ == "__main__":
    main()
