"""Micro-batching: texts from concurrent requests are scored together, which is what makes a model server faster
than one `emotune predict` per request. A batch closes when it holds `max_batch` texts or when its first request
has waited `max_wait` seconds, so a lone request is never held longer than that."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

POLL = 0.001  # seconds between looks at the queue while a batch fills


@dataclass
class Pending:
    texts: list[str]
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class MicroBatcher:
    """`score(texts)` returns rows that slice (`rows[i:j]`) in the order of `texts`. It runs in one worker thread,
    one batch at a time, while the event loop goes on accepting requests. Made and stopped inside the app's
    lifespan, on its event loop."""

    def __init__(self, score: Callable[[list[str]], Sequence[Any]], max_batch: int = 64,
                 max_wait: float = 0.01) -> None:
        self.score, self.max_batch, self.max_wait = score, max_batch, max_wait
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emotune-score")
        self.task = asyncio.get_running_loop().create_task(self.loop())
        self.task.add_done_callback(self.stopped)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.worker.shutdown(wait=False, cancel_futures=True)

    def stopped(self, task: asyncio.Task) -> None:
        """Should the loop ever end, no request may wait for it forever."""
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("the scoring loop stopped: %s", error)
        while not self.queue.empty():
            pending = self.queue.get_nowait()
            if not pending.done.done():
                pending.done.set_exception(RuntimeError("the server is shutting down"))

    async def submit(self, texts: list[str]) -> Any:
        """The rows of `texts`, in order, however the batch they joined was put together."""
        if self.task.done():
            raise RuntimeError("the server is shutting down")
        pending = Pending(texts)
        await self.queue.put(pending)
        return await pending.done

    async def collect(self) -> list[Pending]:
        """Polls rather than `wait_for(queue.get())`, whose cancellation at the deadline can drop a request."""
        batch = [await self.queue.get()]
        size, deadline = len(batch[0].texts), asyncio.get_running_loop().time() + self.max_wait
        while size < self.max_batch:
            try:
                pending = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                await asyncio.sleep(min(remaining, POLL))
                continue
            batch.append(pending)
            size += len(pending.texts)
        return batch

    async def run(self, batch: list[Pending]) -> None:
        """Scores a batch and hands each request its rows; if the batch fails, each request is scored on its own, so
        one request's text fails only that request."""
        texts = [text for pending in batch for text in pending.texts]
        try:
            rows = await asyncio.get_running_loop().run_in_executor(self.worker, self.score, texts)
            if len(rows) != len(texts):
                raise RuntimeError(f"the scorer gave {len(rows)} rows for {len(texts)} texts")
        except Exception as error:
            if len(batch) > 1:
                for pending in batch:
                    await self.run([pending])
            elif not batch[0].done.done():
                batch[0].done.set_exception(error)
            return
        start = 0
        for pending in batch:
            if not pending.done.done():  # a client that went away cancelled its future
                pending.done.set_result(rows[start:start + len(pending.texts)])
            start += len(pending.texts)

    async def loop(self) -> None:
        while True:
            await self.run(await self.collect())
