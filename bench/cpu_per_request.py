"""CPU per request inside the application, without an HTTP server or a load generator in the way.

    .venv/bin/python bench/cpu_per_request.py create 2000        # POST /invoices
    .venv/bin/python bench/cpu_per_request.py event 3000         # POST /usage-events
    .venv/bin/python bench/cpu_per_request.py list 500           # GET /invoices?limit=50 (60 invoices with a line)
    .venv/bin/python bench/cpu_per_request.py flow 300           # create + 3 lines + finalize (PDF in its render process)
    .venv/bin/python bench/cpu_per_request.py finalize 300       # finalize alone, of drafts with 3 lines made beforehand
    .venv/bin/python bench/cpu_per_request.py health 3000
    PYSPY=/tmp/x.raw .venv/bin/python bench/cpu_per_request.py event 3000   # + a py-spy profile (raw format)
    .venv/bin/python bench/cpu_per_request.py create 500 --json  # one JSON object (bench/run.py's "cpu" row)

A fresh PostgreSQL database next to QUIRE_TEST_DATABASE_URL (dropped afterwards), one account, one
customer; requests go through httpx's ASGI transport one after another, in ten batches. It prints the
CPU time of this process per request (``time.process_time``: the app, its event loop and the httpx
client; the render process of ``flow`` is not counted) for the *least* loaded batch, which is the
figure that stays put when other work shares the machine (the mean is printed too). Used for the
before/after figures of docs/performance.md ("Second round").
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from quire.accounts.service import create_account  # noqa: E402
from quire.app import create_app  # noqa: E402
from quire.config import Settings  # noqa: E402
from quire.core.db import make_engine, make_sessionmaker  # noqa: E402
from quire.core.migrate import upgrade  # noqa: E402
from tests.support import create_pg_database, drop_pg_database  # noqa: E402

CUSTOMER = {"legalName": "Acme", "contact": {"name": "a"}, "email": "a@example.com", "billingEmails": [],
            "address": {"line1": "1 St", "town": "London", "postcode": "E1", "country": "GB"}, "customerAliases": []}
LINE = {"title": "Line", "quantity": "2", "rate": "10.50", "taxRate": "0.2", "externalIds": []}


async def measure(what: str, n: int) -> dict[str, float | int | str]:
    """CPU time of this process per ``what`` request: the least loaded of ten batches and the mean, in ms."""
    url = await asyncio.to_thread(create_pg_database)
    try:
        settings = Settings(database_url=url)
        await asyncio.to_thread(upgrade, settings)
        engine = make_engine(settings)
        async with make_sessionmaker(engine)() as session:
            cred = await create_account(session, name="bench")
            await session.commit()
        await engine.dispose()
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://quire",
                                         auth=(cred.client_id, cred.client_secret)) as c:
                customer = (await c.post("/customers", json=CUSTOMER)).json()["customer"]["id"]

                drafts: list[str] = []
                if what == "finalize":  # made before anything is timed
                    for _ in range(50 + max(1, n // 10) * 10):
                        inv = (await c.post("/invoices", json={"customerId": customer, "currency": "GBP"})).json()
                        for _ in range(3):
                            await c.post(f"/invoices/{inv['id']}/line-items", json=LINE)
                        drafts.append(inv["id"])

                async def one() -> None:
                    if what == "finalize":
                        r = await c.post(f"/invoices/{drafts.pop()}/finalize")
                    elif what == "create":
                        r = await c.post("/invoices", json={"customerId": customer, "currency": "GBP"})
                    elif what == "event":
                        r = await c.post("/usage-events", json={"customerAlias": customer, "eventType": "api_call",
                                                                "eventProperties": {"n": 1}})
                    elif what == "list":
                        r = await c.get("/invoices", params={"limit": 50})
                    elif what == "flow":
                        inv = (await c.post("/invoices", json={"customerId": customer, "currency": "GBP"})).json()
                        for _ in range(3):
                            await c.post(f"/invoices/{inv['id']}/line-items", json=LINE)
                        r = await c.post(f"/invoices/{inv['id']}/finalize")
                    else:
                        r = await c.get("/health")
                    assert r.status_code < 300, r.text

                if what == "list":
                    for _ in range(60):
                        inv = (await c.post("/invoices", json={"customerId": customer, "currency": "GBP"})).json()
                        await c.post(f"/invoices/{inv['id']}/line-items", json=LINE)
                for _ in range(50):
                    await one()  # warm-up
                spy = None
                if os.environ.get("PYSPY"):
                    spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-r", "500", "-f", "raw", "-o", os.environ["PYSPY"],
                                            "-p", str(os.getpid())])
                    await asyncio.sleep(1.5)
                per_batch, batches, total = max(1, n // 10), [], time.process_time()
                for _ in range(10):
                    start = time.process_time()
                    for _ in range(per_batch):
                        await one()
                    batches.append((time.process_time() - start) / per_batch)
                total = (time.process_time() - total) / (per_batch * 10)
                if spy is not None:
                    spy.send_signal(2)
                    spy.wait()
                return {"what": what, "requests": per_batch * 10, "least_ms": min(batches) * 1000,
                        "mean_ms": total * 1000}
    finally:
        await asyncio.to_thread(drop_pg_database, url)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--json"]
    result = asyncio.run(measure(args[0] if args else "create", int(args[1]) if len(args) > 1 else 1000))
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        print(f"{result['what']}: {result['requests']} requests, CPU per request: least loaded batch "
              f"{result['least_ms']:.3f} ms, mean {result['mean_ms']:.3f} ms")


if __name__ == "__main__":
    main()
