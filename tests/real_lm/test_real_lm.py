"""SmolLM2-135M-Instruct, a real pretrained decoder, through the users' paths: both inputs (`experiment=small_lm`,
the one-token projection, and `experiment=small_lm_text`, the tokens), in nf4 and unquantized, on real GoEmotions
rows. Each run must overfit a few rows, reload from its run dir to the same probabilities, and load with
transformers' and PEFT's own classes to the same probabilities again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import compose_train, epoch_losses, goemotions_overrides
from hydra.utils import instantiate
from peft import AutoPeftModelForSequenceClassification, PeftModel
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from emotune.export.hf import export_hf
from emotune.inference.scoring import RunScorer
from emotune.recipes.train import train
from emotune.run.files import ADAPTER, CALIBRATION, HEAD, PROBABILITIES, eval_dir
from emotune.run.loader import load_run

pytestmark = pytest.mark.real_lm

SMALL = ["datamodule.batch_size=16", "scheduler.warmup_ratio=0", "report.plots=false", "trainer.max_epochs=6"]
INPUTS = {
    "embedding": ["experiment=small_lm", "sampling=none", "optimizer.lr=3e-3"],  # + the MiniLM encoder
    "text": ["experiment=small_lm_text", "datamodule.max_length=24", "optimizer.lr=2e-3"],
}
CASES = [pytest.param("embedding", "none", id="embedding-none"),
         pytest.param("embedding", "nf4", id="embedding-nf4"),
         pytest.param("text", "none", id="text-none", marks=pytest.mark.slow),
         pytest.param("text", "nf4", id="text-nf4", marks=pytest.mark.slow)]


def val_texts(data: Path) -> list[str]:
    return [line.split("\t")[0] for line in (data / "dev.tsv").read_text().splitlines()]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory, smollm2, minilm, real_goemotions):
    """One trained run per (input, quant), shared by the tests of this module."""
    made: dict[tuple[str, str], Path] = {}

    def get(model: str, quant: str) -> Path:
        if (model, quant) not in made:
            tmp_path = tmp_path_factory.mktemp(f"real-{model}-{quant}")
            encoder = [f"encoder.name_or_path={minilm}"] if model == "embedding" else []
            cfg = compose_train(tmp_path, [*INPUTS[model], f"quant={quant}", f"backbone.name_or_path={smollm2}",
                                           *encoder, *goemotions_overrides(real_goemotions), *SMALL])
            train(cfg)
            made[model, quant] = Path(cfg.paths.output_dir)
        return made[model, quant]

    return get


@pytest.mark.parametrize(("model", "quant"), CASES)
def test_real_rows_overfit_and_the_run_reloads_to_equal_probabilities(real_run, real_goemotions, model, quant):
    run_dir = real_run(model, quant)
    losses = epoch_losses(run_dir)
    assert len(losses) == 6 and losses[-1] < 0.7 * losses[0], losses
    reloaded = RunScorer(load_run(run_dir, accelerator="cpu")).probabilities(val_texts(real_goemotions))
    in_training = np.load(eval_dir(run_dir, "val") / PROBABILITIES)  # scored by the trained model in memory
    np.testing.assert_allclose(reloaded, in_training, atol=1e-5)


@pytest.mark.parametrize(("model", "quant"), CASES)
def test_the_export_loads_with_transformers_classes_to_equal_probabilities(real_run, real_goemotions, smollm2,
                                                                           minilm, tmp_path, model, quant):
    """Unquantized runs are checked merged (a standalone model), nf4 runs as an adapter on the nf4 base."""
    run_dir, texts = real_run(model, quant), val_texts(real_goemotions)[:8]
    run = load_run(run_dir, accelerator="cpu")
    want = RunScorer(run).probabilities(texts)
    quantization = instantiate(run.cfg.quant) if quant == "nf4" else None
    with torch.no_grad():
        if model == "text":
            out = export_hf(run, tmp_path / "export", merge=quant == "none")
            loader = AutoModelForSequenceClassification if quant == "none" else AutoPeftModelForSequenceClassification
            config = AutoConfig.from_pretrained(str(out))  # the adapter's base config knows nothing of the labels
            loaded = loader.from_pretrained(str(out), quantization_config=quantization, id2label=config.id2label,
                                            label2id=config.label2id, problem_type=config.problem_type,
                                            pad_token_id=config.pad_token_id).eval()
            tokenizer = AutoTokenizer.from_pretrained(str(out))
            inputs = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
            got = torch.sigmoid(loaded(**inputs).logits.float()).numpy()
        else:
            got = score_embedding_run_dir(run_dir, smollm2, minilm, texts, quantization, merge=quant == "none")
    np.testing.assert_allclose(got, want, atol=2e-4)


def score_embedding_run_dir(run_dir: Path, backbone: Path, encoder: Path, texts: list[str], quantization,
                            merge: bool) -> np.ndarray:
    """An embedding-input run dir read without emotune: sentence-transformers embeds, the projection, norm and head
    are plain tensors in head.safetensors, adapter/ is a PEFT adapter of the bare decoder, calibration.json is JSON."""
    from sentence_transformers import SentenceTransformer

    embeddings = SentenceTransformer(str(encoder), device="cpu").encode(texts, normalize_embeddings=True,
                                                                        convert_to_tensor=True)
    decoder = AutoModel.from_pretrained(str(backbone), dtype=torch.float32, quantization_config=quantization)
    decoder = PeftModel.from_pretrained(decoder, str(run_dir / ADAPTER)).eval()
    if merge:
        decoder = decoder.merge_and_unload()
    w = load_file(str(run_dir / HEAD))
    hidden = torch.nn.functional.linear(embeddings, w["net.projection.0.weight"], w["net.projection.0.bias"])
    hidden = torch.nn.functional.linear(torch.nn.functional.gelu(hidden), w["net.projection.2.weight"],
                                        w["net.projection.2.bias"])
    state = decoder(inputs_embeds=hidden[:, None], use_cache=False).last_hidden_state[:, -1]
    state = torch.nn.functional.batch_norm(state, w["net.norm.running_mean"], w["net.norm.running_var"],
                                           w["net.norm.weight"], w["net.norm.bias"])
    logits = torch.nn.functional.linear(state, w["net.head.weight"], w["net.head.bias"])
    calibration = json.loads((run_dir / CALIBRATION).read_text())["per_label"]
    scale = torch.tensor([c["scale"] for c in calibration.values()])
    shift = torch.tensor([c["shift"] for c in calibration.values()])
    return torch.sigmoid(logits * scale + shift).numpy()
