"""The frozen inputs of a finalized document (quire.billing_documents.snapshot)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from quire.billing_documents.snapshot import as_frozen, frozen_fields
from quire.documents.model import TEMPLATE_VERSION

TEMPLATE = Path(__file__).resolve().parents[2] / "src" / "quire" / "templates" / "pdf" / "document.typ"
#: The template each version prints with. A document frozen with a version is rendered with it whenever
#: its stored copy is made: changing document.typ in a way that alters an issued document needs a new
#: version (and the old template kept), not an edit of this hash.
SHIPPED = {"1": "239609113055bc551172d86dbc95855d62340290a7ec13618ce0f5c193ef23be"}


def test_the_current_template_is_the_one_its_version_names() -> None:
    assert hashlib.sha256(TEMPLATE.read_bytes()).hexdigest() == SHIPPED[TEMPLATE_VERSION]


def test_a_stored_copy_prints_as_issued_or_voided_with_the_frozen_fields() -> None:
    doc = {"status": "VOIDED", "customerTaxStatus": "TAX_EXEMPT", "invoiceNumber": "INV00001"}
    snapshot = {"templateVersion": "1", "locale": "en_GB", "document": {"customerTaxStatus": "TAXED"}}
    issued = as_frozen(doc, snapshot, "ISSUED")
    assert issued == {"status": "FINAL", "customerTaxStatus": "TAXED", "invoiceNumber": "INV00001",
                      "templateVersion": "1", "locale": "en_GB"}
    assert as_frozen(doc, snapshot, "VOIDED")["status"] == "VOIDED"
    assert as_frozen(doc, None, "ISSUED") == {**doc, "status": "FINAL"}  # numbered before snapshots
    assert frozen_fields(None) == {} and frozen_fields({"document": "odd"}) == {}
