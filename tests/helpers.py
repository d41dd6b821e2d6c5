"""What the tests share besides fixtures: the real Hydra config shrunk, generated data, tiny models on disk, and
the CLI as a subprocess. Test modules import these by name (`from helpers import ...`)."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

import emotune  # noqa: F401  (registers config resolvers)

ROOT = Path(__file__).resolve().parents[1]


GOEMOTIONS_LABELS = (
    "admiration amusement anger annoyance approval caring confusion curiosity desire disappointment disapproval "
    "disgust embarrassment excitement fear gratitude grief joy love nervousness optimism pride realization relief "
    "remorse sadness surprise neutral"
).split()


EKMAN = {
    "anger": ["anger", "annoyance", "disapproval"],
    "disgust": ["disgust"],
    "fear": ["fear", "nervousness"],
    "joy": ["joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
            "admiration", "desire", "caring"],
    "sadness": ["sadness", "disappointment", "embarrassment", "grief", "remorse"],
    "surprise": ["surprise", "realization", "confusion", "curiosity"],
}


SENTIMENT = {
    "positive": ["amusement", "excitement", "joy", "love", "desire", "optimism", "caring", "pride", "admiration",
                 "gratitude", "relief", "approval"],
    "negative": ["fear", "nervousness", "remorse", "embarrassment", "disappointment", "sadness", "grief", "disgust",
                 "anger", "annoyance", "disapproval"],
    "ambiguous": ["realization", "surprise", "curiosity", "confusion"],
}


# Three learnable classes: a text carries a label exactly when it contains that label's keyword.
KEYWORDS = {"joy": "sunshine", "anger": "furious", "sadness": "tears"}


FILLER = "the a of and to it is was this that with for on at by from".split()


def compose_train(tmp_path: Path, overrides: list[str]) -> DictConfig:
    """The real train config, with outputs and caches inside the test's temp dir."""
    base = [f"paths.output_dir={tmp_path / 'run'}", f"paths.cache_dir={tmp_path / 'cache'}",
            "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("train", overrides=base + overrides)


def epoch_losses(run_dir: Path) -> list[float]:
    """The mean training loss of each epoch, from the run's CSV log."""
    import pandas as pd

    return pd.read_csv(run_dir / "csv" / "metrics.csv")["train/loss_epoch"].dropna().tolist()


def keyword_rows(n: int, seed: int = 0) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        labels = [name for name in KEYWORDS if rng.random() < 0.35]
        words = [rng.choice(FILLER) for _ in range(6)] + [KEYWORDS[name] for name in labels]
        rng.shuffle(words)
        rows.append((" ".join(words), labels))
    return rows


def write_goemotions(folder: Path, splits: dict[str, list[tuple[str, list[int]]]]) -> Path:
    """A GoEmotions-format folder: label files with the official content, and the given TSV rows."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "emotions.txt").write_text("\n".join(GOEMOTIONS_LABELS))
    (folder / "ekman_mapping.json").write_text(json.dumps(EKMAN))
    (folder / "sentiment_dict.json").write_text(json.dumps(SENTIMENT))
    for name, rows in splits.items():
        lines = [f"{text}\t{','.join(map(str, ids))}\tid{i}" for i, (text, ids) in enumerate(rows)]
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def goemotions_rows(n: int, seed: int = 0) -> list[tuple[str, list[int]]]:
    """The keyword task, plus four rows of every emotion, so that no label is without positives even after a
    tenth of train is carved off to select on."""
    ids = {name: GOEMOTIONS_LABELS.index(name) for name in KEYWORDS}
    neutral = GOEMOTIONS_LABELS.index("neutral")
    rows = [(text, [ids[x] for x in labels] or [neutral]) for text, labels in keyword_rows(n, seed)]
    return rows + [(f"a note about {name} number {k}", [i]) for i, name in enumerate(GOEMOTIONS_LABELS)
                   for k in (1, 2, 3, 4)]


VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "</s>", "note", "about", "number", *FILLER, *KEYWORDS.values(),
         *GOEMOTIONS_LABELS]


def tiny_tokenizer(with_pad: bool):
    """A word-level tokenizer over the test vocabulary; decoder-style ones have no pad token, like Mistral's."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    special = {"pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]"} if with_pad else {}
    return PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]", eos_token="</s>", **special)


def tiny_configs() -> dict:
    from transformers import BertConfig, LlamaConfig, Mistral3Config, MistralConfig, PixtralVisionConfig, Qwen2Config

    decoder = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
               "num_key_value_heads": 2, "vocab_size": 128, "max_position_embeddings": 64}
    vision = PixtralVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                                 image_size=32, patch_size=8)
    return {
        "mistral": MistralConfig(**decoder),
        "llama": LlamaConfig(**decoder),
        "qwen2": Qwen2Config(**decoder),
        "bert": BertConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                           vocab_size=128, max_position_embeddings=64),
        "mistral3": Mistral3Config(text_config=MistralConfig(**decoder).to_dict(), vision_config=vision.to_dict(),
                                   image_token_index=120),
    }


def save_tiny(family: str, folder: Path) -> Path:
    """A random tiny model of `family`, saved with its tokenizer like a hub checkpoint."""
    import torch
    from transformers import AutoModel, Mistral3ForConditionalGeneration

    torch.manual_seed(0)
    config = tiny_configs()[family]
    model = Mistral3ForConditionalGeneration(config) if family == "mistral3" else AutoModel.from_config(config)
    model.save_pretrained(folder)
    tiny_tokenizer(with_pad=family == "bert").save_pretrained(folder)
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """The sha256 of every file under `folder`: equal snapshots show a failed command left it as it was."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


FAST_RUN = ["experiment=quickstart", "trainer.max_epochs=2", "encoder.dim=16", "encoder.min_df=1"]


def goemotions_overrides(folder: Path) -> list[str]:
    """Generated GoEmotions-format data: the official checksums cannot match it."""
    return [f"data.data_dir={folder}", "data.verify_checksums=false"]


PROBE_TEXTS = [text for text, _ in keyword_rows(12, seed=5)]


# Tiny token-input runs: the family of their backbone, and their overrides.
TEXT_RUNS = {"bert": ("bert", ["quant=none", "lora=none"]),
             "mistral": ("mistral", ["quant=none", "lora.r=4", "lora.alpha=8", "lora.target_modules=null"]),
             "bert-mean": ("bert", ["quant=none", "lora=none", "model.net.pooling=mean"])}


def emotune_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emotune.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=300)


def exported_with_cli(run_dir: Path, out: Path, fmt: str) -> Path:
    """`emotune export --format FMT` through the CLI's own code, in this process; it prints the folder it wrote."""
    from emotune.cli import main

    with contextlib.redirect_stdout(io.StringIO()) as printed:
        main(["export", "--run-dir", str(run_dir), "--format", fmt, "--output", str(out)])
    assert printed.getvalue().strip() == str(out)
    return out


def predicted_rows(*source: str) -> list[dict]:
    """What `emotune predict SOURCE` (--run-dir DIR or --onnx DIR) writes for PROBE_TEXTS in a fresh process."""
    done = emotune_cli("predict", *source, "--input", "-", "--output", "-", stdin="\n".join(PROBE_TEXTS))
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def predicted(*source: str) -> list[dict[str, float]]:
    """Each PROBE_TEXTS row's probabilities from `emotune predict SOURCE`."""
    return [row["probabilities"] for row in predicted_rows(*source)]


def assert_close(got: list[dict[str, float]], want: list[dict[str, float]], atol: float = 1e-5) -> None:
    assert len(got) == len(want) == len(PROBE_TEXTS)
    for g, w in zip(got, want):
        assert g.keys() == w.keys()
        assert max(abs(g[k] - w[k]) for k in w) <= atol, (g, w)


@dataclass
class TextRun:
    name: str
    path: Path

    @functools.cached_property
    def expected(self) -> list[dict[str, float]]:
        """`emotune predict --run-dir` on PROBE_TEXTS, run once whichever test asks first."""
        return predicted("--run-dir", str(self.path))


# Real models and data for the `real_lm` tier: `../shared` beside the checkout (never a dependency of the project).
SHARED = ROOT.parent / "shared"


def shared_model(tool: str) -> Path:
    """The folder a `../shared/tools/<tool>` script prints; the test skips, saying why, where it is absent."""
    script = SHARED / "tools" / tool
    if not script.is_file():
        pytest.skip(f"real_lm: {script} is absent (the real models come from a ../shared folder beside the checkout)")
    done = subprocess.run([str(script)], env={**os.environ, "PYTHON": sys.executable}, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return Path(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def running_server(*args: str, timeout: float = 120) -> Iterator[str]:
    """`emotune serve ARGS` in a subprocess on a free local port; yields its base URL once /health answers, and
    stops it afterwards."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tempfile.TemporaryFile(mode="w+")  # a pipe nobody reads could fill and stall the server
    process = subprocess.Popen([sys.executable, "-m", "emotune.cli", "serve", *args, "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"

    def output() -> str:
        log.seek(0)
        return log.read()[-3000:]

    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"emotune serve exited with {process.returncode}: {output()}")
            try:
                if httpx.get(f"{url}/health", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"emotune serve did not answer /health within {timeout} s")
            time.sleep(0.2)
        yield url
        assert process.poll() is None, f"the server stopped while serving: {output()}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
