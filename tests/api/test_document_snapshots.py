"""A finalized document is a pure function of what was frozen when it was numbered (issue 16).

``lazy_server`` is a live Quire whose in-process worker is off (``QUIRE_JOBS_IN_APP=false``), so the
test decides when the render job runs (``run_jobs``): before it, the invoice is finalized and nothing is
stored. No mocks: a render that must fail is given a template version no render process ships.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from quire.creditnotes.models import CreditNoteDocument
from quire.invoices.delivery.models import InvoiceDocument
from quire.invoices.models import Invoice
from quire.jobs import run_pending_inline
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.api.test_delivery import text_of
from tests.conftest import BACKENDS
from tests.support import (
    ApiClient,
    LiveServer,
    drop_pg_database,
    files_served,
    in_database,
    required_pg_database,
    start_server,
)


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(out, format="PNG")
    return out.getvalue()


LOGOS = {"/old.png": _png((10, 123, 131)), "/new.png": _png((200, 30, 30))}


@pytest.fixture(scope="module")
def logo_host() -> Iterator[str]:
    with files_served(LOGOS) as base:
        yield base


@pytest.fixture(scope="module", params=BACKENDS)
def lazy_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live Quire that runs no jobs by itself."""
    if request.param == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('sqlite-lazy')) / 'quire.db'}"
    else:
        url = required_pg_database()
    previous = os.environ.get("QUIRE_JOBS_IN_APP")
    os.environ["QUIRE_JOBS_IN_APP"] = "false"  # read once, when the app starts
    try:
        live = start_server(f"{request.param}-lazy", url)
    finally:
        if previous is None:
            os.environ.pop("QUIRE_JOBS_IN_APP", None)
        else:
            os.environ["QUIRE_JOBS_IN_APP"] = previous
    yield live
    live.stop()
    if request.param == "postgresql":
        drop_pg_database(url)


def run_jobs(live: LiveServer) -> None:
    """What a worker does when it comes up: every due job, then return."""
    asyncio.run(run_pending_inline(live.settings))


def stored(live: LiveServer, invoice_id: str) -> list[InvoiceDocument]:
    async def work(session: Any) -> list[InvoiceDocument]:
        return list(await session.scalars(select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice_id)))

    return in_database(live, work)


MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Acme Widgets Ltd",
    "address": {"line1": "1 High Street", "town": "London", "postcode": "SW1A 1AA", "country": "GB"},
    "email": "billing@acme.example",
    "taxId": "GB980780684",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
}
CHANGED: dict[str, Any] = {
    "legalCompanyName": "Renamed Holdings plc",
    "address": {"line1": "99 New Road", "town": "Leeds", "postcode": "LS1 1AA", "country": "GB"},
    "email": "accounts@renamed.example",
    "iban": "GB94BARC10201530093459",
    "ukAccountDetails": {"sortCode": "102015", "accountNumber": "30093459"},
}


def finalized(live: LiveServer, merchant: dict[str, Any]) -> tuple[ApiClient, dict[str, Any]]:
    """A fresh account's first invoice (INV00001): the same customer and lines every time."""
    client = ApiClient(live.base_url, live.new_account(merchant_settings=merchant))
    customer = new_customer(client, legalName="Globex Corporation", email="ap@globex.example", billingEmails=["ap@globex.example"])
    invoice = new_invoice(client, customer=customer, memo="Thank you", purchaseOrderNumber="PO-9", customerTaxId="GB434031494")
    add_line(client, invoice["id"], title="Consulting day", quantity="2", rate="600.25")
    add_line(client, invoice["id"], title="Travel", quantity="1", rate="80.00", taxRate="0")
    response = action(client, invoice["id"], "finalize")
    assert response.status_code == 200, response.text
    return client, response.json()


def images(pdf: bytes) -> list[bytes]:
    return [image.data for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]


def test_merchant_settings_changed_between_finalize_and_render_give_the_same_document(
    lazy_server: LiveServer, logo_host: str
) -> None:
    merchant = {**MERCHANT, "logoUrl": f"{logo_host}/old.png"}
    # The reference: an invoice rendered and stored before anything changed.
    reference_client, reference = finalized(lazy_server, merchant)
    expected = reference_client.get(f"/invoices/{reference['id']}/download").content

    client, invoice = finalized(lazy_server, merchant)
    ubl_before = client.get(f"/invoices/{invoice['id']}/download", params={"format": "ubl"})
    assert ubl_before.status_code == 200, ubl_before.text
    assert not stored(lazy_server, invoice["id"])  # not rendered yet
    changed = client.put("/merchant-settings", json={**CHANGED, "logoUrl": f"{logo_host}/new.png", "primaryColour": "#c81e1e"})
    assert changed.status_code == 200, changed.text

    run_jobs(lazy_server)  # the render job, after the change
    [document] = stored(lazy_server, invoice["id"])
    text = text_of(document.content)
    assert text == text_of(expected)
    assert "Acme Widgets Ltd" in text and "1 High Street" in text and "GB33 BUKB 2020 1555 5555 55" in text
    assert "Renamed" not in text and "Leeds" not in text and "GB94" not in text and "30093459" not in text
    assert images(document.content) == images(expected) and len(images(expected)) == 1  # the old logo
    download = client.get(f"/invoices/{invoice['id']}/download").content
    assert download == document.content
    ubl_after = client.get(f"/invoices/{invoice['id']}/download", params={"format": "ubl"})
    assert ubl_after.content == ubl_before.content and b"Acme Widgets Ltd" in ubl_after.content
    facturx = client.get(f"/invoices/{invoice['id']}/download", params={"format": "facturx"})
    assert facturx.status_code == 200 and text_of(facturx.content) == text

    # A later invoice is created, numbered and printed with the new settings.
    later = new_invoice(client)
    add_line(client, later["id"])
    assert action(client, later["id"], "finalize").status_code == 200
    assert "Renamed Holdings plc" in text_of(client.get(f"/invoices/{later['id']}/download").content)
    client.close()
    reference_client.close()


def test_a_download_before_the_job_renders_and_stores_it_once(lazy_server: LiveServer) -> None:
    client, invoice = finalized(lazy_server, MERCHANT)
    assert invoice["status"] == "FINAL" and not stored(lazy_server, invoice["id"])
    first = client.get(f"/invoices/{invoice['id']}/download")
    assert first.status_code == 200 and "INV00001" in text_of(first.content)
    [document] = stored(lazy_server, invoice["id"])
    assert document.kind == "ISSUED" and document.content == first.content

    # The job comes afterwards: it finds the stored copy and leaves it as it is.
    run_jobs(lazy_server)
    assert [(d.id, d.sha256) for d in stored(lazy_server, invoice["id"])] == [(document.id, document.sha256)]

    # Concurrent first downloads of another invoice: one stored document, served to all of them.
    client2, other = finalized(lazy_server, MERCHANT)
    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(lambda _: client2.get(f"/invoices/{other['id']}/download").content, range(6)))
    [kept] = stored(lazy_server, other["id"])
    assert all(body == kept.content for body in bodies)
    client.close()
    client2.close()


def test_a_failed_render_leaves_the_invoice_finalized_and_renderable_later(lazy_server: LiveServer) -> None:
    """A real failure, no mock: the invoice is frozen with a template version this Quire does not ship
    (as after a downgrade), so the render process refuses it; once the version is shipped again (the
    frozen value put back), the first download renders and stores it."""
    client, invoice = finalized(lazy_server, MERCHANT)

    async def template(session: Any, version: str) -> None:
        row = await session.get(Invoice, invoice["id"])
        row.document_snapshot = {**row.document_snapshot, "templateVersion": version}

    in_database(lazy_server, lambda session: template(session, "999"))
    run_jobs(lazy_server)  # the job's render fails (a retry is scheduled for later)
    assert not stored(lazy_server, invoice["id"])
    again = client.get(f"/invoices/{invoice['id']}")
    assert again.json()["status"] == "FINAL" and again.json()["invoiceNumber"] == "INV00001"

    in_database(lazy_server, lambda session: template(session, "1"))
    pdf = client.get(f"/invoices/{invoice['id']}/download")
    assert pdf.status_code == 200 and "INV00001" in text_of(pdf.content)
    assert [d.content for d in stored(lazy_server, invoice["id"])] == [pdf.content]
    client.close()


def test_a_crash_before_the_job_ran_leaves_the_job_to_the_next_worker(lazy_server: LiveServer) -> None:
    """The job is committed with the finalize: a process that dies before running it leaves it queued,
    and the next worker renders and stores the document."""
    client, invoice = finalized(lazy_server, MERCHANT)
    voided = new_invoice(client)  # void of a draft: numbered, its VOIDED copy queued the same way
    assert action(client, voided["id"], "void").status_code == 200
    assert not stored(lazy_server, invoice["id"]) and not stored(lazy_server, voided["id"])
    run_jobs(lazy_server)
    [issued] = stored(lazy_server, invoice["id"])
    [void] = stored(lazy_server, voided["id"])
    assert issued.kind == "ISSUED" and "INV00001" in text_of(issued.content)
    assert void.kind == "VOIDED" and "VOID" in text_of(void.content)
    assert client.get(f"/invoices/{invoice['id']}/download").content == issued.content
    client.close()


def test_an_issued_copy_rendered_after_a_void_is_the_issued_document(lazy_server: LiveServer) -> None:
    client, invoice = finalized(lazy_server, MERCHANT)
    assert action(client, invoice["id"], "void").status_code == 200
    voided = client.get(f"/invoices/{invoice['id']}/download").content
    run_jobs(lazy_server)  # the finalize's job (ISSUED), then the void's (already stored by the download)
    by_kind = {d.kind: d for d in stored(lazy_server, invoice["id"])}
    assert sorted(by_kind) == ["ISSUED", "VOIDED"] and by_kind["VOIDED"].content == voided
    assert "VOID" not in text_of(by_kind["ISSUED"].content) and "Please pay" in text_of(by_kind["ISSUED"].content)
    client.close()


def test_the_snapshot_is_taken_in_the_finalizing_transaction(lazy_server: LiveServer) -> None:
    client, invoice = finalized(lazy_server, MERCHANT)
    draft = new_invoice(client)

    async def snapshots(session: Any) -> dict[str, Any]:
        rows = await session.execute(select(Invoice.id, Invoice.document_snapshot).where(Invoice.id.in_([invoice["id"], draft["id"]])))
        return {row.id: row.document_snapshot for row in rows}

    found = in_database(lazy_server, snapshots)
    assert found[draft["id"]] is None
    assert found[invoice["id"]] == {"templateVersion": "1", "locale": "en_GB", "document": {}}
    client.close()


def test_concurrent_finalizes_stay_gap_free_with_renders_queued(lazy_server: LiveServer) -> None:
    client = ApiClient(lazy_server.base_url, lazy_server.new_account(merchant_settings=MERCHANT))
    drafts = []
    for _ in range(12):
        draft = new_invoice(client)
        add_line(client, draft["id"])
        drafts.append(draft["id"])
    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda i: action(client, i, "finalize"), drafts))
    assert all(r.status_code == 200 for r in responses)
    assert sorted(r.json()["invoiceNumber"] for r in responses) == [f"INV{n:05d}" for n in range(1, 13)]
    run_jobs(lazy_server)
    for invoice_id in drafts:
        assert [d.kind for d in stored(lazy_server, invoice_id)] == ["ISSUED"]
    client.close()


def test_a_credit_note_prints_the_tax_status_frozen_at_finalization(lazy_server: LiveServer) -> None:
    client = ApiClient(lazy_server.base_url, lazy_server.new_account(merchant_settings=MERCHANT))
    customer = new_customer(client, legalName="Globex Corporation")

    def finalized_note() -> dict[str, Any]:
        response = client.post("/credit-notes", json={"customerId": customer["id"], "currency": "GBP",
                                                      "purchaseOrderNumber": "PO-9", "customerTaxId": "GB434031494"})
        assert response.status_code == 201, response.text
        note = response.json()
        line = client.post(f"/credit-notes/{note['id']}/line-items",
                           json={"creditNoteId": note["id"], "title": "Refund", "quantity": "1", "rate": "50.00",
                                 "taxRate": "0", "externalIds": []})
        assert line.status_code == 201, line.text
        assert client.post(f"/credit-notes/{note['id']}/finalize").status_code == 200
        return note

    note = finalized_note()
    ubl_before = client.get(f"/credit-notes/{note['id']}/download", params={"format": "ubl"})
    assert ubl_before.status_code == 200, ubl_before.text
    body = {key: customer[key] for key in ("legalName", "address", "email")}
    changed = client.put(f"/customers/{customer['id']}", json={**body, "taxStatus": "TAX_EXEMPT"})
    assert changed.status_code == 200, changed.text
    ubl_after = client.get(f"/credit-notes/{note['id']}/download", params={"format": "ubl"})
    assert ubl_after.content == ubl_before.content
    later = finalized_note()  # the change does matter: a note numbered after it is exempt (category E)
    ubl_later = client.get(f"/credit-notes/{later['id']}/download", params={"format": "ubl"})
    category = b"<cbc:ID>E</cbc:ID>"
    assert ubl_later.status_code == 200 and category in ubl_later.content and category not in ubl_before.content

    async def documents(session: Any) -> list[CreditNoteDocument]:
        return list(await session.scalars(select(CreditNoteDocument).where(CreditNoteDocument.credit_note_id == note["id"])))

    assert not in_database(lazy_server, documents)
    run_jobs(lazy_server)
    [document] = in_database(lazy_server, documents)
    assert client.get(f"/credit-notes/{note['id']}/download").content == document.content
    client.close()
