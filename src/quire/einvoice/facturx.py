"""Factur-X / ZUGFeRD (profile EN 16931): the invoice PDF as PDF/A-3 with its CII XML embedded.

The embedding (``factur-x.xml`` attachment with ``AFRelationship /Data``, XMP metadata declaring
PDF/A-3B and the Factur-X conformance level) is done by the maintained ``factur-x`` library
(Akretion, BSD). Quire checks the document first (same rules as the UBL file) and then makes the
PDF/A-3 parts that library leaves to the caller:

- every font must be embedded: a PDF that uses a font it does not embed (an invoice stored by the
  fpdf2 renderer Quire used before Typst, on a server without DejaVu) is refused with a 500
  ``EInvoicePdfNotArchivable`` rather than mislabelled;
- an sRGB output intent: Quire's own PDFs are PDF/A-3b from Typst and carry one already; a PDF without
  one (stored by the earlier renderer) gets the ICC's ``sRGB2014.icc``, shipped in ``einvoice/data``;
- the document information dictionary may hold only what the XMP metadata also says, so the
  ``/Keywords`` entry (which ``factur-x`` writes but does not put in XMP) is dropped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from importlib.resources import files
from typing import Any

import facturx as facturx_lib
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from quire.einvoice.build import Rows, build_document
from quire.einvoice.cii import render_cii
from quire.einvoice.errors import EInvoicePdfNotArchivable
from quire.einvoice.model import Document, Kind, Profile

__all__ = ["render_facturx", "render_facturx_credit_note"]

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def _fonts(reader: PdfReader) -> Iterator[DictionaryObject]:
    for page in reader.pages:
        resources = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for ref in (fonts.get_object().values() if fonts is not None else ()):
            font = ref.get_object()
            yield font
            for descendant in font.get("/DescendantFonts", ()):
                yield descendant.get_object()


def unembedded_fonts(pdf_bytes: bytes) -> list[str]:
    """Base names of the fonts the PDF uses without embedding them (PDF/A-3 requires every font embedded)."""
    missing = []
    for font in _fonts(PdfReader(io.BytesIO(pdf_bytes))):
        if font.get("/Subtype") == "/Type0":
            continue  # its descendant carries the font file
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        if not any(key in descriptor for key in _FONT_FILES):
            missing.append(str(font.get("/BaseFont", "?")))
    return sorted(set(missing))


def _srgb_profile() -> bytes:
    """The ICC's sRGB2014 profile (ICC v2; free to copy and embed, see data/sRGB2014.icc.LICENSE)."""
    return files("quire.einvoice").joinpath("data", "sRGB2014.icc").read_bytes()


def _has_pdfa_output_intent(root: Any) -> bool:
    intents = root.get("/OutputIntents")
    return any(i.get_object().get("/S") == "/GTS_PDFA1" for i in (intents.get_object() if intents is not None else ()))


def _archival(pdf_bytes: bytes) -> bytes:
    """Add the sRGB output intent if there is none and drop the info entry XMP does not carry
    (PDF/A-3 §6.2.3, §6.6)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    info = writer._info.get_object() if writer._info is not None else None
    if isinstance(info, DictionaryObject):
        info.pop(NameObject("/Keywords"), None)
    if not _has_pdfa_output_intent(writer.root_object):
        _add_output_intent(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_output_intent(writer: PdfWriter) -> None:
    profile = DecodedStreamObject()
    profile.set_data(_srgb_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/Info"): TextStringObject("sRGB IEC61966-2.1"),
        NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
        NameObject("/DestOutputProfile"): writer._add_object(profile.flate_encode()),
    })
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])


def _embed(doc: Document, xml: bytes, pdf_bytes: bytes) -> bytes:
    missing = unembedded_fonts(pdf_bytes)
    if missing:
        raise EInvoicePdfNotArchivable(
            f"The PDF uses fonts it does not embed ({', '.join(missing)}), so it cannot become PDF/A-3 "
            "(a PDF stored by Quire's earlier renderer on a server without the DejaVu fonts)"
        )
    title = f"{doc.seller.name}: {'Invoice' if doc.kind is Kind.INVOICE else 'Credit note'} {doc.number}"
    metadata = {
        "author": doc.seller.name,
        "title": title,
        "subject": f"{title} issued {doc.issue_date.isoformat()}",
    }
    result: bytes = facturx_lib.generate_from_binary(
        pdf_bytes, xml, flavor="factur-x", level="en16931", check_xsd=True, check_schematron=False,
        pdf_metadata=metadata, lang="en-GB",
    )
    return _archival(result)


def _facturx(kind: Kind, document_json: Mapping[str, Any], lines_json: Rows, groups_json: Rows, pdf_bytes: bytes) -> bytes:
    doc = build_document(kind, document_json, lines_json, groups_json, Profile.EN16931)
    return _embed(doc, render_cii(doc), pdf_bytes)


def render_facturx(invoice_json: Mapping[str, Any], lines_json: Rows, groups_json: Rows, pdf_bytes: bytes) -> bytes:
    """``pdf_bytes`` (the invoice's own PDF) as a Factur-X EN 16931 PDF/A-3 with the CII XML inside."""
    return _facturx(Kind.INVOICE, invoice_json, lines_json, groups_json, pdf_bytes)


def render_facturx_credit_note(credit_note_json: Mapping[str, Any], lines_json: Rows, groups_json: Rows, pdf_bytes: bytes) -> bytes:
    """The credit note's PDF as a Factur-X EN 16931 PDF/A-3 (CII type code 381) with the XML inside."""
    return _facturx(Kind.CREDIT_NOTE, credit_note_json, lines_json, groups_json, pdf_bytes)
