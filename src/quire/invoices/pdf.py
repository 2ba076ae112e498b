"""Invoice and credit note PDFs, rendered by Typst from a template (``quire/templates/pdf/document.typ``).

The renderer takes the documents exactly as the API serialises them (camelCase dicts, money as decimal
strings) and never trusts them to be complete: every field except the totals may be absent, and any text
may hold any unicode. This module turns them into the template's *view model*: every value already
formatted (Babel, ``en_GB``) and every one a plain string, so the template only places text, and nothing an
invoice says is ever read as Typst markup (the model travels as JSON in ``sys.inputs``).

Typst runs in a separate process (``quire.documents``): its memoisation cache grows with every distinct
document, and the render process is kept under a memory bound there. This module never imports ``typst``.
See docs/pdf-engines.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from quire.invoices.formatting import (
    LOCALE,
    address_lines,
    bank_sections,
    date_range,
    decimal,
    format_date,
    format_money,
    format_number,
    format_percent,
    mapping,
    ordered,
    text,
)

__all__ = [
    "LOCALE",
    "address_lines",
    "bank_sections",
    "clean_text",
    "document_model",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "render_credit_note_pdf",
    "render_invoice_pdf",
]

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"

DEFAULT_ACCENT = "#212529"
# A fixed creation date for documents that carry no createdAt: identical input, identical bytes.
FIXED_CREATED_AT = "2000-01-01T00:00:00Z"

_WATERMARKS = {"DRAFT": "DRAFT", "IN_PROGRESS": "DRAFT", "VOIDED": "VOID"}
_TAX_NOTES = {
    "REVERSE_CHARGED": "Reverse charge: the customer is liable to account for the tax.",
    "TAX_EXEMPT": "The customer is exempt from tax.",
}


# --- text ------------------------------------------------------------------------------------------


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Text as the template may print it: never raises, whatever ``value`` holds.

    NFC-normalised; control and format characters (zero-width and bidi marks), private-use code
    points and lone surrogates are dropped; tabs and exotic spaces become spaces; line breaks survive
    only when ``multiline`` (else they become spaces). Glyphs no installed font has are dealt with at
    render time (``quire.documents.typst_render``).
    """
    if value is None:
        return ""
    raw = value if isinstance(value, str) else str(value)
    if raw.isascii() and raw.isprintable():
        return raw.strip()
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\u2028", "\n").replace("\u2029", "\n")
    raw = raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace") if _has_surrogates(raw) else raw
    try:
        raw = unicodedata.normalize("NFC", raw)
    except (TypeError, ValueError, UnicodeError):  # pragma: no cover - defensive
        pass
    out: list[str] = []
    for ch in raw:
        if ch == "\n":
            out.append("\n" if multiline else " ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co") or ch == "\ufffd" or (category == "Cf" and ch not in "\u00ad\u200d"):
            continue
        out.append(" " if category == "Zs" else ch)
    cleaned = "".join(out)
    if multiline:
        return "\n".join(line.strip() for line in cleaned.split("\n")).strip()
    return cleaned.strip()


def _has_surrogates(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


#: Runs this long with no space, "/" or "-" (where lines may break anyway) get break opportunities.
_LONG_RUN = re.compile(r"[^\s/\-\u200b]{25,}")
_ZWSP = "\u200b"
# Values that are document metadata or settings, not printed text: no break opportunities there.
_UNBROKEN = frozenset({"title", "subject", "author", "created_at", "accent", "kind", "watermark"})


def breakable(value: str) -> str:
    """``value`` with a zero-width space every 12 characters inside runs of 25 or more that have no
    other place to break (tokens, long numbers): Typst never breaks inside a word, so such a run would
    run across the neighbouring column."""
    if len(value) < 25:
        return value
    return _LONG_RUN.sub(lambda m: _ZWSP.join(m[0][i : i + 12] for i in range(0, len(m[0]), 12)), value)


def _breakable_model(value: Any, top: bool = True) -> Any:
    if isinstance(value, str):
        return breakable(value)
    if isinstance(value, dict):
        return {k: v if top and k in _UNBROKEN else _breakable_model(v, False) for k, v in value.items()}
    if isinstance(value, list):
        return [_breakable_model(v, False) for v in value]
    return value


# --- the view model --------------------------------------------------------------------------------


def _colour(value: Any) -> str:
    """``"#1A73E8"`` / ``"#17e"`` → ``"#1a73e8"``; missing, malformed or too pale → the default ink."""
    raw = text(value).lstrip("#")
    if len(raw) == 3 and all(c in "0123456789abcdefABCDEF" for c in raw):
        raw = "".join(c * 2 for c in raw)
    if len(raw) != 6 or not all(c in "0123456789abcdefABCDEF" for c in raw):
        return DEFAULT_ACCENT
    r, g, b = (int(raw[i : i + 2], 16) for i in (0, 2, 4))
    if 0.299 * r + 0.587 * g + 0.114 * b > 200:  # unreadable as text on white
        return DEFAULT_ACCENT
    return f"#{raw.lower()}"


def _pairs(rows: Sequence[tuple[str, str]]) -> list[list[str]]:
    return [[clean_text(k), clean_text(v, multiline=True)] for k, v in rows if v]


def _lines(value: Any) -> list[str]:
    """Multi-line text as its non-empty lines."""
    return [line for line in clean_text(value, multiline=True).split("\n") if line]


def document_model(kind: str, doc: Any, lines: Any, groups: Any) -> dict[str, Any]:
    """What the template prints, all of it as strings: ``kind`` is ``"invoice"`` or ``"credit_note"``,
    the rest the API's JSON (document, line items, line item groups)."""
    is_invoice = kind != CREDIT_NOTE
    d = mapping(doc)
    items = ordered(lines)
    groups_ = ordered(groups)
    currency = text(d.get("currency")).upper()
    merchant = mapping(d.get("merchantDetails"))
    status = text(d.get("status")).upper()
    number = text(d.get("invoiceNumber" if is_invoice else "creditNoteNumber"))
    kind_title = "Invoice" if is_invoice else "Credit note"
    label = f"{kind_title} {number}" if number else kind_title
    merchant_name = clean_text(merchant.get("legalCompanyName"))
    customer_name = clean_text(d.get("customerLegalCompanyName"))

    def money(value: Any, *, exact: bool = False) -> str:
        return format_money(value, currency, exact=exact)

    # Merchant block
    merchant_lines = list(address_lines(merchant.get("address")))
    for key, prefix in (("email", ""), ("phoneNumber", "Tel. "), ("phone", "Tel. "), ("taxId", "Tax ID: ")):
        value = text(merchant.get(key))
        if value and not (key == "phone" and merchant.get("phoneNumber")):
            merchant_lines.append(prefix + value)
    custom = merchant.get("customFields")
    if isinstance(custom, list):
        for field in custom:
            f = mapping(field)
            if text(f.get("key")) or text(f.get("value")):
                merchant_lines.append(": ".join(p for p in (text(f.get("key")), text(f.get("value"))) if p))

    # Title block
    dates = [("Issue date", format_date(d.get("issueDate")))]
    if is_invoice:
        dates.append(("Due date", format_date(d.get("dueDate"))))
    else:
        dates.append(("Invoice", text(d.get("invoiceNumber"))))

    # Parties and details
    billing = address_lines(d.get("customerBillingAddress"))
    shipping = address_lines(d.get("customerShippingAddress"))
    customer_extra = [f"Tax ID: {text(d.get('customerTaxId'))}"] if text(d.get("customerTaxId")) else []
    emails = d.get("customerEmails")
    if isinstance(emails, list):
        customer_extra += [text(e) for e in emails if text(e)]
    details: list[tuple[str, str]] = []
    if not is_invoice and text(d.get("invoiceNumber")):
        details.append(("Credit for invoice", text(d.get("invoiceNumber"))))
    period = mapping(d.get("billingPeriod"))
    details += [
        ("Purchase order", text(d.get("purchaseOrderNumber"))),
        ("Reference", text(d.get("reference"))),
        ("Billing period", date_range(
            period.get("start", d.get("billingPeriodStart")),
            period.get("endInclusive", period.get("end", d.get("billingPeriodEnd"))),
        )),
    ]

    # Lines: ungrouped first, then each group with its lines and subtotal
    def line_row(line: Mapping[str, Any], grouped: bool) -> dict[str, Any]:
        service = mapping(line.get("servicePeriod"))
        extra = _lines(line.get("description"))
        served = date_range(
            service.get("startDate", line.get("serviceStartDate", line.get("servicePeriodStart"))),
            service.get("endDate", line.get("serviceEndDate", line.get("servicePeriodEnd"))),
        )
        if served:
            extra.append(clean_text(served))
        if text(line.get("rateDisplay")).upper() == "PERCENTAGE":
            price = format_percent(line.get("rate"))
        else:
            price = money(line.get("rate"), exact=True)
        return {
            "kind": "line",
            "grouped": grouped,
            "title": clean_text(line.get("title")),
            "extra": extra,
            "qty": clean_text(format_number(line.get("quantity"))),
            "price": clean_text(price),
            "tax": clean_text(format_percent(line.get("taxRate"))) if line.get("taxRate") is not None else "",
            "amount": clean_text(money(line.get("netTotal"))),
        }

    group_ids = {text(g.get("id")) for g in groups_ if text(g.get("id"))}
    by_group: dict[str, list[Mapping[str, Any]]] = {gid: [] for gid in group_ids}
    ungrouped: list[Mapping[str, Any]] = []
    for line in items:
        gid = text(line.get("groupId"))
        (by_group[gid] if gid in by_group else ungrouped).append(line)
    rows: list[dict[str, Any]] = [line_row(line, False) for line in ungrouped]
    for group in groups_:
        members = by_group.get(text(group.get("id")), [])
        if not members:
            continue
        title = clean_text(group.get("title")) or "Group"
        rows.append({"kind": "group", "title": title, "description": _lines(group.get("description"))})
        rows += [line_row(line, True) for line in members]
        net = group.get("netTotal")
        if decimal(net) is None:
            net = str(sum((decimal(m.get("netTotal")) or Decimal(0) for m in members), Decimal(0)))
        rows.append({
            "kind": "subtotal",
            "label": f"Subtotal {title}" if len(title) <= 40 else "Subtotal",
            "amount": clean_text(money(net)),
        })

    # Tax by rate, lowest rate first ("Other" for lines without one)
    buckets: dict[Decimal | None, list[Decimal]] = {}
    rate_labels: dict[Decimal | None, str] = {}
    for line in items:
        rate = decimal(line.get("taxRate"))
        key = rate.normalize() if rate is not None else None
        sums = buckets.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += decimal(line.get("netTotal")) or Decimal(0)
        sums[1] += decimal(line.get("totalTax")) or Decimal(0)
        rate_labels.setdefault(key, format_percent(rate) if rate is not None else "Other")
    order = sorted(buckets, key=lambda k: (k is None, k if k is not None else Decimal(0)))
    breakdown = [[clean_text(rate_labels[k]), clean_text(money(buckets[k][0])), clean_text(money(buckets[k][1]))] for k in order]

    # Payment details (invoices that can still be paid)
    intro, sections = "", []
    if is_invoice and status != "VOIDED":
        options_raw = d.get("paymentOptions")
        options = {text(o).upper() for o in options_raw} if isinstance(options_raw, list) else set()
        bank = bank_sections(merchant) if not options or "BANK_TRANSFER" in options else []
        link_hidden = text(mapping(d.get("renderSettings")).get("paymentLinkDisplay")).upper() == "HIDE_PAYMENT_LINK"
        sentences = []
        due = format_date(d.get("dueDate"))
        if due:
            sentences.append(f"Please pay {money(d.get('grossTotal'))} by {due}.")
        if number and (bank or due):
            sentences.append(f"Please quote {number} as the payment reference.")
        if "LINK" in options and not link_hidden:
            sentences.append("You can also pay online using the payment link sent with this invoice.")
        intro = clean_text(" ".join(sentences))
        sections = [{"title": clean_text(title), "rows": _pairs(section)} for title, section in bank]

    total_label = "Total" if is_invoice else "Total credit"
    return _breakable_model({
        "kind": INVOICE if is_invoice else CREDIT_NOTE,
        "title": clean_text(label),
        "subject": clean_text(f"{label} for {customer_name}" if customer_name else label),
        "author": merchant_name,
        "kind_title": kind_title,
        "number": clean_text(number),
        "id_line": "" if number else clean_text(f"ID {text(d.get('id'))}"),
        "accent": _colour(merchant.get("primaryColour")),
        "watermark": _WATERMARKS.get(status, ""),
        "running_title": clean_text(f"{label} (continued)"),
        "footer": " · ".join(part for part in (merchant_name, clean_text(label)) if part),
        "merchant": {"name": merchant_name, "lines": [clean_text(x) for x in merchant_lines]},
        "dates": _pairs(dates),
        "customer": {
            "name": customer_name,
            "lines": [clean_text(x) for x in billing],
            "extra": [clean_text(x) for x in customer_extra],
        },
        "ship_to": [clean_text(x) for x in shipping] if shipping and shipping != billing else [],
        "details": _pairs(details),
        "rows": rows,
        "breakdown": breakdown,
        "tax_note": _TAX_NOTES.get(text(d.get("customerTaxStatus")).upper(), ""),
        "totals": {
            "net": clean_text(money(d.get("netTotal"))),
            "tax": clean_text(money(d.get("totalTax"))),
            "gross": clean_text(money(d.get("grossTotal"))),
            "label": f"{total_label} ({currency})" if currency else total_label,
        },
        "memo": _lines(d.get("memo")),
        "payment": {"intro": intro, "sections": sections},
        "created_at": text(d.get("createdAt")) or FIXED_CREATED_AT,
    })


# --- rendering -------------------------------------------------------------------------------------


def render_invoice_pdf(
    invoice_json: Mapping[str, Any],
    lines_json: Sequence[Mapping[str, Any]],
    groups_json: Sequence[Mapping[str, Any]],
) -> bytes:
    """The invoice as an A4 PDF/A-3b, from the API's invoice, line item and line item group JSON.

    Blocks until the render process answers: call it from a worker thread (``asyncio.to_thread``)."""
    from quire.documents import render_pdf

    return render_pdf(INVOICE, invoice_json, lines_json, groups_json)


def render_credit_note_pdf(
    credit_note_json: Mapping[str, Any],
    lines_json: Sequence[Mapping[str, Any]],
    groups_json: Sequence[Mapping[str, Any]],
) -> bytes:
    """The credit note as an A4 PDF/A-3b, from the API's credit note, line item and group JSON."""
    from quire.documents import render_pdf

    return render_pdf(CREDIT_NOTE, credit_note_json, lines_json, groups_json)
