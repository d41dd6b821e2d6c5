"""Reading texts to score and writing their predictions, in the formats `emotune predict` accepts."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np

from emotune.data.table import read_table
from emotune.utils.atomic import write_text


def decode(raw: bytes, origin: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{origin}: not UTF-8 (byte {err.start}); re-encode it as UTF-8") from err


def read_texts(path: str, text_column: str = "text") -> tuple[list[int], list[str]]:
    """Returns the line numbers and texts; blank lines of a plain-text input are skipped."""
    if path == "-":
        content, origin = decode(sys.stdin.buffer.read(), "<stdin>"), "<stdin>"
    else:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"{file}: input file not found")
        if file.suffix.lower() in (".csv", ".tsv", ".jsonl"):
            frame, first = read_table(file, text_column, text_column)  # names the file on a decode error
            texts = [str(t) for t in frame[text_column]]
            return list(range(first, first + len(texts))), texts
        content, origin = decode(file.read_bytes(), str(file)), str(file)
    pairs = [(i, line) for i, line in enumerate(content.splitlines(), start=1) if line.strip()]
    if not pairs:
        raise ValueError(f"{origin}: no texts to score (the input is empty)")
    return [i for i, _ in pairs], [t for _, t in pairs]


def write_predictions(path: str, lines: list[int], texts: list[str], probs: np.ndarray, names: list[str],
                      predicted: np.ndarray) -> None:
    rows = [{"line": line, "text": text, "labels": [n for n, on in zip(names, hits) if on],
             "probabilities": {n: round(float(p), 6) for n, p in zip(names, row)}}
            for line, text, row, hits in zip(lines, texts, probs, predicted)]
    if path.endswith(".csv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["line", "text", "labels", *names])
        writer.writerows([r["line"], r["text"], "|".join(r["labels"]), *r["probabilities"].values()] for r in rows)
        content = buffer.getvalue()
    else:
        content = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if path == "-":
        sys.stdout.write(content)
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text(Path(path), content)
