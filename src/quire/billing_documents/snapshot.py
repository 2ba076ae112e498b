"""What a finalized document's files are a function of, frozen in the finalizing transaction.

An invoice's or credit note's PDF, and its e-invoices (UBL, Factur-X), are rendered from the document's
own row, lines and groups, which cannot change once it is numbered, and from what the row does not hold:
those inputs are written to ``document_snapshot`` when the number is assigned (``freeze``), in the same
transaction. The stored PDF can then be rendered at any later time (a job of the queue, or the first
download: ``quire.core.stored_documents``) and be the same document, whatever happened to the merchant
settings, the customer or Quire's renderer in between. docs/delivery.md#what-is-frozen lists every input.

Already frozen on the row, copied when the document was created and never editable after it is
numbered: ``merchantDetails`` (name, address, contact, tax id, bank details, ``logoUrl``, colour, custom
fields), the customer's name, addresses, emails and tax id, ``renderSettings``, ``paymentOptions``,
the memo. Frozen here: the template's version, the locale, and ``document``: fields the renderers
read that are looked up elsewhere (a credit note's ``customerTaxStatus``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from quire.billing_documents.formatting import LOCALE
from quire.documents import render_pdf_async
from quire.documents.model import TEMPLATE_VERSION, Builder

#: The status each stored document prints as: an ISSUED copy is the document as issued, whatever
#: happened to it since (sent, paid, voided); a VOIDED copy carries the VOID mark.
PRINTED_STATUS = {"ISSUED": "FINAL", "VOIDED": "VOIDED"}


class Frozen(Protocol):
    document_snapshot: dict[str, Any] | None


def freeze(doc: Frozen, **document: Any) -> None:
    """Record the inputs of ``doc``'s files that its row does not hold (in the numbering transaction).
    ``document``: API fields to print as they are now (``customerTaxStatus=…``)."""
    doc.document_snapshot = {"templateVersion": TEMPLATE_VERSION, "locale": LOCALE, "document": document}


def frozen_fields(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """The API fields the snapshot fixes ({} for a document numbered before snapshots existed)."""
    if not snapshot:
        return {}
    document = snapshot.get("document")
    return dict(document) if isinstance(document, dict) else {}


def as_frozen(doc: dict[str, Any], snapshot: dict[str, Any] | None, stored_kind: str) -> dict[str, Any]:
    """The document JSON a stored copy (``ISSUED`` or ``VOIDED``) is rendered from: the row's JSON with
    the snapshot's fields, template version and locale, and the status that copy prints."""
    out = {**doc, **frozen_fields(snapshot), "status": PRINTED_STATUS[stored_kind]}
    if snapshot:
        out["templateVersion"] = snapshot.get("templateVersion", TEMPLATE_VERSION)
        out["locale"] = snapshot.get("locale", LOCALE)
    return out


def pdf_render(
    builder: Builder, parts: tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]],
    snapshot: dict[str, Any] | None, stored_kind: str | None,
) -> Callable[[], Awaitable[bytes]]:
    """The render of a document's PDF from its parts (read beforehand: the render needs no session):
    as it is now when ``stored_kind`` is None (a draft), else that stored copy from the frozen inputs."""
    doc, lines, groups = parts
    if stored_kind is not None:
        doc = as_frozen(doc, snapshot, stored_kind)
    return lambda: render_pdf_async(builder, doc, lines, groups)
