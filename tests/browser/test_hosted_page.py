"""The hosted invoice page (/i/{token}) in a real browser: headless Chromium, driven by Selenium.

The server is ``mail_server`` (tests/conftest.py), whose QUIRE_PUBLIC_URL is its own address, so the
browser opens the very URL that ``GET /invoices/{id}/hosted-link`` returns and that emails carry. The
checks are on what the browser renders: visible text, the layout at a phone's width, a PDF downloaded
by clicking the button, the page a rotated-away link gives.

Screenshots (desktop and 375 px mobile) are taken on every run; with QUIRE_WRITE_DOC_IMAGES=1 they
are also written to docs/images/hosted-page.png and docs/images/hosted-page-mobile.png.
"""

from __future__ import annotations

import os
import time
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader

from tests.api.invoice_helpers import action, add_example_lines, new_customer, new_invoice
from tests.factories import address
from tests.support import ApiClient, LiveServer, SmtpSink

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Quire Demo Ltd", "email": "billing@quire-demo.example", "phoneNumber": "+44 20 7946 0000",
    "taxId": "GB980780684", "address": address(line1="2 New Street", town="London", postcode="EC2M 4TP"),
    "iban": "GB33BUKB20201555555555", "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
    "primaryColour": "#0A5C73", "paymentTermsDays": 30,
}
PAYMENT_LINK = "You can also pay online using the payment link sent with this invoice."


@pytest.fixture
def api(mail_server: tuple[LiveServer, SmtpSink]) -> Any:
    live, _ = mail_server
    with ApiClient(live.base_url, live.new_account("Quire Demo", merchant_settings=MERCHANT)) as client:
        yield client


def finalized(client: ApiClient) -> dict[str, Any]:
    """A finalized invoice with ungrouped and grouped lines, a discount, a memo, bank details and the
    payment link enabled: £1,200.00 + £200.00 + £72.18 + £3,500.00 (0.7 % of 500,000) − £150.00."""
    customer = new_customer(client, legalName="Globex Corporation",
                            address=address(line1="Globex House", line2="1 Cypress Creek Road", town="Cheshire",
                                            postcode="CW1 1AA"))
    invoice = new_invoice(client, customer=customer, paymentOptions=["BANK_TRANSFER", "LINK"],
                          purchaseOrderNumber="PO-4471", reference="October usage",
                          billingPeriod={"start": "2024-10-01", "endInclusive": "2024-10-31"},
                          memo="Thank you for your business.\nQuestions? Reply to this email.")
    iid = invoice["id"]
    add_example_lines(client, iid, "October 2024")
    response = action(client, iid, "finalize")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def hosted_url(client: ApiClient, invoice_id: str) -> str:
    response = client.get(f"/invoices/{invoice_id}/hosted-link")
    assert response.status_code == 200, response.text
    return response.json()["url"]  # type: ignore[no-any-return]


def open_page(browser: WebDriver, url: str) -> int:
    """Navigates to ``url`` and returns the HTTP status the browser got for the document."""
    browser.get(url)
    status = browser.execute_script("return performance.getEntriesByType('navigation')[0].responseStatus")
    return int(status)


def visible_text(browser: WebDriver) -> str:
    from selenium.webdriver.common.by import By

    # WebDriver's text is the rendered, visible text (headings as CSS upper-cases them): compare casefolded
    return str(browser.find_element(By.TAG_NAME, "body").text).casefold()


def viewport(browser: WebDriver, width: int, height: int, *, mobile: bool = False, scale: float = 1) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})


def screenshot(browser: WebDriver, width: int, path: Path, *, mobile: bool = False, scale: float = 1) -> Image.Image:
    """A full-page PNG at ``width`` CSS pixels, saved to ``path``."""
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    viewport(browser, width, height, mobile=mobile, scale=scale)
    browser.save_screenshot(str(path))
    image = Image.open(path)
    image.load()
    assert image.size == (round(width * scale), round(height * scale)), image.size
    grey = image.convert("L")
    assert sum(grey.histogram()[:128]) > grey.width * grey.height * 0.005  # text on it, not a blank page
    return image


def write_doc_image(live: LiveServer, image: Image.Image, name: str) -> None:
    """With QUIRE_WRITE_DOC_IMAGES=1, on the SQLite leg: ``docs/images/<name>``."""
    if os.environ.get("QUIRE_WRITE_DOC_IMAGES") == "1" and live.name.startswith("sqlite"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        # 128 colours, undithered: a third of the size, no visible difference on a flat page
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(DOCS_IMAGES / name, optimize=True)


def wait_for_file(folder: Path, suffix: str, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done and not any(p.name.endswith(".crdownload") for p in folder.iterdir()):
            return done[0]
        time.sleep(0.05)
    raise AssertionError(f"no {suffix} file downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_hosted_page_desktop_pdf_and_mobile(mail_server: tuple[LiveServer, SmtpSink], api: ApiClient,
                                            browser: WebDriver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    live, _ = mail_server
    invoice = finalized(api)
    number = invoice["invoiceNumber"]
    url = hosted_url(api, invoice["id"])
    assert url.startswith(f"{live.base_url}/i/")  # QUIRE_PUBLIC_URL is this server: the URL as emailed

    # --- desktop ---
    viewport(browser, 1280, 900)
    assert open_page(browser, url) == 200
    assert browser.title == f"Invoice {number} · Quire Demo Ltd"
    text = visible_text(browser)
    for expected in (
        f"Invoice {number}", "Quire Demo Ltd", "Globex Corporation", "Globex House", "PO-4471", "October usage",
        "Platform fee", "API calls", "Tier 2: 100,001 +", "Transaction fees", "0.7%", "Loyalty discount",
        "Usage", "£3,772.18",  # the group's subtotal
        "£4,822.18", "£964.44", "£5,786.62",  # net, tax, gross
        "Payment details", "GB33 BUKB 2020 1555 5555 55", "20-20-15", "55555555", PAYMENT_LINK,
        "Thank you for your business.",
    ):
        assert expected.casefold() in text, expected
    assert "void" not in text and "paid" not in text
    amount = browser.find_element(By.CSS_SELECTOR, "header .amount")
    assert amount.is_displayed() and amount.text == "£5,786.62"
    desktop = screenshot(browser, 1280, tmp_path / "hosted-page.png")

    # The button downloads the PDF: a real click, a real download into a folder, the stored document.
    viewport(browser, 1280, 900)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    button = browser.find_element(By.LINK_TEXT, "Download PDF")
    assert button.is_displayed() and button.get_attribute("href") == f"{url}/pdf"
    button.click()
    try:
        downloaded = wait_for_file(downloads, ".pdf")
    except AssertionError as exc:  # say what the server answered
        answer = httpx.get(f"{url}/pdf", timeout=30)
        raise AssertionError(f"{exc}; GET {url}/pdf answers {answer.status_code} {answer.text[:300]!r}") from None
    assert downloaded.name == f"{number}.pdf"
    content = downloaded.read_bytes()
    assert content.startswith(b"%PDF-") and content == api.get(f"/invoices/{invoice['id']}/download").content
    assert number in pdf_text(content) and "5,786.62" in pdf_text(content)
    assert browser.current_url == url  # an attachment: the page stays

    # --- a phone: 375 CSS px, honouring the viewport meta tag ---
    viewport(browser, 375, 812, mobile=True, scale=2)
    assert open_page(browser, url) == 200
    assert browser.execute_script("return window.innerWidth") == 375
    overflow = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('.table-wrap').scrollWidth, document.querySelector('.table-wrap').clientWidth]")
    page_width, inner, table_width, table_box = overflow
    assert page_width <= inner, f"the page scrolls sideways at 375 px: {page_width} > {inner}"
    assert table_width <= table_box, f"the lines table scrolls sideways at 375 px: {table_width} > {table_box}"
    text = visible_text(browser)
    for expected in ("Globex Corporation", "Transaction fees", "£5,786.62", "GB33 BUKB 2020 1555 5555 55"):
        assert expected.casefold() in text, expected
    assert browser.find_element(By.LINK_TEXT, "Download PDF").is_displayed()
    mobile = screenshot(browser, 375, tmp_path / "hosted-page-mobile.png", mobile=True, scale=2)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    for image, name in ((desktop, "hosted-page.png"), (mobile, "hosted-page-mobile.png")):
        write_doc_image(live, image, name)


def test_voided_invoice_shows_void_and_no_payment_details(api: ApiClient, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    invoice = finalized(api)
    url = hosted_url(api, invoice["id"])
    assert action(api, invoice["id"], "void").status_code == 200
    viewport(browser, 1280, 900)
    assert open_page(browser, url) == 200  # the same link, now showing the void invoice
    badge = browser.find_element(By.CSS_SELECTOR, "h1 .badge")
    assert badge.is_displayed() and badge.text == "VOID"
    text = visible_text(browser)
    assert "This invoice has been voided. No payment is due.".casefold() in text
    for gone in ("Payment details", "GB33 BUKB", PAYMENT_LINK, "Amount due"):
        assert gone.casefold() not in text, gone
    href = browser.find_element(By.LINK_TEXT, "Download PDF").get_attribute("href")
    pdf = httpx.get(href, timeout=30)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "VOID" in pdf_text(pdf.content)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_rotated_link_is_not_found_in_the_browser(api: ApiClient, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    invoice = finalized(api)
    old = hosted_url(api, invoice["id"])
    assert open_page(browser, old) == 200
    rotated = api.post(f"/invoices/{invoice['id']}/hosted-link/rotate")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["url"]
    assert new != old

    assert open_page(browser, old) == 404  # the browser asks for HTML, and gets the not-found page
    assert browser.title == "Invoice not found"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Invoice not found"
    assert invoice["invoiceNumber"].casefold() not in visible_text(browser)
    assert open_page(browser, f"{old}/pdf") == 404

    assert open_page(browser, new) == 200
    assert f"Invoice {invoice['invoiceNumber']}".casefold() in visible_text(browser)

    draft = new_invoice(api)  # drafts have no page at all
    assert api.get(f"/invoices/{draft['id']}/hosted-link").status_code == 404
