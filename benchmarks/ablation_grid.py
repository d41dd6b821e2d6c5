"""Times the ablation grid end to end: 5 samplings x 5 losses x 5 seeds on frozen sentence embeddings.

    python benchmarks/ablation_grid.py --encoder $(../shared/tools/minilm-dir) --data-dir ../shared/data/goemotions \
        --sweep-dir multirun/ablation --jobs 2

Runs `train.py -m experiment=ablation hparams_search=ablation` with the joblib launcher (`--jobs` runs side by side,
one thread each), then `emotune report` on the sweep dir. The embeddings are encoded on the first run and cached;
`--warm` encodes them before the clock starts, so the figure is the grid's own time with cached embeddings. It
prints what it measured: wall seconds for the grid, finished runs, seconds per run, and the report's time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def train(args: argparse.Namespace, *overrides: str) -> None:
    command = [sys.executable, str(ROOT / "train.py"), "experiment=ablation", f"encoder.name_or_path={args.encoder}",
               f"data.data_dir={args.data_dir}", *overrides]
    subprocess.run(command, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", required=True, help="a sentence-transformers model folder")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--sweep-dir", default="multirun/ablation")
    parser.add_argument("--jobs", type=int, default=2, help="runs side by side (joblib launcher)")
    parser.add_argument("--warm", action="store_true", help="encode and cache the embeddings before timing")
    args = parser.parse_args()
    if args.warm:
        train(args, "trainer.max_epochs=1", "report.after_fit=false", "hydra.run.dir=outputs/ablation_warmup")
    start = time.perf_counter()
    train(args, "hparams_search=ablation", f"hydra.sweep.dir={args.sweep_dir}", "hydra/launcher=joblib",
          f"hydra.launcher.n_jobs={args.jobs}", f"torch_threads={1 if args.jobs > 1 else 'null'}")
    grid = time.perf_counter() - start
    runs = len(list((ROOT / args.sweep_dir).glob("*/eval_*/probabilities.npy")))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "emotune.cli", "report", args.sweep_dir], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    report = time.perf_counter() - start
    print(f"grid: {grid:.0f} s wall for {runs} finished runs ({grid / max(runs, 1):.1f} s per run, {args.jobs} "
          f"side by side); report: {report:.1f} s")


if __name__ == "__main__":
    main()
