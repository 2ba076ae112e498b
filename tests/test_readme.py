"""The README's walk-through, pasted as is, against what `make run` sets up.

`make run` is `quire migrate`, `quire demo`, `quire serve --no-migrate` in the clone's folder. This test
does exactly that in a scratch folder (real processes, a real database), then runs the shell block(s) of
the README's "An invoice, end to end" section with bash, unedited, twice: each run must leave a PDF that
names the demo seller and a UBL e-invoice that passes the XML Schema, the EN 16931 Schematron and the
Peppol rules (tests/einvoice_support.py), named by the invoice's own number, with no traceback. The
"Billing schedules" section's block is pasted after it in the same shell: its billing run (the clone's
`.venv/bin/quire`) issues the schedule's three invoices, January to March 2026, each run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from lxml import etree
from pypdf import PdfReader

from quire.cli import DEMO_MERCHANT
from tests.einvoice_support import NS, fatal, validate_ubl
from tests.support import (
    drop_pg_database,
    free_port,
    required_pg_database,
    stop_process,
)

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## An invoice, end to end"
BILLING_SECTION = "## Billing schedules"  # pasted after the walk-through, in the same shell
QUIRE = [sys.executable, "-m", "quire.cli"]


def walk_through(heading: str = SECTION) -> str:
    """The ```sh blocks between the section's heading and the next heading, joined."""
    text = README.read_text()
    assert heading in text, f"README.md has no {heading!r} section"
    section = text.split(heading, 1)[1]
    section = re.split(r"^#{1,6} ", section, maxsplit=1, flags=re.M)[0]
    blocks = re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", section, flags=re.S | re.M)
    assert blocks, "the walk-through has no shell block"
    return "\n".join(blocks)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quire.db'}"
        return
    url = required_pg_database()
    yield url
    drop_pg_database(url)


def _quire(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(QUIRE + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def test_readme_walk_through_runs_as_pasted(database_url: str, tmp_path: Path) -> None:
    script = walk_through() + "\n" + walk_through(BILLING_SECTION)
    clone = tmp_path / "clone"
    clone.mkdir()
    # The clone's `.venv/bin/quire` (the billing section runs it), with the database `make run` exports.
    (clone / ".venv" / "bin").mkdir(parents=True)
    shim = clone / ".venv" / "bin" / "quire"
    shim.write_text(f"#!/bin/sh\nQUIRE_DATABASE_URL='{database_url}' exec '{sys.executable}' -m quire.cli \"$@\"\n")
    shim.chmod(0o755)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # What `make run` exports (Makefile): the database, and the public URL of the hosted pages.
    env = {**os.environ, "QUIRE_DATABASE_URL": database_url, "QUIRE_PUBLIC_URL": base}
    _quire(["migrate"], clone, env)
    demo = _quire(["demo", "--host", "127.0.0.1", "--port", str(port)], clone, env)
    assert "hosted-link" in demo.stdout  # the CLI tells where an invoice's public page is
    server = subprocess.Popen(QUIRE + ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
                              cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "quire serve did not start"
            time.sleep(0.2)

        (tmp_path / "walk.sh").write_text(script)
        shell_env = {key: value for key, value in os.environ.items() if not key.startswith("QUIRE_")}
        numbers = []
        for _ in range(2):  # the second invoice gets the next number: nothing may assume the first
            run = subprocess.run(["bash", str(tmp_path / "walk.sh")], cwd=clone, env=shell_env,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
            output = run.stdout + run.stderr
            # stderr holds only the billing run's progress bar
            noise = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith("billing as of ")]
            assert run.returncode == 0 and "Traceback" not in output and not noise, output
            written = re.search(r"^wrote (\S+)\.pdf and (\S+)\.xml$", run.stdout, flags=re.M)
            assert written and written[1] == written[2], output
            assert re.search(rf"^{re.escape(base)}/i/[A-Za-z0-9_-]{{20,}}$", run.stdout, flags=re.M), output
            numbers.append(written[1])
            # The billing section: the run's counts, then the schedule's three issued invoices.
            counts = re.search(r'^\{"batchId".*\}$', run.stdout, flags=re.M)
            assert counts and json.loads(counts[0])["invoicesCreated"] == 3 and json.loads(counts[0])["errors"] == 0, output
            issued = re.findall(r"^(\S+) FINAL (2026-0[123]-01) to (2026-0[123]-\d\d) 49\.00 GBP$", run.stdout, flags=re.M)
            assert [(start, end) for _, start, end in issued] == [
                ("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31")], output
            assert len({number for number, *_ in issued} | {written[1]}) == 4, output  # each numbered, no gap reuse
    finally:
        stop_process(server)
    assert len(set(numbers)) == 2, numbers

    for number in numbers:
        text = "\n".join(page.extract_text() for page in PdfReader(BytesIO((clone / f"{number}.pdf").read_bytes())).pages)
        assert number in text
        assert DEMO_MERCHANT["legalCompanyName"] in text and DEMO_MERCHANT["address"]["line1"] in text, text
        assert DEMO_MERCHANT["taxId"] in text, text

        xml = (clone / f"{number}.xml").read_bytes()
        root = etree.fromstring(xml)
        assert etree.QName(root).localname == "Invoice"
        assert root.findtext("cbc:ID", namespaces=NS) == number
        seller = root.findtext("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName",
                               namespaces=NS)
        assert seller == DEMO_MERCHANT["legalCompanyName"]
        assert fatal(validate_ubl(xml)) == []
