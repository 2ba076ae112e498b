"""The render layer takes a neutral ``DocumentModel``: any builder's model renders, nothing in it is
an invoice's (quire.documents.model). No server."""

from __future__ import annotations

import dataclasses
import io
import sys

import pytest
from pypdf import PdfReader

from quire.documents.model import DocumentModel, GroupHeading, Line, Party, PaymentSection, Subtotal, Totals, builder_of
from quire.documents.pool import PoolSettings, RenderPool


def quote_model(number: str, amount: str) -> DocumentModel:
    """A document no domain of Quire knows: built here, by name, in the render process."""
    return DocumentModel(
        title=f"Quote {number}", subject=f"Quote {number}", author="Render Test Ltd", heading="Quote", number=number,
        id_line="", accent="#1a4d8f", watermark="", running_title=f"Quote {number} (continued)",
        footer=f"Render Test Ltd · Quote {number}", merchant=Party("Render Test Ltd", ("1 Test Street",)),
        dates=(("Valid until", "1 Jan 2027"),), customer=Party("Some Customer", ("2 Other Road",), ("Tax ID: X1",)),
        ship_to=(), details=(("Reference", "R-9"),),
        rows=(GroupHeading("Stage one"), Line("Survey", ("Two days on site",), "2", amount, "20%", amount, grouped=True),
              Subtotal("Subtotal Stage one", amount)),
        breakdown=(("20%", amount, "0.00"),), tax_note="", totals=Totals(amount, "0.00", amount, "Total (GBP)"),
        memo=("Valid for 30 days.",), payment_intro="", payment_sections=(PaymentSection("", (("IBAN", "GB00 TEST"),)),),
        created_at="2026-12-01T00:00:00Z",
    )


def test_any_builders_model_renders() -> None:
    pool = RenderPool(PoolSettings())
    try:
        data = pool.render(quote_model, "Q-17", "£1,234.00")
    finally:
        pool.shutdown()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for expected in ("Quote", "Q-17", "Survey", "Stage one", "£1,234.00", "Valid until", "IBAN", "Valid for 30 days."):
        assert expected in text, expected


def heavy_modules_model() -> DocumentModel:
    """A quote whose memo names the API-side libraries loaded in the render process building it."""
    heavy = sorted({name.split(".")[0] for name in sys.modules} & {"sqlalchemy", "pydantic", "fastapi", "starlette"})
    return dataclasses.replace(quote_model("Q-1", "£1.00"), memo=(f"loaded: {heavy or 'none'}",))


def test_the_render_process_builds_invoices_without_the_api_libraries() -> None:
    from tests.unit.test_pdf import GBP_LINES, GROUP, invoice

    pool = RenderPool(PoolSettings())
    try:
        pool.render("invoice", invoice(), GBP_LINES, [GROUP])  # imports the invoice's builder there
        data = pool.render(heavy_modules_model)
    finally:
        pool.shutdown()
    assert "loaded: none" in PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_a_kind_is_a_registered_builder() -> None:
    from quire.billing_documents.render_model import INVOICE, invoice_model

    assert builder_of(INVOICE) is invoice_model and builder_of(quote_model) is quote_model
    with pytest.raises(LookupError, match="no document kind 'quote'"):
        builder_of("quote")
