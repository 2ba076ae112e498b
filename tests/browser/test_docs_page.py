"""`/docs` in headless Chromium: Swagger UI renders from Quire's own files, and "Authorize" with HTTP Basic
then "Try it out" reaches the API.

Every resource the page loads is checked to come from the server itself (the Resource Timing list), so
the page works with no network. A screenshot is taken on every run (the test's tmp folder).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.support import ApiClient, LiveServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


def _wait(what: str, check, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_docs_render_offline_and_try_it_out_authenticates(server: LiveServer, client: ApiClient,
                                                         browser: WebDriver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    if server.name != "sqlite":
        pytest.skip("one browser run is enough: /docs does not depend on the database (the API leg covers both)")
    client.post("/customers", json={"legalName": "Seen Through Docs Ltd", "email": "ap@seen.example",
                                    "billingEmails": [], "address": {"line1": "1 A St", "town": "Leeds",
                                                                      "postcode": "LS1 1AA", "country": "GB"}})
    browser.get(f"{server.base_url}/docs")
    _wait("the operations", lambda: len(browser.find_elements(By.CSS_SELECTOR, ".opblock")) > 100)
    assert "Quire" in browser.find_element(By.CSS_SELECTOR, ".info .title").text
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert any(r.endswith("/swagger-ui-bundle.js") for r in resources), resources
    assert any(r.endswith("/openapi.json") for r in resources), resources
    here = urlsplit(server.base_url).netloc
    assert [r for r in resources if urlsplit(r).netloc != here] == []
    browser.save_screenshot(str(tmp_path / "docs.png"))

    # Authorize: the HTTP Basic scheme the document declares.
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    _wait("the authorize dialog", lambda: browser.find_elements(By.CSS_SELECTOR, ".auth-container input"))
    credential = client.credential
    assert credential is not None
    username, password = browser.find_elements(By.CSS_SELECTOR, ".auth-container input")[:2]
    username.send_keys(credential.client_id)
    password.send_keys(credential.client_secret)
    browser.find_element(By.CSS_SELECTOR, ".auth-container button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "button.btn-done").click()

    # Try it out on GET /customers: the browser's request carries the credential and lists the customer.
    block = browser.find_element(By.CSS_SELECTOR, "#operations-Customers-getCustomers")
    block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    _wait("try it out", lambda: block.find_elements(By.CSS_SELECTOR, "button.try-out__btn"))
    block.find_element(By.CSS_SELECTOR, "button.try-out__btn").click()
    _wait("execute", lambda: block.find_elements(By.CSS_SELECTOR, "button.execute"))
    block.find_element(By.CSS_SELECTOR, "button.execute").click()
    _wait("the live response", lambda: block.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"))
    status = block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status").text.strip()
    body = block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_description").text
    browser.save_screenshot(str(tmp_path / "docs-try-it-out.png"))
    assert status.startswith("200"), (status, body)
    assert "Seen Through Docs Ltd" in body
