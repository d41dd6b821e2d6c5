"""The HTTP service: FastAPI on uvicorn. `POST /predict` takes `{"texts": [...]}` and answers, per text, the labels
at or above their thresholds (applied here, on the server) and every label's probability; `GET /health` and
`GET /info` (labels, thresholds, calibration, the headline number and what it means).

Bad requests get a 4xx whose `error` is one line naming the field; nothing a client sends stops the server."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from emotune.inference.onnx_scoring import read_config
from emotune.inference.scorer import Scored, Scorer
from emotune.serve.batching import MicroBatcher
from emotune.utils.errors import one_line

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What one request may hold; each is an `emotune serve` option."""

    max_texts: int = 256  # texts per request
    max_chars: int = 10_000  # characters per text
    max_body_bytes: int = 2_000_000  # the request body
    max_batch: int = 64  # texts scored together, across requests
    max_wait_ms: float = 10.0  # how long a batch waits to fill


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_texts(payload: object, limits: Limits) -> list[str]:
    if not isinstance(payload, dict) or "texts" not in payload:
        raise BadRequest(422, 'texts: missing; send {"texts": ["...", ...]}')
    texts = payload["texts"]
    if not isinstance(texts, list):
        raise BadRequest(422, f"texts: expected a list of strings, got {type(texts).__name__}")
    if not texts:
        raise BadRequest(422, "texts: empty; send at least one text")
    if len(texts) > limits.max_texts:
        raise BadRequest(413, f"texts: {len(texts)} texts, over the limit of {limits.max_texts} (--max-texts)")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise BadRequest(422, f"texts[{i}]: expected a string, got {type(text).__name__}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(422, f"texts[{i}]: not valid Unicode (a lone surrogate escape)") from None
        if len(text) > limits.max_chars:
            raise BadRequest(413, f"texts[{i}]: {len(text)} characters, over the limit of {limits.max_chars} "
                                  "(--max-chars)")
    return texts


async def read_body(request: Request, limits: Limits) -> bytes:
    """Refuses an oversized body by its Content-Length, or once the bytes read pass the limit: never reads it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise BadRequest(413, f"body: {declared} bytes, over the limit of {limits.max_body_bytes} (--max-body-bytes)")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise BadRequest(413, f"body: over the limit of {limits.max_body_bytes} bytes (--max-body-bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


def predictions(result: Scored, names: list[str]) -> list[dict]:
    return [{"labels": [name for name, on in zip(names, hits) if on],
             "probabilities": {name: float(p) for name, p in zip(names, row)}}
            for row, hits in zip(result.probabilities, result.labels)]


def describe(run_dir: str | None, onnx: str | None, scorer: Scorer) -> dict:
    """What /info says, read from the run dir's record or from the export's config.json (which carries the same)."""
    if run_dir is not None:
        from emotune.run.record import RunRecord

        record = RunRecord.read(run_dir)
        calibration = {key: (record.calibration or {}).get(key) for key in ("method", "fitted_on")}
        summary = record.headline()
    else:
        config = read_config(Path(onnx))
        calibration = {**(config.get("calibration") or {}), "folded_into_the_head": True}
        summary = config.get("emotune") or {"headline": None, "protocol": None}
    return {"labels": scorer.label_names, "thresholds": dict(zip(scorer.label_names, map(float, scorer.thresholds()))),
            "calibration": calibration, **summary}


def create_app(scorer: Scorer, info: dict, limits: Limits = Limits()) -> FastAPI:
    """The scorer is loaded before the app exists: a bad run dir fails at start, not on the first request."""
    score = functools.partial(scorer.score, batch_size=limits.max_batch)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.batcher = MicroBatcher(score, limits.max_batch, limits.max_wait_ms / 1000)
        yield
        await app.state.batcher.stop()

    app = FastAPI(title="emotune", lifespan=lifespan)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, error: BadRequest) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=error.status)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/info")
    async def describe_model() -> dict:
        return {**info, "limits": asdict(limits)}

    @app.post("/predict")
    async def predict(request: Request) -> JSONResponse:
        body = await read_body(request, limits)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise BadRequest(400, f"body: not valid JSON ({one_line(error)})") from None
        except RecursionError:
            raise BadRequest(400, "body: nested too deeply to parse") from None
        texts = parse_texts(payload, limits)
        try:
            result = await request.app.state.batcher.submit(texts)
        except Exception as error:
            log.exception("scoring failed")
            return JSONResponse({"error": f"scoring failed: {type(error).__name__}: {one_line(error)}"},
                                status_code=500)
        return JSONResponse({"predictions": predictions(result, scorer.label_names)})

    return app


def serve(run_dir: str | None, onnx: str | None, host: str, port: int, limits: Limits) -> None:
    import uvicorn

    from emotune.inference.scorer import open_scorer

    scorer = open_scorer(run_dir, onnx)
    app = create_app(scorer, describe(run_dir, onnx, scorer), limits)
    print(f"emotune serve: {run_dir or onnx} on http://{host}:{port} (POST /predict, GET /health, GET /info)",
          flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
