"""Invoice and credit note PDFs: rendered from API-shaped dicts, read back with pypdf. No server."""

from __future__ import annotations

import io
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from quire.invoices import pdf as pdf_module
from quire.invoices.pdf import render_credit_note_pdf, render_invoice_pdf

MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Acme Widgets Ltd",
    "address": {"line1": "1 High Street", "town": "London", "postcode": "SW1A 1AA", "country": "GB"},
    "email": "billing@acme.example",
    "phoneNumber": "020 7946 0000",
    "taxId": "GB123456789",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
    "customFields": [{"key": "Company no.", "value": "01234567"}],
    "primaryColour": "#1A4D8F",
    "includeBeneficiaryAddressInPaymentDetails": True,
}


def invoice(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "b1f0c6d2-0000-4000-8000-000000000001",
        "status": "FINAL",
        "invoiceNumber": "INV-0042",
        "issueDate": "2026-11-10",
        "dueDate": "2026-11-24",
        "accountingDate": "2026-11-10",
        "currency": "GBP",
        "customerLegalCompanyName": "Globex Corporation",
        "customerBillingAddress": {"line1": "42 Market Road", "town": "Manchester", "postcode": "M1 1AA", "country": "GB"},
        "customerShippingAddress": {"line1": "42 Market Road", "town": "Manchester", "postcode": "M1 1AA", "country": "GB"},
        "customerTaxId": "GB987654321",
        "customerEmails": ["ap@globex.example"],
        "purchaseOrderNumber": "PO-7781",
        "reference": "Annual plan",
        "memo": "Thank you for your business.",
        "billingPeriod": {"start": "2026-10-01", "endInclusive": "2026-10-31"},
        "netTotal": "1200.50",
        "totalTax": "240.10",
        "grossTotal": "1440.60",
        "paymentOptions": ["BANK_TRANSFER", "LINK"],
        "merchantDetails": MERCHANT,
        "createdAt": "2026-11-10T09:00:00Z",
    }
    base.update(overrides)
    return base


def line(title: str, quantity: str, rate: str, tax_rate: str, net: str, tax: str, index: int, **extra: Any) -> dict[str, Any]:
    gross = str(Decimal(net) + Decimal(tax))
    return {
        "id": f"line-{index}",
        "title": title,
        "quantity": quantity,
        "rate": rate,
        "taxRate": tax_rate,
        "netTotal": net,
        "totalTax": tax,
        "grossTotal": gross,
        "index": index,
        "rateDisplay": "ABSOLUTE",
        **extra,
    }


GROUP = {"id": "grp-1", "title": "Platform usage", "description": "Metered in October", "netTotal": "700.50", "totalTax": "140.10", "grossTotal": "840.60", "index": 0}

GBP_LINES = [
    line("Annual support retainer", "1", "500", "0.2", "500.00", "100.00", 0, description="Business hours, email and phone"),
    line("API calls", "140100", "0.005", "0.2", "700.50", "140.10", 1, groupId="grp-1",
         servicePeriod={"startDate": "2026-10-01", "endDate": "2026-10-31"}),
    line("Overage discount", "0", "0.1", "0", "0.00", "0.00", 2, groupId="grp-1", rateDisplay="PERCENTAGE"),
]


def render(doc: dict[str, Any], lines: list[dict[str, Any]], groups: list[dict[str, Any]], *, credit: bool = False) -> tuple[bytes, PdfReader, str]:
    data = (render_credit_note_pdf if credit else render_invoice_pdf)(doc, lines, groups)
    assert isinstance(data, bytes) and data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return data, reader, text


def many_lines(count: int, currency_rate: str = "12.34") -> list[dict[str, Any]]:
    return [
        line(f"Consulting item {i:03d}", "2", currency_rate, "0.2", str(Decimal(currency_rate) * 2),
             str(Decimal(currency_rate) * 2 * Decimal("0.2")), i, description=f"Work package {i} of the migration project")
        for i in range(count)
    ]


# --- content ----------------------------------------------------------------------------------------


def test_gbp_invoice_has_parties_lines_groups_and_totals() -> None:
    _, reader, text = render(invoice(), GBP_LINES, [GROUP])
    assert len(reader.pages) == 1
    for expected in (
        "INV-0042",
        "Globex Corporation",
        "Acme Widgets Ltd",
        "Annual support retainer",
        "API calls",
        "Overage discount",
        "Platform usage",
        "£1,440.60",  # gross total
        "£1,200.50",  # net total
        "£240.10",  # tax total
        "£700.50",  # group subtotal
        "10 Nov 2026",  # issue date
        "24 Nov 2026",  # due date
        "PO-7781",
        "GB987654321",
        "ap@globex.example",
        "Thank you for your business.",
        "GB33 BUKB 2020 1555 5555 55",  # IBAN in groups of four
        "20-20-15",  # sort code
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "20%" in text and "10%" in text  # tax rate, percentage unit price
    assert "£0.005" in text  # unit prices keep their sub-penny digits
    assert "DRAFT" not in text and "VOID" not in text


def test_ungrouped_lines_come_first_then_each_group_with_its_subtotal() -> None:
    _, _, text = render(invoice(), GBP_LINES, [GROUP])
    retainer, group, api, subtotal, total = (
        text.index(s) for s in ("Annual support retainer", "Platform usage", "API calls", "Subtotal Platform usage", "£1,440.60")
    )
    assert retainer < group < api < subtotal < total


def test_tax_breakdown_per_distinct_rate() -> None:
    lines = [
        line("Standard", "1", "100", "0.2", "100.00", "20.00", 0),
        line("Reduced", "1", "100", "0.05", "100.00", "5.00", 1),
        line("Also standard", "1", "50", "0.2", "50.00", "10.00", 2),
    ]
    _, _, text = render(invoice(netTotal="250.00", totalTax="35.00", grossTotal="285.00"), lines, [])
    flat = re.sub(r"\s+", " ", text)
    assert "5% £100.00 £5.00" in flat
    assert "20% £150.00 £30.00" in flat
    assert "£285.00" in text


def test_jpy_invoice_has_no_minor_units() -> None:
    lines = [line("Licence", "3", "12000", "0.1", "36000", "3600", 0), line("Setup", "1", "5000", "0.1", "5000", "500", 1)]
    doc = invoice(currency="JPY", invoiceNumber="JP-0001", netTotal="41000", totalTax="4100", grossTotal="45100")
    _, _, text = render(doc, lines, [])
    for expected in ("JP-0001", "Globex Corporation", "Licence", "Setup", "¥45,100", "¥36,000"):
        assert expected in text, expected
    assert "45,100.00" not in text


@pytest.mark.parametrize("status", ["DRAFT", "IN_PROGRESS"])
def test_drafts_carry_a_draft_watermark(status: str) -> None:
    _, _, text = render(invoice(status=status, invoiceNumber=None), GBP_LINES, [GROUP])
    assert "DRAFT" in text
    assert "ID b1f0c6d2-0000-4000-8000-000000000001" in text  # no number yet: the id stands in
    assert "£1,440.60" in text


def test_voided_invoice_carries_a_void_watermark_and_no_payment_instructions() -> None:
    _, _, text = render(invoice(status="VOIDED"), GBP_LINES, [GROUP])
    assert "VOID" in text
    assert "DRAFT" not in text
    assert "Payment details" not in text


def test_long_invoice_spans_pages_with_numbered_footer_and_repeated_header() -> None:
    lines = many_lines(120)
    net = sum(Decimal(l["netTotal"]) for l in lines)
    tax = sum(Decimal(l["totalTax"]) for l in lines)
    doc = invoice(netTotal=str(net), totalTax=str(tax), grossTotal=str(net + tax))
    _, reader, text = render(doc, lines, [])
    pages = len(reader.pages)
    assert pages > 1
    assert "Page 1 of" in text
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    for i in range(120):
        assert f"Consulting item {i:03d}" in text
    for page in reader.pages[1:]:
        page_text = page.extract_text()
        assert "Unit price" in page_text  # the table header is repeated
        assert "INV-0042 (continued)" in page_text
    assert "£3,553.92" in text  # 120 × 24.68 × 1.2


def test_grouped_lines_across_pages() -> None:
    groups = [{"id": f"g{n}", "title": f"Workstream {n}", "netTotal": "0", "index": n} for n in range(3)]
    lines = many_lines(60)
    for i, item in enumerate(lines):
        item["groupId"] = f"g{i % 3}"
    _, reader, text = render(invoice(), lines, groups)
    assert len(reader.pages) > 1
    assert all(f"Workstream {n}" in text for n in range(3))
    assert all(f"Consulting item {i:03d}" in text for i in range(60))


def test_credit_note_shares_the_layout() -> None:
    doc = invoice(creditNoteNumber="CN-0007", invoiceNumber="INV-0042", status="FINAL")
    del doc["dueDate"]
    _, _, text = render(doc, GBP_LINES, [GROUP], credit=True)
    for expected in ("Credit note", "CN-0007", "INV-0042", "Globex Corporation", "API calls", "£1,440.60"):
        assert expected in text, expected
    assert "Payment details" not in text


UNICODE_NAME = "Zürich Ølstue 東京 €"


def unicode_invoice() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    merchant = {
        **MERCHANT,
        "legalCompanyName": "Łódź Spółka z o.o. — «Ünïcødé» 🚀",
        "address": {"line1": "ul. Piotrkowska 1", "town": "Łódź", "postcode": "90-001", "country": "PL"},
        "customFields": [{"key": "Notă", "value": "Ελληνικά, Русский, עברית, العربية"}],
    }
    doc = invoice(
        currency="EUR",
        netTotal="99.99",
        totalTax="19.00",
        grossTotal="118.99",
        customerLegalCompanyName=UNICODE_NAME,
        customerBillingAddress={"line1": "Bahnhofstraße 1\u200b", "town": "Zürich", "postcode": "8001", "country": "CH"},
        memo="Danke schön ✓\r\nСпасибо\tarigatō ありがとう\x00\x07 \ud800 e\u0301 ＦＵＬＬ",
        merchantDetails=merchant,
        reference="₩ ₹ zł ₿ “quotes” – dash…",
    )
    lines = [line("Café crème ☕ 東京", "1", "99.99", "0.19", "99.99", "19.00", 0, description="Ölmühle — ₩1,000 ≈ €0,65")]
    return doc, lines, []


def test_unicode_heavy_invoice_renders() -> None:
    doc, lines, groups = unicode_invoice()
    _, _, text = render(doc, lines, groups)
    assert "Zürich" in text and "Ølstue" in text
    assert "€118.99" in text or "EUR 118.99" in text


def test_characters_no_font_has_are_printed_as_question_marks() -> None:
    # This machine's fonts (DejaVu Sans, and the fonts in the typst wheel) have no CJK and no emoji:
    # PDF/A forbids printing a missing glyph, so they become "?" (fullwidth letters fold to ASCII).
    doc, lines, groups = unicode_invoice()
    data, _, text = render(doc, lines, groups)
    assert "Zürich Ølstue ?? €" in text
    assert "Café crème ☕ ??" in text
    assert "FULL" in text
    assert "\x00" not in text
    assert PdfReader(io.BytesIO(data)).metadata["/Subject"] == f"Invoice INV-0042 for {UNICODE_NAME}"  # metadata keeps them


def test_without_system_fonts_the_fonts_in_the_typst_wheel_draw_the_invoice(monkeypatch: pytest.MonkeyPatch) -> None:
    from quire.documents.pool import PoolSettings, RenderPool

    monkeypatch.setenv("QUIRE_PDF_SYSTEM_FONTS", "0")  # read by the render process the pool spawns
    pool = RenderPool(PoolSettings())
    try:
        doc, lines, groups = unicode_invoice()
        data = pool.render("invoice", doc, lines, groups)
    finally:
        pool.shutdown()
    reader = PdfReader(io.BytesIO(data))
    text = reader.pages[0].extract_text()
    for expected in ("Zürich", "Ølstue", "€118.99", "Łódź", "₩1,000", "INV-0042"):
        assert expected in text, expected
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("Libertinus" in f for f in fonts), fonts  # the wheel's fonts (it also has DejaVu Sans *Mono*)
    assert not any("DejaVuSans" in f and "Mono" not in f for f in fonts), fonts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zürich Ølstue 東京 €", "Zürich Ølstue 東京 €"),  # glyphs are the renderer's business
        ("a\x00b\u200bc\ud800d\x07", "abcd"),  # controls, zero-width, lone surrogates, bells
        ("line\nbreak\r\nthere", "line break there"),
        ("tab\there\u00a0and\u2003space", "tab here and space"),
        ("e\u0301", "é"),  # NFC
        ("\u202eevil\u202c", "evil"),  # bidi overrides
        ("#set text(red) *bold* $x$ @ref <l> \\", "#set text(red) *bold* $x$ @ref <l> \\"),  # never markup
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert pdf_module.clean_text(raw) == expected


def test_clean_text_multiline() -> None:
    assert pdf_module.clean_text(" first\r\n\tsecond \u2028third ", multiline=True) == "first\nsecond\nthird"


def test_invoice_text_is_never_typst_markup() -> None:
    markup = '#set page(fill: red) *bold* _em_ $x^2$ #import "x.typ" `raw` <label> @ref \\ ] ) }'
    lines = [line(markup, "1", "1", "0.2", "1.00", "0.20", 0, description=markup)]
    _, _, text = render(invoice(memo=markup, customerLegalCompanyName=markup, netTotal="1.00", totalTax="0.20",
                                grossTotal="1.20"), lines, [])
    flat = re.sub(r"\s+", " ", text)
    assert flat.count(re.sub(r"\s+", " ", markup)) >= 4  # customer, line title, its description, memo


def test_minimal_documents_never_raise() -> None:
    minimal = {"id": "inv_1", "status": "DRAFT", "currency": "USD", "netTotal": "0", "totalTax": "0", "grossTotal": "0"}
    _, _, text = render(minimal, [], [])
    assert "US$0.00" in text and "DRAFT" in text
    odd_lines = [
        {"id": "l1", "title": "", "quantity": "abc", "rate": None, "taxRate": "NaN", "netTotal": "1e3", "groupId": "missing"},
        {"id": "l2"},
        "not a line",
    ]
    odd = {**minimal, "merchantDetails": {"legalCompanyName": None, "customFields": "nope", "usWireDetails": {"bankName": "X"}},
           "customerBillingAddress": None, "customerEmails": [None, ""], "billingPeriod": "garbage",
           "dueDate": "not a date", "currency": "ZZZ", "paymentOptions": ["BANK_TRANSFER"], "status": "SENT"}
    render(odd, odd_lines, [{"id": "g", "title": None}, 5])
    render(odd, odd_lines, [], credit=True)


def test_same_input_same_bytes() -> None:
    first = render_invoice_pdf(invoice(), GBP_LINES, [GROUP])
    assert render_invoice_pdf(invoice(), GBP_LINES, [GROUP]) == first


def test_twenty_line_invoice_renders_fast() -> None:
    lines = many_lines(20)
    render_invoice_pdf(invoice(), lines, [])  # warm caches (fonts, Babel locale data)
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        render_invoice_pdf(invoice(), lines, [])
        timings.append(time.perf_counter() - start)
    timings.sort()
    # The budget is 100 ms; leave headroom for slow CI machines.
    assert timings[len(timings) // 2] < 0.25
