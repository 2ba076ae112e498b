"""The customer portal (/portal/{token}) in a real browser: Debian's headless Chromium, driven by Selenium.

The server is ``mail_server`` (tests/conftest.py), whose QUIRE_PUBLIC_URL is its own address, so the
browser opens the very URL that ``POST /customers/{id}/portal-link/rotate`` answers. Checked on what the
browser renders: only the customer's SENT invoices (outstanding, overdue, paid), their links, credits and
the usage chart; the page styled (the CSP lets its one stylesheet in by hash), used with the keyboard
alone, on a phone's width; a rotated link and a disabled portal are the browser's 404 page.

Screenshots (desktop and 375 px phone of the invoices, desktop of the usage) are taken on every run; with
QUIRE_WRITE_DOC_IMAGES=1 the SQLite leg writes docs/images/portal.png, portal-mobile.png and
portal-usage.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.portal_helpers import MERCHANT, portal_world, rotate
from tests.browser.test_hosted_page import open_page, screenshot, viewport, visible_text, write_doc_image
from tests.support import ApiClient, LiveServer, SmtpSink

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

TITLE = "{} · Globex Corporation · Quire Demo Ltd"


@pytest.fixture
def api(mail_server: tuple[LiveServer, SmtpSink]) -> Any:
    live, _ = mail_server
    with ApiClient(live.base_url, live.new_account("Quire Demo", merchant_settings=MERCHANT)) as client:
        yield client


def no_sideways_scroll(browser: WebDriver) -> None:
    page_width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert page_width <= inner, f"the page scrolls sideways: {page_width} > {inner}"


def focused(browser: WebDriver) -> str:
    return str(browser.execute_script("return document.activeElement.id || document.activeElement.textContent.trim()"))


def test_the_portal_shows_only_the_customers_sent_invoices(mail_server: tuple[LiveServer, SmtpSink], api: ApiClient,
                                                            browser: WebDriver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    live, _ = mail_server
    world = portal_world(api)
    url = rotate(api, world["customer"]["id"])
    assert url.startswith(f"{live.base_url}/portal/")  # QUIRE_PUBLIC_URL is this server: the URL as handed out
    numbers = {name: invoice.get("invoiceNumber") for name, invoice in world["invoices"].items()}

    viewport(browser, 1280, 900)
    assert open_page(browser, url) == 200
    assert browser.title == TITLE.format("Invoices")
    text = visible_text(browser)
    for name in ("overdue", "outstanding", "paid"):
        assert numbers[name].casefold() in text, name
    for name in ("final", "voided", "other"):  # FINAL not sent, VOIDED, another customer's (same account)
        assert numbers[name].casefold() not in text, name
    for gone in ("draft", "void", "initech", "£133.20", "£266.40", "£799.20", "£932.40 +"):
        assert gone not in text, gone
    for shown in ("£932.40", "£532.80", "£399.60", "£666.00", "days overdue", "Globex Corporation"):
        assert shown.casefold() in text, shown
    # Each listed invoice links to its hosted page and its PDF, which open.
    views = browser.find_elements(By.LINK_TEXT, "View")
    pdfs = browser.find_elements(By.LINK_TEXT, "PDF")
    assert len(views) == len(pdfs) == 3
    hrefs = [a.get_attribute("href") for a in views]
    assert all(h.startswith(f"{live.base_url}/i/") for h in hrefs)
    assert [p.get_attribute("href") for p in pdfs] == [f"{h}/pdf" for h in hrefs]
    # Styled: the CSP lets the page's one stylesheet in by its hash (it would be blocked otherwise).
    current = browser.find_element(By.CSS_SELECTOR, "nav a[aria-current='page']")
    assert current.text == "Invoices" and current.value_of_css_property("background-color") == "rgba(10, 92, 115, 1)"
    desktop = screenshot(browser, 1280, tmp_path / "portal.png")

    views[0].click()  # the hosted page of the first overdue invoice
    assert browser.title.startswith(f"Invoice {numbers['overdue']}")
    browser.back()

    # The keyboard alone: the skip link first, then the navigation; Enter follows a link.
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    viewport(browser, 1280, 900)
    assert open_page(browser, url) == 200
    keys = ActionChains(browser)
    keys.send_keys(Keys.TAB).perform()
    assert focused(browser) == "Skip to content"
    keys.send_keys(Keys.ENTER).perform()
    assert focused(browser) == "main"
    assert open_page(browser, url) == 200
    for expected in ("Skip to content", "Invoices", "Credits"):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        assert focused(browser) == expected
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    assert browser.current_url == f"{url}/credits"

    assert browser.title == TITLE.format("Credits")
    text = visible_text(browser)
    assert "welcome credit 50" in text and "£50.00" in text
    assert "welcome credit 90" not in text and "£90.00" not in text

    assert open_page(browser, f"{url}/usage") == 200
    assert browser.title == TITLE.format("Usage")
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    assert len(bars) == 6 and all(bar.is_displayed() for bar in bars[-2:])
    heights = [float(bar.get_attribute("height")) for bar in bars]
    assert heights[-1] > heights[-2] > 0  # 3 calls this month, 2 the month before (the other customer's 9 not)
    assert bars[-1].value_of_css_property("fill") == "rgb(10, 92, 115)"
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "table.rows tbody tr")]
    assert rows[-2].endswith(" 2") and rows[-1].endswith(" 3") and not any(r.endswith(" 9") for r in rows)
    usage = screenshot(browser, 1280, tmp_path / "portal-usage.png")

    # A phone: 375 CSS px, nothing scrolls sideways, the invoices still readable.
    viewport(browser, 375, 812, mobile=True, scale=2)
    for suffix in ("", "/credits", "/usage"):
        assert open_page(browser, f"{url}{suffix}") == 200
        assert browser.execute_script("return window.innerWidth") == 375
        no_sideways_scroll(browser)
    assert open_page(browser, url) == 200
    text = visible_text(browser)
    for shown in (numbers["overdue"], numbers["paid"], "£532.80", "Outstanding"):
        assert shown.casefold() in text, shown
    mobile = screenshot(browser, 375, tmp_path / "portal-mobile.png", mobile=True, scale=2)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    for image, name in ((desktop, "portal.png"), (mobile, "portal-mobile.png"), (usage, "portal-usage.png")):
        write_doc_image(live, image, name)


def test_a_rotated_link_and_a_disabled_portal_are_404(api: ApiClient, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    world = portal_world(api, "Umbrella plc")
    cid = world["customer"]["id"]
    old = rotate(api, cid)
    viewport(browser, 1280, 900)
    assert open_page(browser, old) == 200
    new = rotate(api, cid)

    for dead in (old, f"{old}/credits", f"{old}/usage"):
        assert open_page(browser, dead) == 404
        assert browser.title == "Page not found"
        text = visible_text(browser)
        assert "umbrella" not in text and "quire demo" not in text and "invoice" not in text
    assert open_page(browser, new) == 200 and "umbrella plc" in visible_text(browser)

    # This customer's link turned off: 404; a new rotation brings a working one.
    assert api.post(f"/customers/{cid}/portal-link/disable").status_code == 200
    assert open_page(browser, new) == 404 and browser.title == "Page not found"
    revived = rotate(api, cid)
    assert open_page(browser, revived) == 200

    # The account's portal turned off: every link is the same 404, until it is turned on again.
    settings = api.get("/merchant-settings").json()
    assert api.put("/merchant-settings", json={**settings, "customerPortalEnabled": False}).status_code == 200
    assert open_page(browser, revived) == 404
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"
    assert api.put("/merchant-settings", json={**settings, "customerPortalEnabled": True}).status_code == 200
    assert open_page(browser, revived) == 200
