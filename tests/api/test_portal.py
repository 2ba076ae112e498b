"""The customer portal's link extension and its pages over HTTP, on SQLite and PostgreSQL (docs/portal.md):
the link's life (issue, rotate, disable, the account's switch), another account's customer, what the
pages show and never show, the 404 that says nothing, the headers, escaping. The same pages in a real
browser: tests/browser/test_portal.py."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import httpx
from sqlalchemy import select

from quire.portal.models import CustomerPortalLink
from tests.api.invoice_helpers import new_customer
from tests.api.portal_helpers import MERCHANT, portal_world, rotate
from tests.support import ApiClient, LiveServer, in_database

HTML = {"Accept": "text/html,application/xhtml+xml"}


def page(live: LiveServer, url: str, suffix: str = "") -> httpx.Response:
    """The page at ``url`` (as rotate answered it: on QUIRE_PUBLIC_URL) fetched from the live server."""
    return httpx.get(live.base_url + "/portal/" + url.rsplit("/portal/", 1)[1] + suffix, headers=HTML, timeout=30)


def text_of(response: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


def test_the_link_is_issued_rotated_and_disabled(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client, legalName="Globex Corporation")
    cid = customer["id"]
    first = client.get(f"/customers/{cid}/portal-link")
    assert first.status_code == 200
    assert first.json() == {"customerId": cid, "enabled": False, "customerPortalEnabled": True}

    issued = client.post(f"/customers/{cid}/portal-link/rotate").json()
    assert issued["enabled"] is True and issued["customerPortalEnabled"] is True and "changedAt" not in issued
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/portal/[A-Za-z0-9_-]{32}", issued["url"]), issued["url"]
    shown = client.get(f"/customers/{cid}/portal-link").json()
    assert "url" not in shown  # never again: only its hash is stored
    assert shown == {"customerId": cid, "enabled": True, "customerPortalEnabled": True, "createdAt": issued["createdAt"]}
    assert page(server, issued["url"]).status_code == 200

    rotated = client.post(f"/customers/{cid}/portal-link/rotate").json()
    assert rotated["url"] != issued["url"] and rotated["createdAt"] == issued["createdAt"]
    assert rotated["changedAt"] >= rotated["createdAt"]
    for suffix in ("", "/credits", "/usage"):
        assert page(server, issued["url"], suffix).status_code == 404, suffix  # the old link dies at once
        assert page(server, rotated["url"], suffix).status_code == 200, suffix

    disabled = client.post(f"/customers/{cid}/portal-link/disable")
    assert disabled.status_code == 200
    assert disabled.json()["enabled"] is False and "url" not in disabled.json()
    assert disabled.json()["changedAt"] >= rotated["changedAt"]
    assert page(server, rotated["url"]).status_code == 404
    again = client.post(f"/customers/{cid}/portal-link/disable").json()  # idempotent
    assert again == disabled.json()
    assert client.get(f"/customers/{cid}/portal-link").json()["enabled"] is False

    revived = client.post(f"/customers/{cid}/portal-link/rotate").json()
    assert revived["enabled"] is True and revived["changedAt"] >= disabled.json()["changedAt"]
    assert page(server, revived["url"]).status_code == 200 and page(server, rotated["url"]).status_code == 404


def test_only_the_tokens_hash_is_stored(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    token = rotate(client, customer["id"]).rsplit("/", 1)[1]

    async def row(session: Any) -> CustomerPortalLink:
        return (await session.scalars(select(CustomerPortalLink).where(CustomerPortalLink.customer_id == customer["id"]))).one()

    stored = in_database(server, row)
    assert stored.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr({c.key: getattr(stored, c.key) for c in CustomerPortalLink.__table__.columns})


def test_another_accounts_customer_is_404(server: LiveServer, client: ApiClient, other_client: ApiClient) -> None:
    customer = new_customer(client)
    url = rotate(client, customer["id"])
    for method, path in (("GET", "/portal-link"), ("POST", "/portal-link/rotate"), ("POST", "/portal-link/disable")):
        response = other_client.request(method, f"/customers/{customer['id']}{path}")
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["type"] == "NotFound"
        unknown = client.request(method, f"/customers/01a2510d-0000-7000-8000-000000000000{path}")
        assert unknown.status_code == 404, (path, unknown.text)
    assert page(server, url).status_code == 200  # B's calls changed nothing
    assert client.get(f"/customers/{customer['id']}/portal-link").json()["enabled"] is True


def test_the_pages_show_only_that_customers_sent_invoices_credits_and_usage(server: LiveServer) -> None:
    with ApiClient(server.base_url, server.new_account("Portal", merchant_settings=MERCHANT)) as client:
        world = portal_world(client)
        url = rotate(client, world["customer"]["id"])
        rotate(client, world["other"]["id"])
    numbers = {name: invoice.get("invoiceNumber") for name, invoice in world["invoices"].items()}
    assert numbers["draft"] is None and all(numbers[n] for n in numbers if n != "draft")

    invoices = text_of(page(server, url))
    for shown in ("outstanding", "overdue", "paid"):
        assert numbers[shown] in invoices, shown
    for hidden in ("final", "voided", "other"):  # FINAL not sent, VOIDED (after it was sent), another customer's
        assert numbers[hidden] not in invoices, hidden
    # Amounts (with 20 % tax): outstanding £399.60 and overdue £532.80 are unpaid; paid £666.00.
    assert "£932.40" in invoices and "£532.80" in invoices and "£666.00" in invoices
    for hidden_amount in ("£133.20", "£266.40", "£799.20", "£932.40 +"):  # draft, final, voided, no 2nd currency
        assert hidden_amount not in invoices, hidden_amount
    assert "Initech" not in invoices

    credits = text_of(page(server, url, "/credits"))
    assert "Welcome credit 50" in credits and "£50.00" in credits
    assert "Welcome credit 90" not in credits and "£90.00" not in credits

    usage = page(server, url, "/usage")
    assert usage.text.count('<rect class="bar"') == 6
    rows = re.findall(r"<tr><td>([A-Z][a-z]{2} \d{4})</td><td class=\"num\">([^<]*)</td></tr>", usage.text)
    assert [value for _, value in rows][-2:] == ["2", "3"] and "9" not in [value for _, value in rows]


def test_every_404_is_the_same_and_says_nothing(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    old = rotate(client, customer["id"])
    new = rotate(client, customer["id"])
    token = new.rsplit("/", 1)[1]
    unknown_customer = new_customer(client)
    disabled = rotate(client, unknown_customer["id"])
    assert client.post(f"/customers/{unknown_customer['id']}/portal-link/disable").status_code == 200
    answers = [
        page(server, old),  # rotated away
        page(server, disabled),  # disabled
        page(server, new[:-1] + ("A" if token[-1] != "A" else "B")),  # one character off
        page(server, new + "x"),  # not a token's shape: no query at all
        httpx.get(f"{server.base_url}/portal/{customer['id']}", headers=HTML, timeout=30),  # an id is not a token
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1
    body = answers[0].text
    assert "<title>Page not found</title>" in body
    for word in ("rotat", "disabl", "expired", "customer", "account", "invoice"):
        assert word not in body.casefold(), word
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store" and answer.headers["referrer-policy"] == "no-referrer"
    as_json = httpx.get(f"{server.base_url}/portal/{old.rsplit('/', 1)[1]}", timeout=30)
    assert as_json.status_code == 404 and as_json.json() == {"error": {"type": "NotFound", "message": "Not found"}}


def test_the_accounts_switch_turns_every_link_off(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client)
    url = rotate(client, customer["id"])
    wrong = page(server, url[:-1] + ("A" if url[-1] != "A" else "B"))
    settings = client.get("/merchant-settings").json()
    assert settings["customerPortalEnabled"] is True
    off = client.put("/merchant-settings", json={**settings, "customerPortalEnabled": False})
    assert off.status_code == 200 and off.json()["customerPortalEnabled"] is False
    closed = page(server, url)
    assert closed.status_code == 404 and closed.text == wrong.text
    link = client.get(f"/customers/{customer['id']}/portal-link").json()
    assert link["enabled"] is True and link["customerPortalEnabled"] is False
    assert client.post(f"/customers/{customer['id']}/portal-link/rotate").json()["customerPortalEnabled"] is False
    assert client.put("/merchant-settings", json={**settings, "customerPortalEnabled": True}).status_code == 200
    assert page(server, url).status_code == 404  # rotated while off: the old link stays dead


def test_headers_escape_and_the_strict_csp(server: LiveServer, client: ApiClient) -> None:
    customer = new_customer(client, legalName='<script>alert("x")</script> & <b>Co</b>')
    url = rotate(client, customer["id"])
    for suffix in ("", "/credits", "/usage"):
        response = page(server, url, suffix)
        assert response.status_code == 200
        headers = response.headers
        assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp and "form-action 'none'" in csp and "base-uri 'none'" in csp
        # The one inline stylesheet is allowed by its hash, and nothing else is.
        [style] = re.findall(r"<style>(.*?)</style>", response.text, flags=re.S)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}';" in csp
        assert "<script" not in response.text and "<b>Co</b>" not in response.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in response.text
        assert re.search(r"<title>[^<]+</title>", response.text)


def test_the_pages_are_not_in_the_openapi_document(server: LiveServer) -> None:
    paths = httpx.get(f"{server.base_url}/openapi.json", timeout=60).json()["paths"]
    assert not [p for p in paths if p.startswith("/portal")]
    assert {"/customers/{id}/portal-link", "/customers/{id}/portal-link/rotate",
            "/customers/{id}/portal-link/disable"} <= set(paths)


def test_usage_per_month_is_what_the_api_calculates(server: LiveServer, client: ApiClient) -> None:
    """A SUM of decimals (SQLite sums them in parts, PostgreSQL as numeric): each month the portal shows
    is the figure ``GET /usage-metrics/{id}/calculate`` gives for that month."""
    from datetime import UTC, datetime, timedelta

    from quire.billing_documents.formatting import format_number
    from quire.portal.pages import USAGE_MONTHS, months_back

    customer = new_customer(client)
    metric = client.post("/usage-metrics", json={"name": "Data", "metricType": "SIMPLE", "eventType": "data",
                                                  "aggregationType": "SUM", "aggregationProperty": "gb", "unit": "GB"})
    assert metric.status_code == 201, metric.text
    now = datetime.now(UTC).replace(microsecond=0)
    for when, gb in ((now, "1.25"), (now, "0.005"), (now - timedelta(days=35), "12.5"), (now - timedelta(days=70), "7")):
        assert client.post("/usage-events", json={"customerAlias": customer["id"], "eventType": "data",
                                                   "eventTimestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                   "eventProperties": {"gb": gb}}).status_code == 201
    url = rotate(client, customer["id"])
    html = page(server, url, "/usage").text
    shown = [v for _, v in re.findall(r"<tr><td>([A-Z][a-z]{2} \d{4})</td><td class=\"num\">([^<]*)</td></tr>", html)]
    expected = []
    for start, end in months_back(datetime.now(UTC).date(), USAGE_MONTHS):
        answer = client.get(f"/usage-metrics/{metric.json()['id']}/calculate", params={
            "customerAliases": customer["id"], "periodStart": start.isoformat(), "periodEnd": end.isoformat()})
        assert answer.status_code == 200, answer.text
        expected.append(format_number(str(answer.json()["value"])))
    assert shown == expected and expected[-1] == "1.255" and "12.5" in expected


def test_calculate_periods_equals_calculate_of_each_period(server: LiveServer, client: ApiClient) -> None:
    """The portal's one query per metric (``calculate_periods``) gives, for every aggregation, what
    ``calculate`` (the API's calculation) gives for each period alone, groups included."""
    from datetime import UTC, datetime, timedelta

    from quire.usage.calculation import MetricSpec, calculate, calculate_periods
    from quire.usage.models import UsageMetric

    customer = new_customer(client)
    bodies = [{"aggregationType": "COUNT"}, {"aggregationType": "SUM", "aggregationProperty": "gb"},
              {"aggregationType": "UNIQUE", "aggregationProperty": "user"},
              {"aggregationType": "SUM", "aggregationProperty": "gb", "metricType": "GROUPED", "groupingProperty": "region"}]
    ids = []
    for n, body in enumerate(bodies):
        made = client.post("/usage-metrics", json={"name": f"M{n}", "metricType": "SIMPLE", "eventType": "use", **body})
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    edges = [start + timedelta(days=10 * k) for k in range(5)]  # four periods of 10 days
    for k, (gb, user, region) in enumerate([("1.5", "a", "eu"), ("2", "b", "us"), ("0.25", "a", "eu"), ("4", "c", None),
                                            ("8", "a", "us"), ("16", "b", "eu")]):
        when = start + timedelta(days=9 * k, hours=k)  # the last one (day 45) falls after the last period
        props = {"gb": gb, "user": user, **({"region": region} if region else {})}
        assert client.post("/usage-events", json={"customerAlias": customer["id"], "eventType": "use",
                                                   "eventTimestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                   "eventProperties": props}).status_code == 201
    periods = list(zip(edges, edges[1:]))
    account = client.credential.account_id if client.credential else ""

    async def compare(session: Any) -> None:
        for metric_id in ids:
            spec = MetricSpec.of(await session.get(UsageMetric, metric_id))
            together = await calculate_periods(session, account, spec, [customer["id"]], periods)
            alone = [await calculate(session, account, spec, [customer["id"]], a, b) for a, b in periods]
            assert together == alone, (metric_id, together, alone)
            assert sum(r.total.event_count for r in together) == 5

    in_database(server, compare)
