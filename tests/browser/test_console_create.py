"""The console's catalogue forms in headless Chromium, on SQLite and PostgreSQL: a product typed and submitted
from the keyboard, a graduated price with tiers (its preview priced as the quantity is typed), a plan with
that price, and a billing schedule for a customer from the plan, activated from its page; each checked
through the API. The forms fit a phone and label every field.

(tests/console/test_console_create.py checks each form's answers, its refusals and the seven structures.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.api.invoice_helpers import new_customer
from tests.browser.test_console import confirm, fill, fits_a_phone, sign_in, submit
from tests.browser.test_hosted_page import open_page, viewport, visible_text
from tests.console_support import new_user
from tests.support import ApiClient, LiveServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

METRIC = "9aa108d7-6b12-4f5e-8288-5779b9d95b5e"


@pytest.fixture
def api(server: LiveServer) -> Any:
    with ApiClient(server.base_url, server.new_account("Catalogue")) as client:
        yield client


def shown(browser: WebDriver, *ids: str) -> list[bool]:
    """Whether each field's box is displayed, read in one script."""
    return list(browser.execute_script(
        "return arguments[0].map(i => getComputedStyle(document.getElementById(i).closest('.field')).display !== 'none')",
        list(ids)))


def test_a_product_price_plan_and_schedule_are_created_in_the_browser(server: LiveServer, api: ApiClient,
                                                                      browser: WebDriver) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    account = api.credential.account_id
    base = f"{server.base_url}/console/a/{account}"
    viewport(browser, 1280, 900)
    sign_in(browser, server.base_url, new_user(server, account))

    # A product, from the nav, typed and submitted with the keyboard.
    submit(browser, browser.find_element(By.LINK_TEXT, "Products"))
    submit(browser, browser.find_element(By.LINK_TEXT, "New product"))
    assert browser.title == "New product · Quire console"
    browser.find_element(By.ID, "name").send_keys("Analytics")
    browser.switch_to.active_element.send_keys(Keys.TAB, "analytics-v1")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.title == "Analytics · Quire console" and b.execute_script("return document.readyState") == "complete")
    product_id = browser.find_element(By.ID, "product-id").text
    product = api.get(f"/products/{product_id}").json()
    assert (product["name"], product["label"]) == ("Analytics", "analytics-v1")

    # A graduated price with two tiers: only that structure's fields are shown.
    submit(browser, browser.find_element(By.LINK_TEXT, "New price"))
    assert shown(browser, "price", "tiers") == [True, False]  # FIXED by default
    fill(browser, {"name": "API calls", "pricingType": "GRADUATED", "usageMetricId": METRIC,
                   "tiers": "100, 1.00, 20\n*, 0.75, 50"})
    assert shown(browser, "price", "tiers", "usageMetricId", "usageCalculationMode", "seatTypeId") == \
        [False, True, True, True, False]
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.title == "API calls · Quire console", visible_text(browser)[:400]
    price_id = str(browser.current_url).rsplit("/", 1)[1]
    price = api.get(f"/prices/{price_id}").json()
    assert (price["productId"], price["currency"], price["billingFrequency"], price["billingType"]) == \
        (product_id, "GBP", "MONTHLY", "IN_ARREARS")
    assert price["structure"] == {"pricingType": "GRADUATED", "usageMetricId": METRIC, "usageCalculationMode": "BILLING_PERIOD",
                                  "tiers": [{"upperBound": "100", "price": "1", "fee": "20", "isPricePercentage": False},
                                            {"price": "0.75", "fee": "50", "isPricePercentage": False}]}
    field = browser.find_element(By.ID, "quantity")  # the new price's live preview
    field.clear()
    field.send_keys("150")
    WebDriverWait(browser, 20).until(  # htmx swaps the preview: read it in one script, never a stale element
        lambda b: b.execute_script("return document.getElementById('preview-total')?.textContent.trim()") == "£207.50")

    # A plan with that price, its checkbox ticked from the keyboard.
    browser.get(f"{base}/plans")
    submit(browser, browser.find_element(By.LINK_TEXT, "New plan"))
    fill(browser, {"name": "Growth", "label": "growth-2026", "minimum": "100"})
    browser.find_element(By.ID, f"price-{price_id}").send_keys(Keys.SPACE)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.title == "Growth · Quire console", visible_text(browser)[:400]
    plan_id = str(browser.current_url).rsplit("/", 1)[1]
    plan = api.get(f"/plans/{plan_id}").json()
    assert ([p["id"] for p in plan["prices"]], plan["currency"], plan["minimum"]) == ([price_id], "GBP", "100.00")

    # A billing schedule for a customer from the plan, then activated from its page.
    customer = new_customer(api)
    browser.get(f"{base}/customers/{customer['id']}")
    submit(browser, browser.find_element(By.LINK_TEXT, "New billing schedule"))
    Select(browser.find_element(By.ID, "planId")).select_by_value(plan_id)
    browser.execute_script("arguments[0].value = '2026-01-01'", browser.find_element(By.ID, "startDate"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.title.startswith("Billing schedule "), visible_text(browser)[:400]
    schedule_id = str(browser.current_url).rsplit("/", 1)[1]
    made = api.get(f"/billing-schedules/{schedule_id}").json()
    assert (made["status"], made["type"], made["customerId"], made["priceIds"], made["startDate"]) == \
        ("DRAFT", "PLAN", customer["id"], [price_id], "2026-01-01")
    assert [m["amount"] for m in made["phases"][0]["minimums"]] == [100]
    confirm(browser, "activate")
    assert api.get(f"/billing-schedules/{schedule_id}").json()["status"] == "ACTIVE"

    # Every new page fits a phone, with a label on every field.
    for url, title in ((f"{base}/products", "Products"), (f"{base}/products/new", "New product"),
                       (f"{base}/products/{product_id}", "Analytics"),
                       (f"{base}/products/{product_id}/edit", "Edit Analytics"),
                       (f"{base}/products/{product_id}/prices/new", "New price of Analytics"),
                       (f"{base}/plans/new", "New plan"),
                       (f"{base}/customers/{customer['id']}/billing-schedules/new",
                        f"New billing schedule for {customer['legalName']}")):
        assert fits_a_phone(browser, url) == f"{title} · Quire console"
    assert open_page(browser, f"{base}/plans/{plan_id}") == 200
