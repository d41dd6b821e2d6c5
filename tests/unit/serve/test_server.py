"""`emotune serve` as users run it: a real server on 127.0.0.1 in a subprocess, talked to with a real HTTP client."""

import json
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from helpers import PROBE_TEXTS, predicted_rows, running_server

JSON = {"content-type": "application/json"}
LIMITS = ["--max-texts", "8", "--max-chars", "200", "--max-body-bytes", "4000"]


@pytest.fixture(scope="module")
def served(finished_run: Path):
    with running_server("--run-dir", str(finished_run), *LIMITS) as url:
        yield url, finished_run


@pytest.fixture(scope="module")
def expected(finished_run: Path) -> dict[str, dict]:
    """What `emotune predict` writes for each probe text."""
    return {row["text"]: row for row in predicted_rows("--run-dir", str(finished_run))}


def check_rows(texts: list[str], response: httpx.Response, expected: dict[str, dict]) -> None:
    assert response.status_code == 200, response.text
    rows = response.json()["predictions"]
    assert len(rows) == len(texts)
    for text, row in zip(texts, rows):
        want = expected[text]
        assert row["labels"] == want["labels"], text
        assert max(abs(row["probabilities"][n] - p) for n, p in want["probabilities"].items()) <= 1e-5


def test_predictions_equal_emotune_predict(served, expected):
    url, _ = served
    texts = PROBE_TEXTS[:8]
    check_rows(texts, httpx.post(f"{url}/predict", json={"texts": texts}, timeout=60, trust_env=False), expected)


def test_health_and_info(served):
    url, run_dir = served
    assert httpx.get(f"{url}/health", trust_env=False).json() == {"status": "ok"}
    info = httpx.get(f"{url}/info", trust_env=False).json()
    thresholds = json.loads((run_dir / "thresholds.json").read_text())["per_label"]
    assert info["labels"] == list(thresholds) and info["thresholds"] == pytest.approx(thresholds)
    assert info["calibration"]["method"] == json.loads((run_dir / "calibration.json").read_text())["method"]
    assert info["headline"].startswith("macro-F1 ") and "chose nothing" in info["protocol"]
    assert info["limits"]["max_texts"] == 8


@pytest.mark.parametrize(("body", "status", "message"), [
    (b'{"texts": ["a", ', 400, "body: not valid JSON"),
    (b'["a"]', 422, "texts: missing"),
    (b'{"text": ["a"]}', 422, "texts: missing"),
    (b'{"texts": "a"}', 422, "texts: expected a list of strings, got str"),
    (b'{"texts": []}', 422, "texts: empty"),
    (b'{"texts": ["a", 3]}', 422, "texts[1]: expected a string, got int"),
    (json.dumps({"texts": ["a"] * 9}).encode(), 413, "texts: 9 texts, over the limit of 8 (--max-texts)"),
    (json.dumps({"texts": ["ok", "x" * 201]}).encode(), 413, "texts[1]: 201 characters, over the limit of 200"),
    (json.dumps({"texts": ["y" * 150] * 30}).encode(), 413, "body: "),
    (b"\xff\xfe", 400, "body: not valid JSON"),
    (b'{"texts": ["ok", "\\ud800"]}', 422, "texts[1]: not valid Unicode"),
    (b'{"texts": ' + b"[" * 3000, 400, "body: nested too deeply"),
])
def test_every_bad_request_gets_one_line_naming_the_field(served, body, status, message):
    url, _ = served
    response = httpx.post(f"{url}/predict", content=body, headers=JSON, trust_env=False)
    assert response.status_code == status
    error = response.json()["error"]
    assert error.startswith(message) and "\n" not in error
    assert httpx.get(f"{url}/health", trust_env=False).status_code == 200


def test_a_chunked_body_over_the_limit_is_refused(served):
    url, _ = served
    chunks = (b'{"texts": ["' + b"z" * 1000 + b'", ' for _ in range(5))  # no Content-Length: read until the limit
    response = httpx.post(f"{url}/predict", content=chunks, headers=JSON, trust_env=False)
    assert response.status_code == 413 and response.json()["error"].startswith("body: over the limit")


def test_32_concurrent_clients_each_get_their_own_rows(served, expected):
    url, _ = served

    def client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(timeout=120, trust_env=False) as http:
            for _ in range(3):
                texts = rng.sample(PROBE_TEXTS, rng.randint(1, 8))
                check_rows(texts, http.post(f"{url}/predict", json={"texts": texts}), expected)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(client, range(32)))  # re-raises the first failed assertion


def test_a_bad_run_dir_fails_at_start_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "emotune.cli", "serve", "--run-dir", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "no such run dir" in done.stderr
