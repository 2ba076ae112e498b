"""The console (/console) in a real browser: headless Chromium driven by Selenium, on SQLite and PostgreSQL.

A user signs in through the form, creates a customer, creates and finalizes an invoice, voids it, credits
another, and reads the overview, whose figures are checked against the API's own lists. Then every console
URL pattern is tried with another account's ids, pages by navigation and actions by a form post from the
page, and each must answer 404.

Screenshots of the overview and an invoice (desktop 1280 px, phone 375 px) are taken on every run; with
QUIRE_WRITE_DOC_IMAGES=1 they are also written to docs/images/console-*.png (from the SQLite run).
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

from tests.api.invoice_helpers import (
    action,
    add_example_lines,
    add_line,
    new_customer,
    new_invoice,
)
from tests.browser.test_hosted_page import (
    DOCS_IMAGES,
    MERCHANT,
    open_page,
    screenshot,
    viewport,
    visible_text,
)
from tests.console_support import PASSWORD, account_urls, new_user, objects_of
from tests.support import ApiClient, LiveServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement


@pytest.fixture
def api(server: LiveServer) -> Any:
    with ApiClient(server.base_url, server.new_account("Quire Demo", merchant_settings=MERCHANT)) as client:
        yield client


def submit(browser: WebDriver, element: WebElement) -> None:
    """Click ``element`` and wait for the next page to load: a mark left on the old page's ``window`` is gone
    from the new one. (Waiting for the old ``<html>`` element to go stale raced Chrome's navigation: CI once
    got 'Node with given id does not belong to the document' from that check, not a stale element.)"""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.quireOldPage = true")
    element.click()
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(lambda b: b.execute_script(
        "return window.quireOldPage !== true && document.readyState === 'complete'"))


def fill(browser: WebDriver, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        field = browser.find_element(By.ID, name)
        if field.tag_name == "select":
            Select(field).select_by_visible_text(value)
        else:
            field.clear()
            field.send_keys(value)
        # every field has a label naming it
        assert browser.find_elements(By.CSS_SELECTOR, f"label[for='{name}']"), name


def sign_in(browser: WebDriver, base_url: str, email: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base_url}/console/")
    browser.delete_all_cookies()  # one profile for the whole run: start signed out
    assert open_page(browser, f"{base_url}/console/") == 200  # the sign-in page, after a redirect
    assert browser.title == "Sign in · Quire console"
    fill(browser, {"email": email, "password": PASSWORD})
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert browser.title == "Overview · Quire console", visible_text(browser)[:300]


def confirm(browser: WebDriver, name: str) -> None:
    """The action button on a document's page, then the confirmation page's button."""
    from selenium.webdriver.common.by import By

    submit(browser, browser.find_element(By.CSS_SELECTOR, f"#actions [data-action='{name}']"))
    assert browser.title.endswith("?· Quire console".replace("?·", "? ·")), browser.title
    submit(browser, browser.find_element(By.ID, "confirm"))


def actions_shown(browser: WebDriver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [a.get_attribute("data-action") for a in browser.find_elements(By.CSS_SELECTOR, "#actions [data-action]")]


def new_draft(browser: WebDriver, customer_url: str, lines: list[dict[str, str]]) -> str:
    """From the customer's page: New invoice, GBP, then its lines; returns the invoice's console URL."""
    from selenium.webdriver.common.by import By

    browser.get(customer_url)
    submit(browser, browser.find_element(By.LINK_TEXT, "New invoice"))
    fill(browser, {"currency": "GBP"})
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.title == "Invoice (draft) · Quire console"
    for line in lines:
        fill(browser, line)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "#add-line button"))
    return str(browser.current_url)


def test_sign_in_create_finalize_void_credit_and_overview(server: LiveServer, api: ApiClient, browser: WebDriver,
                                                          tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    account = api.credential.account_id
    base = f"{server.base_url}/console/a/{account}"
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, account))

    # A customer, through the form.
    browser.get(f"{base}/customers")
    submit(browser, browser.find_element(By.LINK_TEXT, "New customer"))
    fill(browser, {"legalName": "Globex Corporation", "email": "ap@globex.example.com", "line1": "Globex House",
                   "town": "Cheshire", "postcode": "CW1 1AA", "country": "GB"})
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.title == "Globex Corporation · Quire console"
    customer_url = str(browser.current_url)
    customer_id = browser.find_element(By.ID, "customer-id").text
    assert api.get(f"/customers/{customer_id}").json()["legalName"] == "Globex Corporation"

    # An invoice: created, a line added, finalized, then voided; each step confirmed.
    first = new_draft(browser, customer_url, [{"title": "Platform fee", "quantity": "1", "rate": "1200", "taxRate": "0.2"}])
    invoice_id = first.rsplit("/", 1)[1]
    assert actions_shown(browser) == ["finalize", "void"]
    assert browser.find_element(By.CSS_SELECTOR, "[data-figure=gross]").text == "£1,440.00"
    confirm(browser, "finalize")
    number = api.get(f"/invoices/{invoice_id}").json()["invoiceNumber"]
    assert browser.title == f"Invoice {number} · Quire console"
    assert actions_shown(browser) == ["send", "void", "mark-paid", "credit"]
    confirm(browser, "void")
    assert api.get(f"/invoices/{invoice_id}").json()["status"] == "VOIDED"
    assert actions_shown(browser) == [] and "voided" in visible_text(browser)

    # Another, credited in full: a draft credit note with the invoice's lines, then finalized.
    second = new_draft(browser, customer_url, [{"title": "Seats", "quantity": "3", "rate": "100", "taxRate": "0.2"}])
    confirm(browser, "finalize")
    confirm(browser, "credit")
    assert browser.title == "Credit note (draft) · Quire console"
    note_id = str(browser.current_url).rsplit("/", 1)[1]
    confirm(browser, "finalize")
    note = api.get(f"/credit-notes/{note_id}").json()
    assert note["status"] == "FINAL" and note["invoiceId"] == second.rsplit("/", 1)[1]
    assert note["grossTotal"] == "360.00" and browser.title == f"Credit note {note['creditNoteNumber']} · Quire console"

    # More for the overview, through the API: one paid, one overdue, one in another currency.
    paid = new_invoice(api, customer=new_customer(api))
    add_line(api, paid["id"], quantity="2", rate="250", taxRate="0")
    assert action(api, paid["id"], "finalize").status_code == 200
    assert api.put(f"/invoices/{paid['id']}/payment-status", json={"paymentStatus": "PAID"}).status_code == 200
    overdue = new_invoice(api, dueDate=(date.today() - timedelta(days=3)).isoformat())
    add_line(api, overdue["id"], quantity="1", rate="99.99", taxRate="0.2")
    assert action(api, overdue["id"], "finalize").status_code == 200
    euro = new_invoice(api, currency="EUR")
    add_line(api, euro["id"], quantity="1", rate="10", taxRate="0")
    assert action(api, euro["id"], "finalize").status_code == 200
    showcase = new_invoice(api, customer=new_customer(api, legalName="Initech Ltd"), purchaseOrderNumber="PO-4471",
                           memo="Thank you for your business.")
    add_example_lines(api, showcase["id"], "October 2024")
    assert action(api, showcase["id"], "finalize").status_code == 200

    browser.get(f"{base}/")
    assert browser.title == "Overview · Quire console"
    check_overview_against_the_api(browser, api)

    overview_png = screenshot(browser, 1280, tmp_path / "console-overview.png")
    browser.get(f"{base}/invoices/{showcase['id']}")
    WebDriverWait_iframe(browser)
    invoice_png = screenshot(browser, 1280, tmp_path / "console-invoice.png")
    phone = {}
    for name, url in (("overview", f"{base}/"), ("invoice", f"{base}/invoices/{showcase['id']}")):
        viewport(browser, 375, 812, mobile=True, scale=2)
        assert open_page(browser, url) == 200
        width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"the {name} page scrolls sideways at 375 px: {width} > {inner}"
        if name == "invoice":
            WebDriverWait_iframe(browser)
        phone[name] = screenshot(browser, 375, tmp_path / f"console-{name}-mobile.png", mobile=True, scale=2)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    if os.environ.get("QUIRE_WRITE_DOC_IMAGES") == "1" and server.name.startswith("sqlite"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for image, name in ((overview_png, "console-overview.png"), (invoice_png, "console-invoice.png"),
                            (phone["overview"], "console-overview-mobile.png"),
                            (phone["invoice"], "console-invoice-mobile.png")):
            small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            small.save(DOCS_IMAGES / name, optimize=True)


def WebDriverWait_iframe(browser: WebDriver) -> None:
    """Wait until the framed document (the invoice as it prints) has rendered its lines."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "const f = document.querySelector('iframe.document');"
        "return !!(f && f.contentDocument && f.contentDocument.readyState === 'complete'"
        " && f.contentDocument.body && f.contentDocument.body.innerText.length > 50)"))


def all_invoices(api: ApiClient) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        page = api.get("/invoices", params={"limit": 100, **({"after": after} if after else {})}).json()
        found += page["items"]
        after = page.get("pagination", {}).get("after")
        if not after or not page["items"]:
            return found


def minor(amount: str) -> int:
    whole, _, cents = amount.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2]) if not amount.startswith("-") else -minor(amount[1:])


def check_overview_against_the_api(browser: WebDriver, api: ApiClient) -> None:
    """Every figure of the overview equals the same sum over ``GET /invoices``."""
    from selenium.webdriver.common.by import By

    today = date.today()
    first_month = (today.replace(day=1) - timedelta(days=330)).replace(day=1)
    expected: dict[tuple[str, str, str], int] = defaultdict(int)
    overdue: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for invoice in all_invoices(api):
        if invoice["status"] not in ("FINAL", "SENT") or invoice["currency"] not in ("GBP", "EUR"):
            continue
        issued = date.fromisoformat(invoice["issueDate"])
        month, gross, payment = issued.strftime("%Y-%m"), minor(invoice["totalGross"] if "totalGross" in invoice else invoice["grossTotal"]), invoice["paymentStatus"]
        if issued >= first_month:
            expected[(invoice["currency"], month, "invoiced")] += gross
            if payment == "PAID":
                expected[(invoice["currency"], month, "collected")] += gross
            elif payment not in ("UNCOLLECTIBLE",):
                expected[(invoice["currency"], month, "outstanding")] += gross
        if payment not in ("PAID", "UNCOLLECTIBLE") and date.fromisoformat(invoice["dueDate"]) < today:
            overdue[invoice["currency"]][0] += 1
            overdue[invoice["currency"]][1] += gross
    shown: dict[tuple[str, str, str], int] = {}
    for section in browser.find_elements(By.CSS_SELECTOR, "section[data-currency]"):
        currency = section.get_attribute("data-currency")
        for row in section.find_elements(By.CSS_SELECTOR, "tr[data-month]"):
            for cell in row.find_elements(By.CSS_SELECTOR, "td[data-series]"):
                value = int(cell.get_attribute("data-minor"))
                if value:
                    shown[(currency, row.get_attribute("data-month"), cell.get_attribute("data-series"))] = value
    assert shown == {k: v for k, v in expected.items() if v}, (shown, dict(expected))
    assert {c for c, _, _ in shown} == {"GBP", "EUR"}
    # The visible totals are the sums of the months; the overdue line matches the API's count and sum.
    gbp = browser.find_element(By.CSS_SELECTOR, "section[data-currency=GBP] [data-figure=invoiced]")
    assert int(gbp.get_attribute("data-minor")) == sum(v for (c, _, s), v in expected.items() if c == "GBP" and s == "invoiced")
    shown_overdue = {e.get_attribute("data-overdue-currency"): [int(e.get_attribute("data-count")), int(e.get_attribute("data-minor"))]
                     for e in browser.find_elements(By.CSS_SELECTOR, "[data-overdue-currency]")}
    assert shown_overdue == dict(overdue) and shown_overdue["GBP"] == [1, 11999]
    listed = api.get("/invoices", params={"invoiceStatus": "FINAL,SENT", "invoicePaymentStatus": "UNPAID,PARTIALLY_PAID,FAILED",
                                          "dueBefore": (today - timedelta(days=1)).isoformat()}).json()["items"]
    assert len(listed) == sum(n for n, _ in overdue.values())


def test_another_accounts_pages_and_actions_are_404_in_the_browser(server: LiveServer, api: ApiClient,
                                                                  browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    mine = api.credential.account_id
    with ApiClient(server.base_url, server.new_account("Someone else")) as other:
        theirs = other.credential.account_id
        their_ids = objects_of(other)
        viewport(browser, 1280, 900)
        sign_in(browser, server.base_url, new_user(server, mine))
        csrf = browser.find_element(By.CSS_SELECTOR, "form.signout input[name=csrf]").get_attribute("value")
        checked = 0
        for method, path, url in account_urls(mine, theirs, their_ids):
            if method == "GET":
                status = open_page(browser, server.base_url + url)
                assert "Not found" in browser.title or status == 404, (url, browser.title)
            else:  # the action's form, posted by the page with this session's CSRF token
                browser.get(f"{server.base_url}/console/a/{mine}/")
                status = browser.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "fetch(arguments[0], {method: 'POST', body: new URLSearchParams({csrf: arguments[1], legalName: 'Hijacked'}),"
                    " redirect: 'manual'}).then(r => done(r.status), e => done(String(e)));", url, csrf)
            assert status == 404, (method, url, status)
            checked += 1
        assert checked >= 25
        assert other.get(f"/invoices/{their_ids['invoices']}").json()["status"] == "FINAL"
        assert other.get(f"/credit-notes/{their_ids['credit-notes']}").json()["status"] == "DRAFT"
        assert other.get(f"/customers/{their_ids['customers']}").json()["legalName"] != "Hijacked"
        assert other.get(f"/billing-schedules/{their_ids['billing-schedules']}").json()["status"] == "ACTIVE"


def test_a_price_previews_its_cost_as_the_quantity_is_typed(server: LiveServer, api: ApiClient, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.api.catalogue_helpers import new_price, structure

    price = new_price(api, kind="GRADUATED", structure=structure("GRADUATED"))
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, api.credential.account_id))
    assert open_page(browser, f"{server.base_url}/console/a/{api.credential.account_id}/prices/{price['id']}") == 200
    assert browser.find_element(By.ID, "preview-total").text == "£21.00"  # 1 × £1.00 + the first tier's £20.00 fee
    field = browser.find_element(By.ID, "quantity")
    field.clear()
    field.send_keys("150")  # htmx asks the server as it is typed; no page load
    WebDriverWait(browser, 20).until(  # htmx swaps the preview: read it in one script, never a stale element
        lambda b: b.execute_script("return document.getElementById('preview-total')?.textContent.trim()") == "£207.50")
    assert browser.title == f"{price['name']} · Quire console"


def fits_a_phone(browser: WebDriver, url: str) -> str:
    """Open ``url`` at 375 px: it answers 200, does not scroll sideways, and every form field has a label."""
    from selenium.webdriver.common.by import By

    viewport(browser, 375, 812, mobile=True, scale=2)
    try:
        assert open_page(browser, url) == 200, url
        width, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"{url} scrolls sideways at 375 px: {width} > {inner}"
        for field in browser.find_elements(By.CSS_SELECTOR, "main input:not([type=hidden]), main select"):
            labelled = browser.execute_script("return arguments[0].labels.length", field)
            assert labelled, (url, field.get_attribute("name"))
        return browser.title
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_billing_schedule_is_archived_from_its_page_and_the_schedule_and_plan_pages_fit_a_phone(
        server: LiveServer, api: ApiClient, browser: WebDriver) -> None:
    from tests.api.catalogue_helpers import new_plan
    from tests.api.schedule_helpers import new_schedule

    schedule = new_schedule(api)
    base = f"{server.base_url}/console/a/{api.credential.account_id}"
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, api.credential.account_id))
    assert fits_a_phone(browser, f"{base}/billing-schedules") == "Billing schedules · Quire console"
    assert fits_a_phone(browser, f"{base}/billing-schedules/{schedule['id']}").startswith("Billing schedule ")
    plan = new_plan(api, name="Growth")
    assert fits_a_phone(browser, f"{base}/plans") == "Plans · Quire console"
    assert fits_a_phone(browser, f"{base}/plans/{plan['id']}") == "Growth · Quire console"
    viewport(browser, 1280, 900)
    assert open_page(browser, f"{base}/billing-schedules/{schedule['id']}") == 200
    assert actions_shown(browser) == ["archive"]
    confirm(browser, "archive")
    assert actions_shown(browser) == []
    assert api.get(f"/billing-schedules/{schedule['id']}").json()["status"] == "CANCELLED"


def test_a_usage_metrics_chart_fits_a_phone(server: LiveServer, api: ApiClient, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    metric = api.post("/usage-metrics", json={"name": "Calls", "metricType": "SIMPLE", "eventType": "call",
                                              "aggregationType": "COUNT"}).json()
    customer = new_customer(api)
    assert api.post("/usage-events", json={"customerAlias": customer["id"], "eventType": "call"}).status_code == 201
    base = f"{server.base_url}/console/a/{api.credential.account_id}"
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, api.credential.account_id))
    assert fits_a_phone(browser, f"{base}/usage-metrics") == "Usage metrics · Quire console"
    assert fits_a_phone(browser, f"{base}/usage-metrics/{metric['id']}?customers={customer['id']}") == "Calls · Quire console"
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect")
    assert len(bars) == 12 and float(bars[-1].get_attribute("height")) > 0  # this month's call


def run_progress(browser: WebDriver) -> tuple[str | None, str | None]:
    """The run's status and invoices-created count, read in one script: htmx swaps the progress block while
    it polls, so an element found by one WebDriver call can be gone (stale) by the next."""
    return tuple(browser.execute_script(
        "const p = document.getElementById('run-progress');"
        "const c = document.querySelector('[data-count=invoices_created]');"
        "return [p ? p.getAttribute('data-status') : null, c ? c.textContent.trim() : null];"))


def test_a_billing_run_started_in_the_browser_shows_its_progress_without_a_reload(
        server: LiveServer, api: ApiClient, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.api.schedule_helpers import new_schedule

    new_schedule(api, startDate="2026-01-01")
    base = f"{server.base_url}/console/a/{api.credential.account_id}"
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, api.credential.account_id))
    assert fits_a_phone(browser, f"{base}/billing-runs") == "Billing runs · Quire console"
    assert open_page(browser, f"{base}/billing-runs") == 200
    field = browser.find_element(By.ID, "asOf")
    browser.execute_script("arguments[0].value = '2026-02-01'", field)
    submit(browser, browser.find_element(By.ID, "start-run"))
    assert browser.title == "Billing run · Quire console"
    browser.execute_script("window.stayed = true")  # gone if the page were reloaded
    WebDriverWait(browser, 60).until(lambda b: run_progress(b)[0] in ("COMPLETED", "FAILED"))
    assert run_progress(browser) == ("COMPLETED", "2")
    assert browser.execute_script("return window.stayed") is True


def test_a_running_billing_runs_page_refreshes_its_counts_as_the_run_writes_them(
        server: LiveServer, api: ApiClient, browser: WebDriver) -> None:
    """A run still IN_PROGRESS (a row as a worker leaves it mid-run) is polled by htmx: when the row changes,
    the page shows the new counts and status without being reloaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from sqlalchemy import update

    from quire.billing.models import BillingRun
    from quire.core import clock
    from quire.core.ids import uuid7
    from tests.support import in_database

    account, batch_id, run_id, now = api.credential.account_id, uuid7(), uuid7(), clock.now()

    async def start(session: Any) -> None:
        session.add(BillingRun(id=run_id, account_id=account, batch_id=batch_id, as_of=date(2026, 3, 1),
                               status="IN_PROGRESS", schedules_seen=4, invoices_created=1, invoices_updated=0,
                               invoices_unchanged=0, errors=0, started_at=now, created_at=now, updated_at=now))

    async def finish(session: Any) -> None:
        await session.execute(update(BillingRun).where(BillingRun.id == run_id).values(
            status="COMPLETED", invoices_created=4, finished_at=clock.now()))

    in_database(server, start)
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, account))
    assert open_page(browser, f"{server.base_url}/console/a/{account}/billing-runs/{batch_id}") == 200
    progress = browser.find_element(By.ID, "run-progress")
    assert progress.get_attribute("data-status") == "IN_PROGRESS"
    assert browser.find_element(By.CSS_SELECTOR, "[data-count=invoices_created]").text == "1"
    browser.execute_script("window.stayed = true")  # gone if the page were reloaded
    in_database(server, finish)
    WebDriverWait(browser, 20).until(lambda b: run_progress(b)[0] == "COMPLETED")
    assert run_progress(browser) == ("COMPLETED", "4")
    assert browser.execute_script("return window.stayed") is True


# --- usage imports -----------------------------------------------------------------------------------------


def import_progress(browser: WebDriver) -> tuple[Any, ...]:
    """The import block's status, counts and refused lines, read in one script: htmx may swap the block between
    two WebDriver calls, and an element found before a swap is stale after it."""
    return tuple(browser.execute_script(
        "const p = document.getElementById('import-progress');"
        "const c = n => { const e = document.querySelector('#import-progress [data-count=' + n + ']');"
        "                 return e ? e.textContent.trim() : null; };"
        "return [p ? p.getAttribute('data-status') : null, c('rows_done'), c('rows_total'), c('accepted'), c('refused'),"
        " Array.from(document.querySelectorAll('#import-errors [data-line]')).map(r => r.getAttribute('data-line')).join(',')];"))


def test_a_csv_usage_import_uploaded_in_the_browser_completes_without_a_reload(
        server: LiveServer, api: ApiClient, browser: WebDriver, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    rows = ["eventType,eventTimestamp,customerAlias,customerEventId,eventProperty#amount"]
    rows += [f"api_call,2024-03-{1 + n % 28:02d},browser-cust,b{n},1" for n in range(2, 12_002)]  # lines 2-12001
    rows[99] = "api_call,someday,browser-cust,b100,1"  # line 100
    path = tmp_path / "usage.csv"
    path.write_text("\n".join(rows) + "\n")
    base = f"{server.base_url}/console/a/{api.credential.account_id}"
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, api.credential.account_id))
    assert fits_a_phone(browser, f"{base}/usage-imports") == "Usage imports · Quire console"
    assert open_page(browser, f"{base}/usage-imports") == 200
    browser.find_element(By.ID, "file").send_keys(str(path))
    submit(browser, browser.find_element(By.ID, "start-import"))
    assert browser.title == "Usage import · Quire console"
    browser.execute_script("window.stayed = true")  # gone if the page were reloaded
    WebDriverWait(browser, 90).until(lambda b: import_progress(b)[0] in ("COMPLETED", "FAILED"))
    assert import_progress(browser) == ("COMPLETED", "12000", "12000", "11999", "1", "100")
    assert browser.execute_script("return window.stayed") is True
    assert api.get("/usage-events", params={"eventId": "b12001"}).json()["items"][0]["customerAlias"] == "browser-cust"


def test_a_running_imports_page_refreshes_its_progress_as_the_job_records_it(
        server: LiveServer, api: ApiClient, browser: WebDriver) -> None:
    """An import mid-file (its row as the job leaves it between two batches) is polled by htmx: when the row
    moves on, the page shows the new counts, then the finished import, without being reloaded."""
    from selenium.webdriver.support.ui import WebDriverWait
    from sqlalchemy import update

    from quire.core import clock
    from quire.core.ids import uuid7
    from quire.usage.models import UsageEventUpload
    from tests.support import in_database

    account, upload_id = api.credential.account_id, uuid7()

    async def start(session: Any) -> None:  # claimed just now: no other worker takes it over
        session.add(UsageEventUpload(id=upload_id, account_id=account, status="PROCESSING", filename="big.csv",
                                     content="eventType,eventTimestamp,customerAlias\n", row_count=1000, row_total=2500,
                                     accepted_count=999, rejected_count=1, errors=[{"row": 7, "message": "customerAlias is empty"}],
                                     created_at=clock.now(), claimed_at=clock.now()))

    def move(**values: Any) -> None:
        async def change(session: Any) -> None:
            await session.execute(update(UsageEventUpload).where(UsageEventUpload.id == upload_id).values(**values))
        in_database(server, change)

    in_database(server, start)
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, account))
    assert open_page(browser, f"{server.base_url}/console/a/{account}/usage-imports/{upload_id}") == 200
    assert import_progress(browser) == ("PROCESSING", "1000", "2500", "999", "1", "7")
    browser.execute_script("window.stayed = true")  # gone if the page were reloaded
    move(row_count=2000, accepted_count=1999)
    WebDriverWait(browser, 20).until(lambda b: import_progress(b)[1] == "2000")
    assert import_progress(browser) == ("PROCESSING", "2000", "2500", "1999", "1", "7")
    move(row_count=2500, accepted_count=2499, status="COMPLETED", content=None, completed_at=clock.now())
    WebDriverWait(browser, 20).until(lambda b: import_progress(b)[0] == "COMPLETED")
    assert import_progress(browser) == ("COMPLETED", "2500", "2500", "2499", "1", "7")
    assert browser.execute_script("return window.stayed") is True
