"""The `emotune` command: predict with a run, export it, report a sweep, compare two runs.

Each subcommand imports what it needs when it runs, so `--help` and argument errors answer at once
instead of after loading torch, lightning and pandas.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path


def predict(args: argparse.Namespace) -> None:
    from emotune.inference.onnx_scoring import read_config
    from emotune.inference.prediction_io import read_texts, write_predictions
    from emotune.inference.scorer import open_scorer
    from emotune.run.files import check_run_dir
    from emotune.utils.atomic import ensure_writable_dir

    if args.output != "-":
        ensure_writable_dir(Path(args.output).parent, f"--output {args.output}")
    if args.onnx:
        read_config(Path(args.onnx))
    else:
        check_run_dir(Path(args.run_dir))
    lines, texts = read_texts(args.input, args.text_column)  # the model loads only once the inputs are known good
    scorer = open_scorer(args.run_dir, args.onnx, calibrated=not args.uncalibrated)
    result = scorer.score(texts, args.batch_size, args.threshold)
    write_predictions(args.output, lines, texts, result.probabilities, scorer.label_names, result.labels)


def export(args: argparse.Namespace) -> None:
    from emotune.run.files import check_run_dir

    if args.quantize and args.format != "onnx":
        raise ValueError(f"--quantize {args.quantize} applies to --format onnx only, not --format {args.format}")
    if args.adapter and args.format != "hf":
        raise ValueError(f"--adapter applies to --format hf only: --format {args.format} merges LoRA into the graph")
    check_run_dir(Path(args.run_dir))
    from emotune.run.loader import load_run

    run = load_run(args.run_dir, accelerator="cpu")
    if args.format == "onnx":
        from emotune.export.onnx import export_onnx

        print(export_onnx(run, Path(args.output), args.quantize))
    elif args.format == "sentence-transformers":
        from emotune.export.sentence_transformer import export_sentence_transformer

        print(export_sentence_transformer(run, Path(args.output)))
    else:
        from emotune.export.hf import export_hf

        print(export_hf(run, Path(args.output), merge=not args.adapter))


def report(args: argparse.Namespace) -> None:
    from emotune.reporting.sweep_report import write_sweep_report

    print(write_sweep_report(Path(args.multirun_dir), args.baseline), end="")


def compare(args: argparse.Namespace) -> None:
    from emotune.reporting.compare import compare as compare_runs

    print(compare_runs(Path(args.run_a), Path(args.run_b), args.split), end="")


def serve(args: argparse.Namespace) -> None:
    from emotune.inference.onnx_scoring import read_config
    from emotune.run.files import check_run_dir
    from emotune.serve.app import Limits
    from emotune.serve.app import serve as run_server

    if args.onnx:
        read_config(Path(args.onnx))
    else:
        check_run_dir(Path(args.run_dir))
    limits = Limits(args.max_texts, args.max_chars, args.max_body_bytes, args.max_batch, args.max_wait_ms)
    run_server(args.run_dir, args.onnx, args.host, args.port, limits)


def positive(kind: type) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = kind(value)
        if not 0 < number < math.inf:
            raise argparse.ArgumentTypeError(f"expected a positive finite number, got {value}")
        return number

    return parse


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="emotune", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    p = commands.add_parser("predict", help="score texts with a trained run dir")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run-dir", help="a finished training run dir")
    source.add_argument("--onnx", help="a folder from emotune export --format onnx, scored with onnxruntime")
    p.add_argument("--input", required=True, help="a .txt file (one text per line), a .csv/.tsv/.jsonl file, or -")
    p.add_argument("--output", required=True, help="a .jsonl or .csv file, or - for JSONL on stdout")
    p.add_argument("--text-column", default="text", help="the text column of a CSV, TSV or JSONL input")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threshold", type=float, default=None, help="one threshold for every label instead of the run's")
    p.add_argument("--uncalibrated", action="store_true",
                   help="the model's raw sigmoid outputs instead of the calibrated probabilities (the run's "
                        "thresholds are mapped to them, so the labels stay the same)")
    p.set_defaults(run=predict)
    v = commands.add_parser("serve", help="an HTTP service scoring texts with a run dir or an ONNX export")
    source = v.add_mutually_exclusive_group(required=True)
    source.add_argument("--run-dir", help="a finished training run dir")
    source.add_argument("--onnx", help="a folder from emotune export --format onnx (no torch needed)")
    v.add_argument("--host", default="127.0.0.1", help="the address to listen on (0.0.0.0 for every interface)")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--max-texts", type=positive(int), default=256, help="texts per request")
    v.add_argument("--max-chars", type=positive(int), default=10_000, help="characters per text")
    v.add_argument("--max-body-bytes", type=positive(int), default=2_000_000, help="bytes per request body")
    v.add_argument("--max-batch", type=positive(int), default=64, help="texts scored together across requests")
    v.add_argument("--max-wait-ms", type=positive(float), default=10.0,
                   help="how long a batch waits for more requests before it is scored")
    v.set_defaults(run=serve)
    e = commands.add_parser("export", help="a token-input run as a standard transformers folder, a Sentence "
                                          "Transformers folder, or ONNX")
    e.add_argument("--run-dir", required=True, help="a finished training run dir (model=text)")
    e.add_argument("--format", choices=["hf", "sentence-transformers", "onnx"], default="hf",
                   help="hf: AutoModelForSequenceClassification + tokenizer; sentence-transformers: a mean-pooled "
                        "run (model.net.pooling=mean) for SentenceTransformer(OUT), encode() giving the logits; "
                        "onnx: model.onnx + tokenizer, for onnxruntime (emotune predict --onnx)")
    e.add_argument("--output", required=True, help="a new or empty folder")
    e.add_argument("--adapter", action="store_true",
                   help="keep LoRA as a PEFT adapter (AutoPeftModelForSequenceClassification) instead of merging it")
    e.add_argument("--quantize", choices=["int8"], default=None,
                   help="with --format onnx: int8 weights (onnxruntime dynamic quantization), a smaller, faster file")
    e.set_defaults(run=export)
    r = commands.add_parser("report", help="the report of a sweep dir: an Optuna study's history and importances, "
                                          "a grid's ablation table, one row per run")
    r.add_argument("multirun_dir")
    r.add_argument("--baseline", default=None,
                   help='a grid\'s arm to compare against, as its overrides (default: "sampling=none loss=bce")')
    r.set_defaults(run=report)
    c = commands.add_parser("compare", help="two runs' per-label F1 side by side")
    c.add_argument("run_a")
    c.add_argument("run_b")
    c.add_argument("--split", default="report",
                   help="reads DIR/eval_<split>/metrics.json; report (default): each run's own report split")
    c.set_defaults(run=compare)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    from emotune.utils.errors import user_errors  # loaded once a command runs, so --help stays instant

    with user_errors(f"emotune {args.command}"):
        args.run(args)


if __name__ == "__main__":
    main()
