"""Load on `emotune serve`: N concurrent clients against a local server, next to `emotune predict`'s batch
throughput on the same texts.

    python benchmarks/serve_load.py --run-dir outputs/cpu_text --data-dir path/to/goemotions \
        --clients 32 --requests 8 --texts-per-request 4

Starts `emotune serve` on a free 127.0.0.1 port (the model loads once), then each client sends `--requests` requests
of `--texts-per-request` GoEmotions val texts, one after another, stopping early at `--max-seconds`. It prints what it
measured: texts/s over the whole load, p50 and p95 request latency, and the batch throughput of the scorer
`emotune predict` uses (in this process, after a warm-up, at `--batch-size`).
"""

from __future__ import annotations

import argparse
import csv
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from emotune.inference import open_scorer


def val_texts(data_dir: Path, n: int) -> list[str]:
    with (data_dir / "dev.tsv").open(encoding="utf-8", newline="") as file:
        return [row[0] for _, row in zip(range(n), csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))]


def start_server(args: argparse.Namespace, log) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = ["--onnx", args.onnx] if args.onnx else ["--run-dir", args.run_dir]
    process = subprocess.Popen([sys.executable, "-m", "emotune.cli", "serve", *source, "--port", str(port),
                                "--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=1, trust_env=False).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    log.seek(0)
    raise SystemExit(f"emotune serve did not start: {log.read()[-2000:]}")


def load(url: str, texts: list[str], args: argparse.Namespace) -> tuple[float, list[float], int]:
    stop_at = time.monotonic() + args.max_seconds

    def client(index: int) -> list[float]:
        latencies = []
        with httpx.Client(timeout=300, trust_env=False) as http:
            for request in range(args.requests):
                if time.monotonic() > stop_at:
                    break
                start = (index * args.requests + request) * args.texts_per_request % len(texts)
                batch = (texts + texts)[start:start + args.texts_per_request]
                begun = time.perf_counter()
                response = http.post(f"{url}/predict", json={"texts": batch})
                response.raise_for_status()
                latencies.append(time.perf_counter() - begun)
        return latencies

    begun = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        latencies = [t for per_client in pool.map(client, range(args.clients)) for t in per_client]
    return time.perf_counter() - begun, latencies, len(latencies) * args.texts_per_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run-dir")
    source.add_argument("--onnx")
    parser.add_argument("--data-dir", required=True, help="a GoEmotions folder (dev.tsv)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=8, help="per client")
    parser.add_argument("--texts-per-request", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=300, help="no new request after this")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="for the predict throughput")
    args = parser.parse_args()
    texts = val_texts(Path(args.data_dir), args.clients * args.requests * args.texts_per_request)
    with tempfile.TemporaryFile() as log:
        process, url = start_server(args, log)
        try:
            warm = httpx.post(f"{url}/predict", json={"texts": texts[:8]}, timeout=300, trust_env=False)
            warm.raise_for_status()
            seconds, latencies, scored = load(url, texts, args)
        finally:
            process.terminate()
            process.wait(timeout=30)
    p50, p95 = np.percentile(latencies, [50, 95]) * 1000
    print(f"serve: {args.clients} clients x {args.texts_per_request} texts/request: {scored} texts in {seconds:.1f} s "
          f"= {scored / seconds:.1f} texts/s; latency p50 {p50:.0f} ms, p95 {p95:.0f} ms ({len(latencies)} requests; "
          f"max batch {args.max_batch}, max wait {args.max_wait_ms:g} ms)")
    scorer = open_scorer(args.run_dir, args.onnx)
    scorer.probabilities(texts[:args.batch_size], args.batch_size)  # warm-up
    begun = time.perf_counter()
    scorer.probabilities(texts, args.batch_size)
    batch_seconds = time.perf_counter() - begun
    print(f"predict (the same scorer, in process, batch {args.batch_size}): {len(texts)} texts in "
          f"{batch_seconds:.1f} s = {len(texts) / batch_seconds:.1f} texts/s")


if __name__ == "__main__":
    main()
