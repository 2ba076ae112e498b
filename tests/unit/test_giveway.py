"""The in-process worker gives way to requests (quire.jobs.giveway, docs/webhooks.md#throughput): it waits while
requests are in flight, and never starves. Deterministic: the assertions are about order and lower bounds
of waits the gate itself computes, never about how fast this machine is."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from quire.jobs.giveway import RequestGate, RequestsInFlight


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_an_idle_process_gives_a_job_its_turn_at_once() -> None:
    async def main() -> None:
        gate = RequestGate(max_wait=3600)  # a wait would hang the test: there is none
        assert await asyncio.wait_for(gate.turn(), timeout=5) is True
        assert (gate.turns, gate.forced) == (1, 0)

    run(main())


def test_a_job_waits_while_a_request_is_in_flight_and_goes_when_it_ends() -> None:
    async def main() -> None:
        gate = RequestGate(max_wait=3600, idle_gap=0.01)
        gate.enter()
        waiting = asyncio.create_task(gate.turn())
        for _ in range(50):
            await asyncio.sleep(0)
        assert not waiting.done()  # the request goes first
        gate.enter()
        gate.leave()  # one of two requests answered: still one in flight
        for _ in range(50):
            await asyncio.sleep(0)
        assert not waiting.done()
        left = asyncio.get_running_loop().time()  # before leave(): a lower bound of the gate's own clock
        gate.leave()
        assert await asyncio.wait_for(waiting, timeout=5) is True
        assert asyncio.get_running_loop().time() - left >= 0.01  # a quiet moment, not the gap before the next request
        assert gate.forced == 0

    run(main())


def test_under_endless_requests_jobs_still_go_one_forced_turn_per_max_wait() -> None:
    async def main() -> None:
        max_wait = 0.02
        gate = RequestGate(max_wait=max_wait)
        gate.enter()  # a request that never ends: without the bound, no job would ever run
        loop = asyncio.get_running_loop()
        started = loop.time()
        went: list[float] = []

        async def job() -> None:
            assert await gate.turn() is False
            went.append(gate._last_forced)  # the gate's own time of this forced turn

        await asyncio.wait_for(asyncio.gather(*(job() for _ in range(4))), timeout=30)
        assert gate.forced == gate.turns == 4
        assert went[0] - started >= max_wait  # each waited its max_wait first …
        gaps = [later - earlier for earlier, later in zip(went, went[1:], strict=False)]
        assert all(gap >= max_wait - 1e-9 for gap in gaps), gaps  # (float rounding only)  # … and the forced turns are spaced out

    run(main())


def test_the_middleware_counts_requests_in_flight_even_when_they_fail() -> None:
    gate = RequestGate()
    seen: list[int] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(gate.active)
        if scope["path"] == "/boom":
            raise RuntimeError("boom")

    app = RequestsInFlight(inner, gate)

    async def main() -> None:
        await app({"type": "http", "path": "/ok"}, None, None)
        with pytest.raises(RuntimeError):
            await app({"type": "http", "path": "/boom"}, None, None)
        await app({"type": "lifespan", "path": ""}, None, None)  # not a request

    run(main())
    assert seen == [1, 1, 0] and gate.active == 0
