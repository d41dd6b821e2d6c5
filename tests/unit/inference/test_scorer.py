"""One scoring interface: the torch scorer encodes texts with the run's own encoder and writes nothing, returns rows
in input order whatever order it batches them in, and decides labels with the one rule."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import PROBE_TEXTS
from scipy.special import logit

from emotune.evaluation.calibration import Calibration
from emotune.inference import Scorer, decide, open_scorer
from emotune.inference.scorer import in_input_order, length_order
from emotune.inference.scoring import RunScorer
from emotune.run.loader import load_run

TEXTS = ["a much longer text about being grateful for the help", "ok", "so angry right now", "thanks!"]


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def test_scoring_a_run_writes_no_embedding_cache(finished_run: Path, tmp_path: Path) -> None:
    """The run's config still names the embedding cache that training filled: scoring adds nothing to it."""
    run_dir = Path(shutil.copytree(finished_run, tmp_path / "run"))
    cache = finished_run.parent / "cache"
    before = files_under(cache)
    scorer = open_scorer(run_dir=run_dir)
    assert isinstance(scorer, Scorer)
    probs = scorer.probabilities(TEXTS, batch_size=3)
    assert files_under(cache) == before
    assert probs.shape == (len(TEXTS), len(scorer.label_names))
    reversed_probs = scorer.probabilities(TEXTS[::-1], batch_size=3)
    np.testing.assert_allclose(reversed_probs[::-1], probs, atol=1e-6)


def test_raw_outputs_make_the_same_decisions_with_mapped_thresholds(finished_run: Path) -> None:
    calibrated, raw = open_scorer(run_dir=finished_run), open_scorer(run_dir=finished_run, calibrated=False)
    np.testing.assert_array_equal(calibrated.score(TEXTS).labels, raw.score(TEXTS).labels)
    np.testing.assert_array_equal(raw.score(TEXTS).labels, decide(raw.probabilities(TEXTS), raw.thresholds()))
    assert (calibrated.thresholds(0.3) == 0.3).all()
    override = calibrated.score(TEXTS, override=0.3)
    np.testing.assert_array_equal(override.labels, override.probabilities >= 0.3)


def test_a_steep_calibration_changes_no_decision(finished_run: Path) -> None:
    """Planted: a scale of 20, and a shift that puts the calibrated logit of the median threshold at 40, push the
    upper thresholds and many probabilities to exactly 1.0 in float64, where comparing probabilities turns labels on
    that the tuned thresholds leave off. The scorer decides on logits, so its labels stay those of the raw outputs."""
    run = load_run(finished_run)
    raw = RunScorer(run, calibrated=False).score(PROBE_TEXTS)
    median_logit = float(np.median(logit(run.raw_thresholds())))
    n = len(run.label_names)
    run.calibration = Calibration(np.full(n, 20.0), np.full(n, 40.0 - 20 * median_logit), "platt", "tune")
    steep = RunScorer(run).score(PROBE_TEXTS)
    by_probability = decide(steep.probabilities, run.calibration.calibrated_thresholds(run.raw_thresholds()))
    assert (by_probability != raw.labels).any()  # the planted case bites where probabilities are compared
    np.testing.assert_array_equal(steep.labels, raw.labels)
    np.testing.assert_array_equal(raw.labels, raw.probabilities >= run.raw_thresholds())


def test_length_order_round_trips() -> None:
    order = length_order(TEXTS)
    assert [len(TEXTS[i]) for i in order] == sorted(map(len, TEXTS))
    rows = np.array([[len(TEXTS[i])] for i in order])
    assert in_input_order(rows, order)[:, 0].tolist() == [len(t) for t in TEXTS]


@pytest.mark.parametrize("kwargs, message", [({}, "not both or neither"),
                                             ({"run_dir": "a", "onnx": "b"}, "not both or neither"),
                                             ({"onnx": "b", "calibrated": False}, "--uncalibrated applies")])
def test_open_scorer_refuses_ambiguous_sources(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        open_scorer(**kwargs)


def test_nothing_to_score_is_refused(finished_run: Path) -> None:
    with pytest.raises(ValueError, match="nothing to score"):
        open_scorer(run_dir=finished_run).probabilities([])
