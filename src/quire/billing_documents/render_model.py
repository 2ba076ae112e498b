"""What an invoice's or a credit note's PDF prints: the render layer's ``DocumentModel``, built in one
place for both kinds from the API's own JSON (camelCase dicts, money as decimal strings).

The JSON is never trusted to be complete: every field except the totals may be absent, and any text
may hold any unicode. Every value is formatted here (``quire.billing_documents.formatting``: Babel, ``en_GB``)
and cleaned (``clean_text``), so the renderer only places strings and nothing a document says is read
as markup. The builders run in the render process (``quire.documents.pool`` sends them there by name);
``INVOICE`` and ``CREDIT_NOTE`` are their registered names. See docs/pdf-engines.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quire.documents.model import (
    TEMPLATE_VERSION,
    DocumentModel,
    GroupHeading,
    Line,
    Pair,
    Party,
    PaymentSection,
    Row,
    Subtotal,
    Totals,
    clean_text,
    register,
)
from quire.billing_documents.formatting import (
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


@dataclass(frozen=True)
class _Kind:
    """What the two kinds print differently."""

    heading: str
    number_field: str
    total_label: str
    #: Invoices print a due date and payment details; credit notes the invoice they credit.
    payable: bool


_KINDS = {
    INVOICE: _Kind("Invoice", "invoiceNumber", "Total", payable=True),
    CREDIT_NOTE: _Kind("Credit note", "creditNoteNumber", "Total credit", payable=False),
}


def document_model(kind: str, doc: Any, lines: Any, groups: Any) -> DocumentModel:
    """What the PDF prints: ``kind`` is ``"invoice"`` or ``"credit_note"`` (anything else prints as an
    invoice), the rest the API's JSON (document, line items, line item groups)."""
    spec = _KINDS.get(kind, _KINDS[INVOICE])
    d = mapping(doc)
    locale = text(d.get("locale")) or LOCALE  # frozen at finalization (quire.billing_documents.snapshot)
    if locale != LOCALE:
        raise ValueError(f"documents print in {LOCALE} only, not {locale!r}")
    items = ordered(lines)
    currency = text(d.get("currency")).upper()
    merchant = mapping(d.get("merchantDetails"))
    status = text(d.get("status")).upper()
    number = text(d.get(spec.number_field))
    label = f"{spec.heading} {number}" if number else spec.heading
    merchant_name = clean_text(merchant.get("legalCompanyName"))
    customer_name = clean_text(d.get("customerLegalCompanyName"))
    invoice_number = text(d.get("invoiceNumber"))

    def money(value: Any) -> str:
        return clean_text(format_money(value, currency))

    dates = [("Issue date", format_date(d.get("issueDate")))]
    details: list[tuple[str, str]] = []
    if spec.payable:
        dates.append(("Due date", format_date(d.get("dueDate"))))
    else:
        dates.append(("Invoice", invoice_number))
        if invoice_number:
            details.append(("Credit for invoice", invoice_number))
    period = mapping(d.get("billingPeriod"))
    details += [
        ("Purchase order", text(d.get("purchaseOrderNumber"))),
        ("Reference", text(d.get("reference"))),
        ("Billing period", date_range(
            period.get("start", d.get("billingPeriodStart")),
            period.get("endInclusive", period.get("end", d.get("billingPeriodEnd"))),
        )),
    ]
    billing = address_lines(d.get("customerBillingAddress"))
    shipping = address_lines(d.get("customerShippingAddress"))
    logo = merchant.get("logoUrl")
    intro, sections = _payment(d, merchant, number, currency) if spec.payable and status != "VOIDED" else ("", ())
    return DocumentModel(
        title=clean_text(label),
        subject=clean_text(f"{label} for {customer_name}" if customer_name else label),
        author=merchant_name,
        heading=spec.heading,
        number=clean_text(number),
        id_line="" if number else clean_text(f"ID {text(d.get('id'))}"),
        accent=_colour(merchant.get("primaryColour")),
        watermark=_WATERMARKS.get(status, ""),
        running_title=clean_text(f"{label} (continued)"),
        footer=" · ".join(part for part in (merchant_name, clean_text(label)) if part),
        merchant=Party(merchant_name, _cleaned(_merchant_lines(merchant))),
        dates=_pairs(dates),
        customer=Party(customer_name, _cleaned(billing), _cleaned(_customer_extra(d))),
        ship_to=_cleaned(shipping) if shipping and shipping != billing else (),
        details=_pairs(details),
        rows=_rows(items, ordered(groups), currency),
        breakdown=_breakdown(items, currency),
        tax_note=_TAX_NOTES.get(text(d.get("customerTaxStatus")).upper(), ""),
        totals=Totals(
            net=money(d.get("netTotal")),
            tax=money(d.get("totalTax")),
            gross=money(d.get("grossTotal")),
            label=f"{spec.total_label} ({currency})" if currency else spec.total_label,
        ),
        memo=_lines(d.get("memo")),
        payment_intro=intro,
        payment_sections=sections,
        created_at=text(d.get("createdAt")) or FIXED_CREATED_AT,
        logo_url=logo if isinstance(logo, str) else None,
        template_version=text(d.get("templateVersion")) or TEMPLATE_VERSION,
    )


def invoice_model(doc: Any, lines: Any, groups: Any) -> DocumentModel:
    return document_model(INVOICE, doc, lines, groups)


def credit_note_model(doc: Any, lines: Any, groups: Any) -> DocumentModel:
    return document_model(CREDIT_NOTE, doc, lines, groups)


register(INVOICE, invoice_model)
register(CREDIT_NOTE, credit_note_model)


# --- parts of the model ----------------------------------------------------------------------------


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


def _pairs(rows: Sequence[tuple[str, str]]) -> tuple[Pair, ...]:
    return tuple((clean_text(k), clean_text(v, multiline=True)) for k, v in rows if v)


def _cleaned(lines: Sequence[str]) -> tuple[str, ...]:
    return tuple(clean_text(x) for x in lines)


def _lines(value: Any) -> tuple[str, ...]:
    """Multi-line text as its non-empty lines."""
    return tuple(line for line in clean_text(value, multiline=True).split("\n") if line)


def _merchant_lines(merchant: Mapping[str, Any]) -> list[str]:
    lines = list(address_lines(merchant.get("address")))
    for key, prefix in (("email", ""), ("phoneNumber", "Tel. "), ("phone", "Tel. "), ("taxId", "Tax ID: ")):
        value = text(merchant.get(key))
        if value and not (key == "phone" and merchant.get("phoneNumber")):
            lines.append(prefix + value)
    custom = merchant.get("customFields")
    if isinstance(custom, list):
        for field in custom:
            f = mapping(field)
            if text(f.get("key")) or text(f.get("value")):
                lines.append(": ".join(p for p in (text(f.get("key")), text(f.get("value"))) if p))
    return lines


def _customer_extra(d: Mapping[str, Any]) -> list[str]:
    extra = [f"Tax ID: {text(d.get('customerTaxId'))}"] if text(d.get("customerTaxId")) else []
    emails = d.get("customerEmails")
    if isinstance(emails, list):
        extra += [text(e) for e in emails if text(e)]
    return extra


def _line(line: Mapping[str, Any], currency: str, grouped: bool) -> Line:
    service = mapping(line.get("servicePeriod"))
    extra = list(_lines(line.get("description")))
    served = date_range(
        service.get("startDate", line.get("serviceStartDate", line.get("servicePeriodStart"))),
        service.get("endDate", line.get("serviceEndDate", line.get("servicePeriodEnd"))),
    )
    if served:
        extra.append(clean_text(served))
    if text(line.get("rateDisplay")).upper() == "PERCENTAGE":
        price = format_percent(line.get("rate"))
    else:
        price = format_money(line.get("rate"), currency, exact=True)
    return Line(
        title=clean_text(line.get("title")),
        extra=tuple(extra),
        qty=clean_text(format_number(line.get("quantity"))),
        price=clean_text(price),
        tax=clean_text(format_percent(line.get("taxRate"))) if line.get("taxRate") is not None else "",
        amount=clean_text(format_money(line.get("netTotal"), currency)),
        grouped=grouped,
    )


def _rows(items: list[Mapping[str, Any]], groups: list[Mapping[str, Any]], currency: str) -> tuple[Row, ...]:
    """Ungrouped lines first, then each group with its lines and subtotal (empty groups are left out)."""
    by_group: dict[str, list[Mapping[str, Any]]] = {text(g.get("id")): [] for g in groups if text(g.get("id"))}
    ungrouped: list[Mapping[str, Any]] = []
    for line in items:
        gid = text(line.get("groupId"))
        (by_group[gid] if gid in by_group else ungrouped).append(line)
    rows: list[Row] = [_line(line, currency, False) for line in ungrouped]
    for group in groups:
        members = by_group.get(text(group.get("id")), [])
        if not members:
            continue
        title = clean_text(group.get("title")) or "Group"
        rows.append(GroupHeading(title, _lines(group.get("description"))))
        rows += [_line(line, currency, True) for line in members]
        net = group.get("netTotal")
        if decimal(net) is None:
            net = str(sum((decimal(m.get("netTotal")) or Decimal(0) for m in members), Decimal(0)))
        label = f"Subtotal {title}" if len(title) <= 40 else "Subtotal"
        rows.append(Subtotal(label, clean_text(format_money(net, currency))))
    return tuple(rows)


def _breakdown(items: list[Mapping[str, Any]], currency: str) -> tuple[tuple[str, str, str], ...]:
    """Net and tax by rate, lowest rate first ("Other" for lines without one)."""
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
    return tuple(
        (clean_text(rate_labels[k]), clean_text(format_money(buckets[k][0], currency)), clean_text(format_money(buckets[k][1], currency)))
        for k in order
    )


def _payment(d: Mapping[str, Any], merchant: Mapping[str, Any], number: str, currency: str) -> tuple[str, tuple[PaymentSection, ...]]:
    """The payment sentence and bank details of an invoice that can still be paid."""
    options_raw = d.get("paymentOptions")
    options = {text(o).upper() for o in options_raw} if isinstance(options_raw, list) else set()
    bank = bank_sections(merchant) if not options or "BANK_TRANSFER" in options else []
    link_hidden = text(mapping(d.get("renderSettings")).get("paymentLinkDisplay")).upper() == "HIDE_PAYMENT_LINK"
    sentences = []
    due = format_date(d.get("dueDate"))
    if due:
        sentences.append(f"Please pay {format_money(d.get('grossTotal'), currency)} by {due}.")
    if number and (bank or due):
        sentences.append(f"Please quote {number} as the payment reference.")
    if "LINK" in options and not link_hidden:
        sentences.append("You can also pay online using the payment link sent with this invoice.")
    return clean_text(" ".join(sentences)), tuple(PaymentSection(clean_text(title), _pairs(rows)) for title, rows in bank)


# --- a document as a file ------------------------------------------------------------------------

#: A document, its line items and its line item groups as the API serialises them: what every
#: renderer (PDF, UBL, Factur-X) takes.
Parts = tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]
PDF = "application/pdf"


def as_json(model: Any) -> dict[str, Any]:
    """A wire model as the API serialises it (camelCase, no nulls)."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")  # type: ignore[no-any-return]


def parts_of(document: Any, lines: Iterable[Any], groups: Iterable[Any]) -> Parts:
    """``Parts`` from the wire models of a document, its lines and its groups."""
    return as_json(document), [as_json(line) for line in lines], [as_json(group) for group in groups]


async def download(
    fmt: str,
    stem: str,
    current_pdf: Callable[[], Awaitable[tuple[str, bytes]]],
    parts: Callable[[], Awaitable[Parts]],
    ubl: Callable[..., bytes],
    facturx: Callable[..., bytes],
) -> tuple[str, str, bytes]:
    """``GET …/download[?format=pdf|ubl|facturx]``: (file name, media type, bytes).

    ``pdf`` is ``current_pdf()`` (the stored one, once numbered); ``ubl`` renders ``parts()`` without a
    PDF; ``facturx`` embeds the PDF. The e-invoice renderers run in a worker thread."""
    if fmt == "pdf":
        filename, pdf = await current_pdf()
        return filename, PDF, pdf
    data = await parts()
    if fmt == "ubl":
        return f"{stem}.xml", "application/xml", await asyncio.to_thread(ubl, *data)
    _, pdf = await current_pdf()
    return f"{stem}.pdf", PDF, await asyncio.to_thread(facturx, *data, pdf)
