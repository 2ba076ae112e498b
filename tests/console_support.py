"""Test support for the console (tests/console, tests/browser/test_console.py): users who can sign in, and a
plain HTTP client that signs in and posts the console's forms with their CSRF token.

The console's cookies are ``Secure``; Python's cookie jar never sends those over http, so this client keeps
them itself (a browser treats http://127.0.0.1 as a secure context and does send them).
"""

from __future__ import annotations

import re
import time
import uuid
from http.cookies import SimpleCookie
from typing import Any

import httpx

from quire.users.passwords import hash_password
from quire.users.service import create_user
from tests.api.catalogue_helpers import new_price
from tests.api.invoice_helpers import action, add_line, new_customer, new_invoice
from tests.support import ApiClient, LiveServer, in_database

PASSWORD = "correct horse battery staple"
_HASH: dict[str, str] = {}


def new_user(live: LiveServer, *account_ids: str, email: str | None = None, password: str = PASSWORD) -> str:
    """A user of ``account_ids`` (as ``quire users create`` makes one); returns its email."""
    email = email or f"user-{uuid.uuid4().hex[:10]}@quire.test"
    if password not in _HASH:  # scrypt costs ~0.3 s: one hash per password for the whole run
        _HASH[password] = hash_password(password)
    in_database(live, lambda s: create_user(s, email=email, account_ids=list(account_ids), password_hash=_HASH[password]))
    return email


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Console:
    """A signed-in (or not yet) browser, without the browser."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        self.cookies: dict[str, str] = {}
        self.last: httpx.Response | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Console:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or 'expires=thu, 01 jan 1970' in header.lower():
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        self.last = response
        return response

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"cookie": cookie} if cookie else {}), **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = self._headers(kwargs.pop("headers", None))
        return self._keep(self.http.get(path, headers=headers, **kwargs))

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
        form = dict(data or {})
        if "csrf" not in form:
            form["csrf"] = csrf if csrf is not None else self.csrf()
        return self._keep(self.http.post(path, data=form, headers=self._headers(headers)))

    def csrf(self) -> str:
        """The session's CSRF token, as every page's sign-out form carries it."""
        page = self.get("/console/")
        if page.status_code == 303:
            page = self.get(page.headers["location"])
        found = CSRF.search(page.text)
        assert found, page.text[:500]
        return found.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        form = self.get("/console/sign-in")
        token = CSRF.search(form.text)
        assert token, form.text[:500]
        return self.post("/console/sign-in", {"email": email, "password": password}, csrf=token.group(1))


def poll_until_finished(console: Console, url: str, *, timeout: float = 60.0, every: float = 0.2) -> tuple[str, Any]:
    """What htmx does on a page of long work (a billing run, a usage import): ask for its fragment again until
    its status is COMPLETED or FAILED, each unfinished fragment asking to be polled again; the last status and
    response (the status it had at ``timeout`` if it never finished)."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = console.get(url, headers={"hx-request": "true"})
        assert fragment.text.lstrip().startswith("<section"), fragment.text[:200]
        status = re.search(r'data-status="([A-Z_]+)"', fragment.text).group(1)  # type: ignore[union-attr]
        if status in ("COMPLETED", "FAILED") or time.monotonic() > deadline:
            return status, fragment
        assert 'hx-trigger="every 2s"' in fragment.text
        time.sleep(every)


def objects_of(api: ApiClient) -> dict[str, str]:
    """One of each object a console URL names, in ``api``'s account: a customer, a finalized invoice, a draft
    credit note of it, a price, a billing schedule, a usage metric, a billing run's batch, a plan, a product and a usage
    import (keyed by the URL segment that names their kind)."""
    customer = new_customer(api)
    invoice = new_invoice(api, customer=customer)
    add_line(api, invoice["id"])
    assert action(api, invoice["id"], "finalize").status_code == 200
    note = api.post("/credit-notes", json={"invoiceId": invoice["id"], "customerId": customer["id"], "currency": "GBP"})
    assert note.status_code == 201, note.text
    price = new_price(api)
    from tests.api.schedule_helpers import new_schedule

    schedule = new_schedule(api, customer, [price["id"]])
    metric = api.post("/usage-metrics", json={"name": "Calls", "metricType": "SIMPLE", "eventType": "call",
                                              "aggregationType": "COUNT"})
    assert metric.status_code == 201, metric.text
    import json

    from tests.support import LIVE_SERVERS

    ran = LIVE_SERVERS[str(api.base_url).rstrip("/")].cli("billing", "run", "--account", api.credential.account_id)
    assert ran.returncode == 0, ran.stderr
    from tests.api.catalogue_helpers import new_plan

    plan = new_plan(api, [price["id"]])
    their_import = api.post("/usage-events/csv", files={"file": ("e.csv", b"eventType,eventTimestamp,customerAlias\nx,2024-03-01,c\n", "text/csv")})
    assert their_import.status_code == 201, their_import.text
    return {"usage-imports": their_import.json()["id"], "plans": plan["id"], "billing-runs": json.loads(ran.stdout)["batchId"], "usage-metrics": metric.json()["id"], "customers": customer["id"], "invoices": invoice["id"], "credit-notes": note.json()["id"],
            "prices": price["id"], "billing-schedules": schedule["id"],
            "products": price["productId"]}


#: The action the sweep tries on each kind of object (one its state allows, so only the account check refuses it).
ACTION_OF = {"billing-schedules": "archive"}


def account_urls(mine: str, theirs: str, their_ids: dict[str, str]) -> list[tuple[str, str, str]]:
    """(method, route path, URL) for every console route under ``/console/a/{account}``: with their account in
    the URL (the user is no member of it), and, where the route names an object, their object under the
    user's own account. Each must answer 404."""
    from quire.console.pages import routes

    out = []
    for route in routes.router.routes:
        path, method = route.path, next(iter(route.methods))  # type: ignore[attr-defined]
        if "{account}" not in path:
            continue
        kind = path.split("/")[4] if path.count("/") >= 4 else ""
        accounts = [theirs, mine] if "{id}" in path else [theirs]
        for account in accounts:
            url = (path.replace("{account}", account).replace("{id}", their_ids.get(kind, "x"))
                   .replace("{action}", ACTION_OF.get(kind, "void")).replace("{format}", "pdf"))
            out.append((method, path, url))
    return out
