"""quire.core.cancellation.to_the_end: a connector transaction whose caller is cancelled still runs to its end
before the cancellation goes through (a transaction cut off mid-way kept SQLite's write lock), and what it
did for the caller that left is taken back."""

from __future__ import annotations

import asyncio

import pytest

from quire.core.cancellation import to_the_end


def test_a_cancelled_caller_waits_for_the_work_to_finish_then_is_cancelled() -> None:
    steps: list[str] = []

    async def work() -> str:
        steps.append("began")
        await asyncio.sleep(0.05)
        steps.append("committed")
        return "job 7"

    async def undo(result: str) -> None:
        steps.append(f"undone {result}")

    async def main() -> None:
        caller = asyncio.create_task(to_the_end(work(), undo))
        await asyncio.sleep(0.01)
        caller.cancel()
        await asyncio.sleep(0)
        caller.cancel()  # a second cancel while it waits changes nothing
        with pytest.raises(asyncio.CancelledError):
            await caller
        assert steps == ["began", "committed", "undone job 7"]

    asyncio.run(main())


def test_an_uncancelled_caller_gets_the_result_and_nothing_is_undone() -> None:
    undone: list[int] = []

    async def work() -> int:
        await asyncio.sleep(0)
        return 3

    async def undo(result: int) -> None:
        undone.append(result)

    assert asyncio.run(to_the_end(work(), undo)) == 3
    assert undone == []


def test_work_that_fails_after_the_cancel_is_not_undone_and_the_cancel_goes_through() -> None:
    undone: list[object] = []

    async def work() -> int:
        await asyncio.sleep(0.02)
        raise RuntimeError("database is away")

    async def undo(result: object) -> None:
        undone.append(result)

    async def main() -> None:
        caller = asyncio.create_task(to_the_end(work(), undo))
        await asyncio.sleep(0.005)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        assert undone == []

    asyncio.run(main())
