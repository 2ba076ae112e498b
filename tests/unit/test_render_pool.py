"""The PDF render processes (quire.documents): typst stays out of the API process, and the render
process's memory stays bounded (docs/pdf-engines.md). No server."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from pypdf import PdfReader

from quire.documents.pool import PoolSettings, RenderPool
from tests.unit.test_pdf import invoice, line


def big_invoice(n_lines: int, variant: int) -> tuple[dict, list[dict], list[dict]]:
    lines = [
        line(f"Item {variant}-{i}", str(1 + (i + variant) % 9), "12.34", "0.2", str(Decimal("12.34") * (1 + (i + variant) % 9)),
             "0", i, description=f"Work package {i} of variant {variant}")
        for i in range(n_lines)
    ]
    return invoice(invoiceNumber=f"INV-{variant:04d}"), lines, []


@pytest.fixture
def make_pool() -> Iterator[type[RenderPool]]:
    made: list[RenderPool] = []

    def factory(**settings: float) -> RenderPool:
        pool = RenderPool(PoolSettings(**settings))  # type: ignore[arg-type]
        made.append(pool)
        return pool

    yield factory  # type: ignore[misc]
    for pool in made:
        pool.shutdown()


def test_the_api_process_never_imports_typst() -> None:
    code = textwrap.dedent("""
        import sys
        import quire.app
        from tests.unit.test_pdf import GBP_LINES, GROUP, invoice
        from quire.invoices.pdf import render_credit_note_pdf, render_invoice_pdf
        assert render_invoice_pdf(invoice(), GBP_LINES, [GROUP]).startswith(b"%PDF-")
        assert render_credit_note_pdf(invoice(creditNoteNumber="CN-1"), GBP_LINES, [GROUP]).startswith(b"%PDF-")
        assert "typst" not in sys.modules, "typst was imported by the API process"
        print("ok")
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_render_process_memory_stays_under_the_bound(make_pool) -> None:  # type: ignore[no-untyped-def]
    pool = make_pool(trim_rss_mb=160, max_rss_mb=250)
    pids = set()
    for variant in range(6):  # without the bound, every distinct 300-line invoice keeps ~25 MB more
        data = pool.render("invoice", *big_invoice(300, variant))
        assert f"INV-{variant:04d}" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
        assert 0 < pool.last_rss_mb < 250, pool.last_rss_mb
        pids.add(pool.ping()["pid"])  # queued behind the release, if the render asked for one
    assert len(pids) == 1 and pool.retired == 0  # the same process throughout: ageing, not recycling
    stats = pool.ping()
    assert stats["releases"] >= 1 and stats["peak_mb"] < 250, stats


def test_a_process_over_the_hard_limit_is_retired(make_pool) -> None:  # type: ignore[no-untyped-def]
    pool = make_pool(max_rss_mb=1)  # no process gets that small, even after releasing its cache
    first = pool.ping()["pid"]
    assert pool.render("invoice", *big_invoice(3, 0)).startswith(b"%PDF-")
    deadline = time.monotonic() + 30
    while pool.ping()["pid"] == first:  # the release runs right behind the render; the next use retires
        assert time.monotonic() < deadline, "the process was never retired"
        time.sleep(0.05)
    assert pool.retired >= 1 and pool.last_release["rss_mb"] > 1


def test_processes_are_recycled_after_max_tasks(make_pool) -> None:  # type: ignore[no-untyped-def]
    pool = make_pool(max_tasks=2)
    first = pool.ping()["pid"]
    pool.render("invoice", *big_invoice(3, 0))  # the second task of that process
    assert pool.ping()["pid"] != first


def test_a_killed_render_process_is_replaced(make_pool) -> None:  # type: ignore[no-untyped-def]
    pool = make_pool()
    os.kill(pool.ping()["pid"], signal.SIGKILL)
    data = pool.render("invoice", *big_invoice(3, 1))
    assert data.startswith(b"%PDF-")
