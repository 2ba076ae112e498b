"""What a PDF prints, as plain frozen data: the render layer's only input.

A domain builds a ``DocumentModel`` (``quire.billing_documents.render_model`` builds the invoice's and
the credit note's); ``quire.documents`` renders it and knows nothing else. Every value is text exactly
as printed: formatted, and cleaned with ``clean_text``, so the template only places strings.

A builder is a module-level function from the domain's data to a model. The render pool sends it to
the render process by its qualified name, with its arguments, so the model is built there, off the API
process; ``register`` gives it a name (the ``kind`` the pool also accepts).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: A label and its value (dates, details, payment rows).
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Party:
    name: str = ""
    #: Address lines, then contact lines.
    lines: tuple[str, ...] = ()
    #: Printed smaller, after the lines (tax ID, emails).
    extra: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Line:
    title: str
    #: Description and service period, one printed line each.
    extra: tuple[str, ...]
    qty: str
    price: str
    tax: str
    amount: str
    #: Indented under its group's heading.
    grouped: bool = False


@dataclass(frozen=True, slots=True)
class GroupHeading:
    title: str
    description: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subtotal:
    label: str
    amount: str


#: The line table, in printed order.
Row = Line | GroupHeading | Subtotal


@dataclass(frozen=True, slots=True)
class Totals:
    net: str
    tax: str
    gross: str
    #: The gross total's label.
    label: str


@dataclass(frozen=True, slots=True)
class PaymentSection:
    title: str
    rows: tuple[Pair, ...]


#: The version of the PDF template (``quire/templates/pdf/document.typ``). A finalized invoice or credit
#: note records the version it was frozen with (``quire.billing_documents.snapshot``) and is rendered with
#: that template whenever it is rendered; a render process refuses a version it does not ship. A change
#: to the template that would alter an issued document adds a version and keeps the old template
#: (tests/unit/test_document_snapshot.py holds the template's hash).
TEMPLATE_VERSION = "1"


@dataclass(frozen=True, slots=True)
class DocumentModel:
    #: Document metadata (not printed: kept verbatim, every character).
    title: str
    subject: str
    author: str
    #: The masthead: heading ("Invoice"), number, or an ID line when there is no number.
    heading: str
    number: str
    id_line: str
    #: ``#rrggbb``, readable on white.
    accent: str
    #: Printed across every page ("DRAFT"), or "".
    watermark: str
    #: The header of pages after the first, and the footer.
    running_title: str
    footer: str
    merchant: Party
    #: Beside the heading (issue date, due date).
    dates: tuple[Pair, ...]
    customer: Party
    #: Empty when it is the billing address.
    ship_to: tuple[str, ...]
    details: tuple[Pair, ...]
    rows: tuple[Row, ...]
    #: Tax by rate: (rate, net, tax).
    breakdown: tuple[tuple[str, str, str], ...]
    tax_note: str
    totals: Totals
    memo: tuple[str, ...]
    payment_intro: str
    payment_sections: tuple[PaymentSection, ...]
    #: ISO 8601: the PDF's creation date (fixed input, same bytes).
    created_at: str
    #: An ``http(s)://`` image the render process fetches and prints (``quire.documents.logo``).
    logo_url: str | None = None
    #: The template that prints it (``TEMPLATE_VERSION`` when the document was frozen).
    template_version: str = "1"


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


# --- builders ---------------------------------------------------------------------------------------

#: A module-level function (it travels to the render process by its qualified name) → the model.
Builder = Callable[..., DocumentModel]
_BUILDERS: dict[str, Builder] = {}


def register(kind: str, builder: Builder) -> Builder:
    """Name ``builder`` ``kind``, for callers that name a kind rather than pass its builder."""
    _BUILDERS[kind] = builder
    return builder


def builder_of(kind: str | Builder) -> Builder:
    """The builder registered as ``kind`` (a builder is returned as is)."""
    if callable(kind):
        return kind
    try:
        return _BUILDERS[kind]
    except KeyError:
        raise LookupError(f"no document kind {kind!r} is registered (import the module that builds it)") from None
