"""The console over plain HTTP, on SQLite and PostgreSQL: sign-in and its cookie, sign-out and revocation, the
rate limits, CSRF, the API's validation messages, and that no console URL opens another account's data.

(tests/browser/test_console.py drives the same pages in Chromium.)
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from quire.console import auth
from quire.console.models import ConsoleSession, ConsoleSignInFailure
from quire.console.pages import routes
from quire.users.models import UserAccount
from tests.api.invoice_helpers import add_line, new_invoice
from tests.console_support import (
    PASSWORD,
    Console,
    account_urls,
    new_user,
    objects_of,
    poll_until_finished,
)
from tests.support import ApiClient, LiveServer, in_database


@pytest.fixture
def console(server: LiveServer) -> Iterator[Console]:
    with Console(server.base_url) as browser:
        yield browser


def _clear_failures(server: LiveServer) -> None:
    async def clear(session: Any) -> None:
        await session.execute(delete(ConsoleSignInFailure))

    in_database(server, clear)


def _alert(response: Any) -> str:
    found = re.search(r'role="alert"[^>]*>(?:<p>)?(.*?)</', response.text, re.S)
    return html.unescape(found.group(1).strip()) if found else ""


def test_sign_in_sets_a_secure_http_only_same_site_cookie_and_sign_out_ends_the_session(
        server: LiveServer, client: ApiClient, console: Console) -> None:
    email = new_user(server, client.credential.account_id)
    assert console.get("/console/").headers["location"].startswith("/console/sign-in")
    refused = console.sign_in(email, "not the password")
    assert refused.status_code == 401 and _alert(refused) == "Wrong email or password"
    signed = console.sign_in(email.upper())  # emails are matched case-insensitively, as users are stored
    assert signed.status_code == 303, signed.text
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith(auth.COOKIE + "="))
    assert all(flag in cookie.lower() for flag in ("secure", "httponly", "samesite=lax", "path=/console"))
    token = console.cookies[auth.COOKIE]
    overview = console.get(f"/console/a/{client.credential.account_id}/")
    assert overview.status_code == 200 and "<title>Overview · Quire console</title>" in overview.text

    assert console.post("/console/sign-out").status_code == 303
    assert auth.COOKIE not in console.cookies
    gone = in_database(server, lambda s: s.get(ConsoleSession, auth.token_hash(token)))
    assert gone is None
    console.cookies[auth.COOKIE] = token  # the old cookie, replayed: the row is gone, so is the session
    assert console.get(f"/console/a/{client.credential.account_id}/").status_code == 303


def test_removing_a_user_from_an_account_closes_it_at_once(server: LiveServer, client: ApiClient,
                                                           other_client: ApiClient, console: Console) -> None:
    mine, other = client.credential.account_id, other_client.credential.account_id
    console.sign_in(new_user(server, mine, other))
    assert console.get(f"/console/a/{other}/").status_code == 200
    switched = console.get(f"/console/switch?account={other}")
    assert switched.status_code == 303 and switched.headers["location"] == f"/console/a/{other}/"

    async def leave(session: Any) -> None:
        await session.execute(delete(UserAccount).where(UserAccount.account_id == other))

    in_database(server, leave)
    assert console.get(f"/console/a/{other}/").status_code == 404
    assert console.get(f"/console/switch?account={other}").status_code == 404
    assert console.get(f"/console/a/{mine}/").status_code == 200


def test_sign_in_is_rate_limited_per_email_and_per_address(server: LiveServer, client: ApiClient,
                                                          console: Console) -> None:
    _clear_failures(server)
    email = new_user(server, client.credential.account_id)
    try:
        for _ in range(auth.PER_EMAIL):
            assert console.sign_in(email, "wrong password!").status_code == 401
        limited = console.sign_in(email)  # the right password, but too late
        assert limited.status_code == 429 and "Too many failed sign-ins" in _alert(limited)
        _clear_failures(server)
        assert console.sign_in(email).status_code == 303
        # Per address: many emails, one client.
        for n in range(auth.PER_IP):
            assert console.sign_in(f"nobody{n}@example.com", "wrong password!").status_code == 401
        assert console.sign_in(email).status_code == 429
    finally:
        _clear_failures(server)


def test_every_form_needs_the_session_csrf_token_and_a_same_site_origin(server: LiveServer, client: ApiClient,
                                                                        console: Console) -> None:
    account = client.credential.account_id
    console.sign_in(new_user(server, account))
    invoice = new_invoice(client)
    add_line(client, invoice["id"])
    url = f"/console/a/{account}/invoices/{invoice['id']}/finalize"
    assert console.post(url, csrf="").status_code == 403
    assert console.post(url, csrf="forged").status_code == 403
    assert console.post(url, headers={"origin": "https://evil.example"}).status_code == 403
    assert client.get(f"/invoices/{invoice['id']}").json()["status"] == "DRAFT"
    assert console.post(url).status_code == 303
    assert client.get(f"/invoices/{invoice['id']}").json()["status"] == "FINAL"
    # The sign-in form's own token (double-submit cookie) is checked as well.
    with Console(server.base_url) as stranger:
        assert stranger.post("/console/sign-in", {"email": "x@example.com", "password": PASSWORD},
                             csrf="guess").status_code == 403


def test_customer_forms_answer_with_the_apis_validation_messages(server: LiveServer, client: ApiClient,
                                                                 console: Console) -> None:
    account = client.credential.account_id
    console.sign_in(new_user(server, account))
    form = {"legalName": "Initech", "email": "not-an-email", "line1": "1 Main St", "town": "Austin",
            "postcode": "73301", "country": "US"}
    page = console.post(f"/console/a/{account}/customers", form)
    api = client.post("/customers", json={"legalName": "Initech", "email": "not-an-email", "billingEmails": [],
                                          "address": {"line1": "1 Main St", "town": "Austin", "postcode": "73301",
                                                      "country": "US"}}, )
    assert page.status_code == api.status_code == 400
    assert _alert(page) == api.json()["error"]["message"]
    form["email"] = "ap@initech.example.com"
    page = console.post(f"/console/a/{account}/customers", form)  # a US address needs its state
    api = client.post("/customers", json={"legalName": "Initech", "email": "ap@initech.example.com",
                                          "billingEmails": [], "address": {"line1": "1 Main St", "town": "Austin",
                                                                           "postcode": "73301", "country": "US"}})
    assert page.status_code == api.status_code == 400 and _alert(page) == api.json()["error"]["message"]
    form["state"] = "TX"
    created = console.post(f"/console/a/{account}/customers", form)
    assert created.status_code == 303
    customer_id = created.headers["location"].rsplit("/", 1)[1]
    assert client.get(f"/customers/{customer_id}").json()["address"]["state"] == "TX"


def test_the_console_is_not_in_the_openapi_document(anonymous: ApiClient) -> None:
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/console")]


def test_no_console_url_opens_another_accounts_page_or_action(server: LiveServer, client: ApiClient,
                                                              other_client: ApiClient, console: Console) -> None:
    mine, theirs = client.credential.account_id, other_client.credential.account_id
    their_ids = objects_of(other_client)
    console.sign_in(new_user(server, mine))
    tried = set()
    for method, path, url in account_urls(mine, theirs, their_ids):
        response = console.get(url) if method == "GET" else console.post(url, {"legalName": "Hijacked"})
        assert response.status_code == 404, (method, url, response.status_code)
        tried.add((method, path))
    expected = {(next(iter(r.methods)), r.path) for r in routes.router.routes if "{account}" in r.path}  # type: ignore[attr-defined]
    assert tried == expected and len(tried) >= 20
    assert console.get(f"/console/switch?account={theirs}").status_code == 404
    # Nothing of theirs moved.
    assert other_client.get(f"/invoices/{their_ids['invoices']}").json()["status"] == "FINAL"
    assert other_client.get(f"/credit-notes/{their_ids['credit-notes']}").json()["status"] == "DRAFT"
    assert other_client.get(f"/customers/{their_ids['customers']}").json()["legalName"] != "Hijacked"
    assert other_client.get(f"/billing-schedules/{their_ids['billing-schedules']}").json()["status"] == "ACTIVE"


def test_sessions_are_stored_hashed(server: LiveServer, client: ApiClient, console: Console) -> None:
    console.sign_in(new_user(server, client.credential.account_id))
    token = console.cookies[auth.COOKIE]
    stored = in_database(server, lambda s: s.scalar(select(func.count()).select_from(ConsoleSession)
                                                    .where(ConsoleSession.id == token)))
    assert stored == 0
    assert in_database(server, lambda s: s.get(ConsoleSession, auth.token_hash(token))) is not None


def test_quire_users_sign_out_ends_every_session_of_the_user(server: LiveServer, client: ApiClient) -> None:
    account = client.credential.account_id
    email = new_user(server, account)
    with Console(server.base_url) as laptop, Console(server.base_url) as phone:
        for browser in (laptop, phone):
            assert browser.sign_in(email).status_code == 303
            assert browser.get(f"/console/a/{account}/").status_code == 200
        done = server.cli("users", "sign-out", "--email", email.upper())
        assert done.returncode == 0, done.stderr
        assert '"sessionsEnded": 2' in done.stdout
        for browser in (laptop, phone):
            assert browser.get(f"/console/a/{account}/").headers["location"].startswith("/console/sign-in")
    missing = server.cli("users", "sign-out", "--email", "nobody@example.com")
    assert missing.returncode == 1 and "No user" in missing.stderr


def test_the_overview_mrr_is_the_active_schedules_fixed_prices_per_month(server: LiveServer, client: ApiClient,
                                                                         console: Console) -> None:
    from tests.api.catalogue_helpers import new_price, new_product, structure
    from tests.api.schedule_helpers import day, new_schedule

    account = client.credential.account_id
    product = new_product(client)["id"]
    monthly = new_price(client, product, structure=structure("FIXED", price="100.00"))
    yearly = new_price(client, product, structure=structure("FIXED", price="1000.00"), billingFrequency="YEARLY")
    quarterly = new_price(client, product, structure=structure("FIXED", price="30.00"), billingFrequency="QUARTERLY")
    active = new_schedule(client, price_ids=[monthly["id"], yearly["id"], quarterly["id"]])
    assert active["status"] == "ACTIVE"
    later = new_schedule(client, price_ids=[monthly["id"]], startDate=day(30))  # PENDING: not counted
    assert later["status"] == "PENDING"
    console.sign_in(new_user(server, account))
    page = console.get(f"/console/a/{account}/").text
    # 100 + 1000 / 12 + 30 / 3 = 193.333…, to the penny
    assert re.search(r'data-figure="mrr" data-currency="GBP" data-amount="193.33">£193.33<', page), page[-3000:]
    assert 'data-figure="active-schedules">1<' in page


def test_a_price_page_previews_what_a_quantity_costs_with_the_pricing_module(server: LiveServer, client: ApiClient,
                                                                            console: Console) -> None:
    from tests.api.catalogue_helpers import new_price, structure

    account = client.credential.account_id
    price = new_price(client, kind="GRADUATED", structure=structure("GRADUATED"))
    console.sign_in(new_user(server, account))
    listed = console.get(f"/console/a/{account}/prices")
    assert listed.status_code == 200 and f'data-price="{price["id"]}"' in listed.text
    page = console.get(f"/console/a/{account}/prices/{price['id']}?quantity=150")
    # 100 × £1.00 + £20.00 fee, then 50 × £0.75 + £50.00 fee
    assert page.status_code == 200 and 'id="preview-total">£207.50<' in page.text
    fragment = console.get(f"/console/a/{account}/prices/{price['id']}?quantity=10", headers={"hx-request": "true"})
    assert fragment.text.lstrip().startswith("<div") and 'id="preview-total">£30.00<' in fragment.text
    refused = console.get(f"/console/a/{account}/prices/{price['id']}?quantity=lots", headers={"hx-request": "true"})
    assert 'role="alert"' in refused.text and "quantity" in refused.text


def test_a_billing_schedule_page_shows_its_periods_and_activates_and_archives_through_the_service(
        server: LiveServer, client: ApiClient, console: Console) -> None:
    from tests.api.catalogue_helpers import new_price, structure
    from tests.api.schedule_helpers import new_schedule

    account = client.credential.account_id
    fee = new_price(client, structure=structure("FIXED", price="12.00"))
    billed = new_schedule(client, price_ids=[fee["id"]], startDate="2026-01-01")
    done = server.cli("billing", "run", "--as-of", "2026-03-01", "--account", account)
    assert done.returncode == 0, done.stderr
    draft = new_schedule(client, price_ids=[fee["id"]], createAsDraft=True)
    assert draft["status"] == "DRAFT"
    console.sign_in(new_user(server, account))
    listed = console.get(f"/console/a/{account}/billing-schedules?status=DRAFT")
    assert listed.status_code == 200 and f'data-schedule="{draft["id"]}"' in listed.text
    assert f'data-schedule="{billed["id"]}"' not in listed.text
    assert console.get(f"/console/a/{account}/billing-schedules?status=NOPE").status_code == 400

    page = console.get(f"/console/a/{account}/billing-schedules/{billed['id']}").text
    periods = re.findall(r'data-period="([0-9-]+)"', page)
    assert periods == ["2026-03-01", "2026-02-01", "2026-01-01"], periods
    assert page.count("£12.00") >= 3 and f'data-price="{fee["id"]}"' in page
    assert re.search(r'id="last-run"><a href="[^"]+/billing-runs/[0-9a-f-]+">as of 2026-03-01</a>: <span class="badge badge-completed">completed</span>, 3 created',
                     page), page
    assert 'data-action="archive"' in page and 'data-action="activate"' not in page

    base = f"/console/a/{account}/billing-schedules/{draft['id']}"
    assert 'data-action="activate"' in console.get(base).text
    confirm = console.get(f"{base}/confirm/activate")
    assert confirm.status_code == 200 and f"Activate billing schedule {draft['id']}?" in confirm.text
    assert console.post(f"{base}/activate", {}).status_code == 303
    assert client.get(f"/billing-schedules/{draft['id']}").json()["status"] == "ACTIVE"
    refused = console.post(f"{base}/activate", {})  # the service's own rule, not the console's
    assert refused.status_code == 400 and "Only a DRAFT billing schedule can be activated" in _alert(refused)
    assert console.post(f"{base}/archive", {}).status_code == 303
    after = client.get(f"/billing-schedules/{draft['id']}").json()
    assert after["status"] == "CANCELLED" and after["archivedAt"]
    assert 'data-action="archive"' not in console.get(base).text


def test_a_usage_metric_page_charts_a_customers_usage_per_calendar_month_as_the_api_calculates_it(
        server: LiveServer, client: ApiClient, console: Console) -> None:
    from tests.api.invoice_helpers import new_customer

    account = client.credential.account_id
    metric = client.post("/usage-metrics", json={"name": "Storage", "metricType": "SIMPLE", "eventType": "stored",
                                                 "aggregationType": "SUM", "aggregationProperty": "gb", "unit": "GB"})
    assert metric.status_code == 201, metric.text
    metric_id = metric.json()["id"]
    mine, someone = new_customer(client), new_customer(client)
    for who, when, gb in ((mine, "2026-10-03T10:00:00Z", "2.5"), (mine, "2026-10-31T23:59:59Z", "4"),
                          (mine, "2026-11-01T00:00:00Z", "1"), (mine, "2025-10-15T00:00:00Z", "100"),
                          (someone, "2026-10-10T00:00:00Z", "7")):
        sent = client.post("/usage-events", json={"customerAlias": who["id"], "eventType": "stored",
                                                  "eventTimestamp": when, "eventProperties": {"gb": gb}})
        assert sent.status_code == 201, sent.text
    console.sign_in(new_user(server, account))
    listed = console.get(f"/console/a/{account}/usage-metrics")
    assert listed.status_code == 200 and f'data-metric="{metric_id}"' in listed.text
    blank = console.get(f"/console/a/{account}/usage-metrics/{metric_id}")
    assert blank.status_code == 200 and "<svg" not in blank.text
    page = console.get(f"/console/a/{account}/usage-metrics/{metric_id}", params={"customers": mine["id"]}).text
    usage = dict(re.findall(r'data-month="([0-9-]+)"><td>[^<]*</td><td class="num" data-usage="([^"]*)"', page))
    assert len(usage) == 12 and min(usage) == "2026-01" and max(usage) == "2026-12", usage
    assert (usage["2026-10"], usage["2026-11"], usage["2026-09"]) == ("6.5", "1", "0"), usage
    api = client.get(f"/usage-metrics/{metric_id}/calculate", params={
        "customerAliases": mine["id"], "periodStart": "2026-10-01", "periodEnd": "2026-10-31"}).json()
    assert str(api["value"]) in ("6.5", "6.50")
    assert page.count("<rect ") == 12 and "Storage: usage per month" in page
    both = console.get(f"/console/a/{account}/usage-metrics/{metric_id}",
                       params={"customers": f"{mine['id']},{someone['id']}"}).text
    assert 'data-month="2026-10"><td>October 2026</td><td class="num" data-usage="13.5"' in both
    unknown = console.get(f"/console/a/{account}/usage-metrics/{metric_id}", params={"customers": "nobody"})
    assert unknown.status_code == 400 and "customerAliases" in _alert(unknown)


def test_a_billing_run_started_from_the_console_is_worked_by_the_job_queue_and_its_page_follows_it(
        server: LiveServer, client: ApiClient, console: Console) -> None:

    from tests.api.catalogue_helpers import new_price, structure
    from tests.api.schedule_helpers import new_schedule

    account = client.credential.account_id
    console.sign_in(new_user(server, account))
    nothing = console.post(f"/console/a/{account}/billing-runs", {"asOf": "2026-03-01"})
    assert nothing.status_code == 400 and "nothing to run" in _alert(nothing)
    bad = console.post(f"/console/a/{account}/billing-runs", {"asOf": "March"})
    assert bad.status_code == 400 and "asOf" in _alert(bad)
    fee = new_price(client, structure=structure("FIXED", price="12.00"))
    schedule = new_schedule(client, price_ids=[fee["id"]], startDate="2026-01-01")
    started = console.post(f"/console/a/{account}/billing-runs", {"asOf": "2026-03-01"})
    assert started.status_code == 303, started.text
    run_url = started.headers["location"]
    batch_id = run_url.rsplit("/", 1)[1]
    page = console.get(run_url)
    assert page.status_code == 200 and 'id="run-progress"' in page.text
    status, fragment = poll_until_finished(console, run_url, every=0.3)
    assert status == "COMPLETED" and "hx-trigger" not in fragment.text
    assert 'data-count="invoices_created">3<' in fragment.text and 'data-count="schedules_seen">1<' in fragment.text
    runs = [r for r in client.get("/billing-runs").json()["items"] if r["batchId"] == batch_id]
    assert [(r["status"], r["invoicesCreated"], r["asOf"]) for r in runs] == [("COMPLETED", 3, "2026-03-01")]
    assert len(client.get("/invoices", params={"billingScheduleId": schedule["id"]}).json()["items"]) == 3
    listed = console.get(f"/console/a/{account}/billing-runs").text
    assert f'data-run="{runs[0]["id"]}"' in listed and f"/billing-runs/{batch_id}" in listed
    assert console.get(f"/console/a/{account}/billing-runs/not-a-batch").status_code == 404


def test_a_plan_page_shows_each_version_with_its_own_prices(server: LiveServer, client: ApiClient,
                                                           console: Console) -> None:
    from tests.api.catalogue_helpers import new_plan, new_price, plan_body

    account = client.credential.account_id
    first, second = new_price(client), new_price(client)
    plan = new_plan(client, [first["id"]], name="Starter")
    put = client.put(f"/plans/{plan['id']}", json=plan_body([first["id"], second["id"]], name="Starter plus"))
    assert put.status_code == 200, put.text
    console.sign_in(new_user(server, account))
    listed = console.get(f"/console/a/{account}/plans", params={"name": "Starter"})
    assert listed.status_code == 200 and f'data-plan="{plan["id"]}"' in listed.text and "Starter plus" in listed.text
    assert f'data-plan="{plan["id"]}"' not in console.get(f"/console/a/{account}/plans", params={"name": "Zzz"}).text
    latest = console.get(f"/console/a/{account}/plans/{plan['id']}").text
    assert "Version 2 of 2" in latest and re.findall(r'data-price="([^"]+)"', latest) == [first["id"], second["id"]]
    older = console.get(f"/console/a/{account}/plans/{plan['id']}", params={"version": "1"}).text
    assert "Version 1 of 2" in older and re.findall(r'data-price="([^"]+)"', older) == [first["id"]]
    assert "<title>Starter · Quire console</title>" in older
    for missing in ("3", "0", "99999999999999", "two"):
        assert console.get(f"/console/a/{account}/plans/{plan['id']}", params={"version": missing}).status_code == 404
