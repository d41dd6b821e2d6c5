"""The `emotune` command: `emotune predict --run-dir DIR --input FILE --output FILE`."""

from __future__ import annotations

import argparse
import sys

from emotune.prediction_io import read_texts, write_predictions


def predict(args: argparse.Namespace) -> None:
    from emotune.predict import Predictor

    predictor = Predictor(args.run_dir)
    lines, texts = read_texts(args.input, args.text_column)
    probs = predictor.probabilities(texts, args.batch_size)
    thresholds = predictor.threshold_vector(args.threshold)
    write_predictions(args.output, lines, texts, probs, predictor.label_names, thresholds)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="emotune", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    p = commands.add_parser("predict", help="score texts with a trained run dir")
    p.add_argument("--run-dir", required=True, help="a finished training run dir")
    p.add_argument("--input", required=True, help="a .txt file (one text per line), a .csv/.tsv/.jsonl file, or -")
    p.add_argument("--output", required=True, help="a .jsonl or .csv file, or - for JSONL on stdout")
    p.add_argument("--text-column", default="text", help="the text column of a CSV, TSV or JSONL input")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threshold", type=float, default=None, help="one threshold for every label instead of the run's")
    p.set_defaults(run=predict)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (FileNotFoundError, ValueError, UnicodeDecodeError) as err:
        print(f"emotune {args.command}: {err}", file=sys.stderr)
        raise SystemExit(2) from err


if __name__ == "__main__":
    main()
