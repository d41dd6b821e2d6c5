"""The micro-batcher merges concurrent requests into one scoring call, hands each its own rows in order, and keeps a
failure with the request that caused it."""

import asyncio

import pytest

from emotune.serve.batching import MicroBatcher


class Recorder:
    """Scores a text as its length; a text "boom" fails the whole call it is in."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[int]:
        self.calls.append(list(texts))
        if "boom" in texts:
            raise ValueError("boom")
        return [len(text) for text in texts]


async def submit_all(batcher: MicroBatcher, requests: list[list[str]]) -> list:
    return await asyncio.gather(*(batcher.submit(texts) for texts in requests), return_exceptions=True)


def test_concurrent_requests_share_a_call_and_get_their_own_rows() -> None:
    async def main() -> tuple[list, Recorder]:
        score = Recorder()
        batcher = MicroBatcher(score, max_batch=64, max_wait=0.05)
        results = await submit_all(batcher, [["a"], ["bb", "ccc"], ["dddd"]])
        await batcher.stop()
        return results, score

    results, score = asyncio.run(main())
    assert results == [[1], [2, 3], [4]]
    assert score.calls == [["a", "bb", "ccc", "dddd"]]


def test_a_full_batch_closes_without_waiting() -> None:
    async def main() -> Recorder:
        score = Recorder()
        batcher = MicroBatcher(score, max_batch=2, max_wait=10)
        assert await asyncio.wait_for(submit_all(batcher, [["a"], ["b"], ["c", "d"]]), 5) == [[1], [1], [1, 1]]
        await batcher.stop()
        return score

    assert [len(call) for call in asyncio.run(main()).calls] == [2, 2]


def test_a_failing_text_fails_only_its_own_request() -> None:
    async def main() -> list:
        batcher = MicroBatcher(Recorder(), max_batch=64, max_wait=0.05)
        results = await submit_all(batcher, [["a"], ["boom"], ["ccc"]])
        later = await batcher.submit(["ok"])  # the loop goes on
        await batcher.stop()
        return [*results, later]

    first, failed, third, later = asyncio.run(main())
    assert first == [1] and third == [3] and later == [2]
    with pytest.raises(ValueError, match="boom"):
        raise failed
