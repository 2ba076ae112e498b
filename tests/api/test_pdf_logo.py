"""The merchant's logo in PDFs: fetched from ``logoUrl`` by the render process over real HTTP."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.api.invoice_helpers import action, add_line, new_invoice
from tests.api.test_merchant_settings import MERCHANT
from tests.support import ApiClient, files_served


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (10, 123, 131)).save(out, format="PNG")
    return out.getvalue()


FILES = {"/logo.png": _png(), "/logo.txt": b"this is not an image", "/huge.png": b"\x89PNG\r\n\x1a\n" + b"0" * (2 << 20)}


@pytest.fixture(scope="module")
def logo_host() -> Iterator[str]:
    with files_served(FILES) as base:
        yield base


def _images_on_first_page(client: ApiClient, logo_url: str) -> int:
    assert client.put("/merchant-settings", json={**MERCHANT, "logoUrl": logo_url}).status_code == 200
    invoice = new_invoice(client)  # merchantDetails (with logoUrl) are snapshotted now
    add_line(client, invoice["id"])
    assert action(client, invoice["id"], "finalize").status_code == 200
    response = client.get(f"/invoices/{invoice['id']}/download")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert "Quire Test Ltd" in reader.pages[0].extract_text()
    return len(reader.pages[0].images)


def test_the_logo_is_printed(client: ApiClient, logo_host: str) -> None:
    assert _images_on_first_page(client, f"{logo_host}/logo.png") == 1


@pytest.mark.parametrize("path", ["/logo.txt", "/missing.png", "/huge.png"])
def test_an_unusable_logo_leaves_it_out_and_the_pdf_is_still_made(client: ApiClient, logo_host: str, path: str) -> None:
    assert _images_on_first_page(client, f"{logo_host}{path}") == 0
