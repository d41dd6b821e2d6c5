"""Training and evaluation throughput of `experiment=cpu_text` on this machine, on real GoEmotions token batches:
samples/s of a full optimizer step (the encoder's forward and backward, mean pooling, head, loss, AdamW) for each
precision, `torch.compile` setting, max length and thread count, and texts/s of the evaluation forward at the
evaluation batch sizes given.

  python benchmarks/cpu_text_speed.py --data-dir path/to/goemotions
  python benchmarks/cpu_text_speed.py --data-dir path/to/goemotions --precisions 32-true,bf16-mixed \
      --compile off,on --max-lengths 64,48 --threads 2 --eval-batch-sizes 256,1024

The batches come from the train split as `experiment=cpu_text` reads it (its tokenizer, length grouping, batch size);
the net is built from the composed config (`build_net`, the loader `train.py` uses). `bf16-mixed` is what
Lightning's `trainer.precision=bf16-mixed` does on a CPU: bf16 autocast around the step. It pays only where the
CPU computes in bf16 (AVX512-BF16 or AMX); the script prints which this CPU has, and what it measured.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from itertools import cycle, islice
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import emotune  # noqa: F401  (registers config resolvers)
from emotune.data import build_datamodule
from emotune.model.build import build_net

ROOT = Path(__file__).resolve().parents[1]


def compose_cpu_text(args: argparse.Namespace, max_length: int) -> object:
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=["experiment=cpu_text", f"backbone.name_or_path={args.backbone}",
                                           f"data.data_dir={args.data_dir}", f"datamodule.max_length={max_length}",
                                           "paths.output_dir=."])


def autocast(precision: str):
    return torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16-mixed" else nullcontext()


def timed(step, batches: list, warmup: int) -> tuple[float, int]:
    """Samples per second over `batches`, after `warmup` steps on the first ones."""
    for batch in batches[:warmup]:
        step(batch)
    start = time.perf_counter()
    for batch in batches[warmup:]:
        step(batch)
    rows = sum(len(labels) for _, labels in batches[warmup:])
    return rows / (time.perf_counter() - start), rows


def train_rate(cfg, names: list[str], batches: list, precision: str, compiled: bool,
               warmup: int) -> tuple[float, int]:
    torch.manual_seed(0)
    net = build_net(cfg, names, None, "cpu").train()
    forward = torch.compile(net) if compiled else net
    loss_fn = torch.nn.BCEWithLogitsLoss()
    optimizer = instantiate(cfg.optimizer)([p for p in net.parameters() if p.requires_grad])

    def step(batch: tuple) -> None:
        inputs, labels = batch
        with autocast(precision):
            loss = loss_fn(forward(inputs).float(), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return timed(step, batches, warmup)


def eval_rate(cfg, names: list[str], loader, precision: str, batches: int) -> tuple[float, int]:
    net = build_net(cfg, names, None, "cpu").eval()

    def step(batch: tuple) -> None:
        with torch.inference_mode(), autocast(precision):
            net(batch[0])

    return timed(step, list(islice(loader, batches + 1)), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="a GoEmotions folder")
    parser.add_argument("--backbone", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--precisions", default="32-true,bf16-mixed")
    parser.add_argument("--compile", default="off", help="off, on, or off,on")
    parser.add_argument("--max-lengths", default="64")
    parser.add_argument("--threads", default=str(torch.get_num_threads()), help="e.g. 1,2")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per setting (after warmup)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--eval-batch-sizes", default="256", help="evaluation batch sizes to time ('' for none)")
    parser.add_argument("--eval-batches", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    cpu = torch.backends.cpu.get_cpu_capability()
    print(f"torch {torch.__version__}; CPU capability {cpu}; bf16 in hardware: "
          f"{torch.ops.mkldnn._is_mkldnn_bf16_supported()}", flush=True)
    rows = []
    for max_length in map(int, args.max_lengths.split(",")):
        cfg = compose_cpu_text(args, max_length)
        datamodule = build_datamodule(cfg)
        datamodule.setup("fit")
        batches = list(islice(cycle(datamodule.train_dataloader()), args.warmup + args.steps))
        for threads in map(int, args.threads.split(",")):
            torch.set_num_threads(threads)
            for precision in args.precisions.split(","):
                for compiled in [c == "on" for c in args.compile.split(",")]:
                    rate, rows_timed = train_rate(cfg, datamodule.label_names, batches, precision, compiled,
                                                  args.warmup)
                    rows.append({"phase": "train", "max_length": max_length, "threads": threads,
                                 "precision": precision, "compile": compiled,
                                 "batch": cfg.datamodule.batch_size, "samples_per_s": round(rate, 1),
                                 "rows": rows_timed})
                    print(json.dumps(rows[-1]), flush=True)
                for size in [int(s) for s in args.eval_batch_sizes.split(",") if s]:
                    datamodule.eval_batch_size = size
                    rate, rows_timed = eval_rate(cfg, datamodule.label_names,
                                                 datamodule.loader(datamodule.roles.selection), precision,
                                                 args.eval_batches)
                    rows.append({"phase": "eval", "max_length": max_length, "threads": threads,
                                 "precision": precision, "batch": size, "texts_per_s": round(rate, 1),
                                 "rows": rows_timed})
                    print(json.dumps(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
