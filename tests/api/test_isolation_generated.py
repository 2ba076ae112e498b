"""Cross-account isolation, generated from the app's own routes.

Every route of ``quire.app.create_app()`` with a path parameter, in every method it serves (reads,
writes, deletes and actions: finalize, void, send, downloads, emails, retries, hosted links...), is
called by account B with account A's real ids (tests/api/real_objects.py) and a valid body built from
B's own objects, so only the path's object is foreign. B must get 404, never 2xx, never 5xx, and every
object of A must read the same afterwards. The same calls made by A do not get 404: the ids are the
right kind, and B's 404 comes from the account filter, not from a wrong id.

A route added tomorrow is covered the day it is added: a path parameter without a mapping in
``real_objects.ROUTE_PARAMS`` fails ``test_every_route_parameter_has_a_real_id``.

Lists (GET routes without a path parameter) are generated the same way: none of B's lists shows any of
A's ids.
"""

from __future__ import annotations

import re

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.real_objects import (
    PUBLIC_BY_TOKEN, ROUTE_PARAMS, app_routes_with_params, call_order, create_real_objects, fill_path, path_params,
    query_for, real_id, write_body,
)
from tests.support import ApiClient, LiveServer

@dataclass
class Accounts:
    a: ApiClient
    a_ids: dict[str, str]
    b: ApiClient
    b_ids: dict[str, str]
    before: dict[str, tuple[int, bytes]]


ROUTES = sorted(app_routes_with_params(), key=call_order)
ISOLATED = [route for route in ROUTES if route[1] not in PUBLIC_BY_TOKEN]
READS = [template for method, template in ROUTES if method == "GET"]


@pytest.fixture(scope="module")
def accounts(server: LiveServer) -> Iterator[Accounts]:
    """Account A and account B, each with one real object of every kind, and what A reads at first."""
    with ApiClient(server.base_url, server.new_account("Isolation A")) as a, \
            ApiClient(server.base_url, server.new_account("Isolation B")) as b:
        a_ids = create_real_objects(a)
        b_ids = create_real_objects(b)
        before = snapshot(a, a_ids)
        assert all(status == 200 for status, _ in before.values()), {t: s for t, (s, _) in before.items() if s != 200}
        assert snapshot(a, a_ids) == before, "what A reads changes by itself; the comparison below would mean nothing"
        yield Accounts(a, a_ids, b, b_ids, before)


def _call(client: ApiClient, method: str, template: str, path_ids: dict[str, str], body_ids: dict[str, str]) -> Any:
    return client.request(method, fill_path(template, path_ids), json=write_body(method, template, body_ids),
                          params=query_for(method, template, body_ids))


def snapshot(client: ApiClient, ids: dict[str, str]) -> dict[str, tuple[int, bytes]]:
    """What ``client`` reads at every GET route with an id: status and exact body."""
    return {template: (r.status_code, r.content) for template in READS
            for r in [_call(client, "GET", template, ids, ids)]}


def test_every_route_parameter_has_a_real_id() -> None:
    routes = app_routes_with_params()
    assert len(routes) >= 80, routes  # the enumeration reaches the routes behind quire.core.routing.PathIndex
    missing = [f"{m} {t}: {{{name}}}" for m, t in routes for name in path_params(t) if (t, name) not in ROUTE_PARAMS]
    assert not missing, "routes with a path parameter that tests/api/real_objects.py ROUTE_PARAMS does not map:\n" + "\n".join(missing)
    stale = sorted({t for t, _ in ROUTE_PARAMS} - {t for _, t in routes})
    assert not stale, f"ROUTE_PARAMS maps routes the app no longer serves: {stale}"


@pytest.mark.parametrize("route", ISOLATED, ids=lambda r: f"{r[0]} {r[1]}")
def test_another_account_gets_404_and_changes_nothing(
    route: tuple[str, str], accounts: Accounts
) -> None:
    a, a_ids, b, b_ids, before = accounts.a, accounts.a_ids, accounts.b, accounts.b_ids, accounts.before
    method, template = route
    response = _call(b, method, template, a_ids, b_ids)
    assert response.status_code == 404, f"B {method} {template} with A's ids -> {response.status_code} {response.text[:300]}"
    assert response.json()["error"]["type"] == "NotFound"
    after = snapshot(a, a_ids)
    changed = [t for t in READS if after[t] != before[t]]
    assert not changed, f"B {method} {template} changed what A reads at {changed}"


#: Path parameters that name a value inside the object, not an object of an account (a policy's
#: notification type or recipient): the same value is as valid in B's object as in A's.
VALUES = frozenset({"notification_type", "recipient"})
NESTED = [(method, template, name) for method, template in ISOLATED if len(path_params(template)) > 1
          for name in path_params(template) if ROUTE_PARAMS.get((template, name)) not in VALUES]


@pytest.mark.parametrize("route", NESTED, ids=lambda r: f"{r[0]} {r[1]} A's {{{r[2]}}}")
def test_one_foreign_id_among_own_ones_is_404(route: tuple[str, str, str], accounts: Accounts) -> None:
    """``/invoices/{B's invoice}/line-items/{A's line}``: B's own parent does not open A's child, and A's
    parent does not take B's child. Each parameter in turn is A's, the others B's."""
    method, template, foreign = route
    path = re.sub(r"\{([^}/:]+)(?::[^}]*)?\}", lambda m: real_id(
        template, m.group(1), accounts.a_ids if m.group(1) == foreign else accounts.b_ids), template)
    response = accounts.b.request(method, path, json=write_body(method, template, accounts.b_ids),
                                  params=query_for(method, template, accounts.b_ids))
    assert response.status_code == 404, f"B {method} {path} -> {response.status_code} {response.text[:300]}"
    changed = [t for t, seen in snapshot(accounts.a, accounts.a_ids).items() if seen != accounts.before[t]]
    assert not changed, f"B {method} {path} changed what A reads at {changed}"


def test_the_public_routes_are_served_only_by_their_token(accounts: Accounts) -> None:
    """``/i/{token}`` and ``/portal/{token}`` are public by design (the token is the credential); an id of
    the invoice or customer is not a token, nor is a token one character off, nor one of the other kind."""
    a_ids, b = accounts.a_ids, accounts.b
    tokens = ("hosted_token", "portal_token")
    for template in PUBLIC_BY_TOKEN:
        assert b.get(fill_path(template, a_ids)).status_code == 200
        for wrong in ("issued_invoice", "invoice", "customer", *tokens):
            value = a_ids[wrong] if wrong not in tokens else a_ids[wrong][:-1] + ("A" if a_ids[wrong][-1] != "A" else "B")
            assert b.get(template.replace("{token}", value)).status_code == 404, (template, wrong)
        other_kind = a_ids["hosted_token" if template.startswith("/portal/") else "portal_token"]
        assert b.get(template.replace("{token}", other_kind)).status_code == 404, template


def _list_routes() -> list[str]:
    from quire.app import create_app
    from tests.api.real_objects import _walk

    return sorted({route.path for route in _walk(create_app().routes)  # type: ignore[attr-defined]
                   if "{" not in getattr(route, "path", "{") and "GET" in (getattr(route, "methods", None) or ())
                   and getattr(route, "include_in_schema", False)})


def test_no_list_shows_another_accounts_objects(accounts: Accounts) -> None:
    """Every GET route without a path parameter (lists, settings, balances): nothing of A's in B's answer
    (but what B itself put in the query, which a page may echo), while A's own answers do show A's
    objects (so the check can see them)."""
    a, a_ids, b = accounts.a, accounts.a_ids, accounts.b
    secret = {name: value for name, value in a_ids.items() if name not in ("hosted_token", "portal_token") and name not in VALUES}
    seen_by_a: set[str] = set()
    for path in _list_routes():
        query = {"customerAlias": a_ids["alias"], "customerAliases": a_ids["alias"], "customerId": a_ids["customer"]}
        theirs = b.get(path, params=query)
        assert theirs.status_code < 500, f"{path}: {theirs.status_code}"
        leaked = [name for name, value in secret.items() if value in theirs.text and value not in query.values()]
        assert not leaked, f"B's GET {path} shows A's {leaked}"
        mine = a.get(path, params=query)
        seen_by_a |= {name for name, value in secret.items() if value in mine.text}
    # The lists A reads show A's objects of these kinds, so B's lists were able to leak them.
    assert {"customer", "invoice", "credit_note", "product", "price", "plan", "list_price", "tax_rate",
            "usage_metric", "usage_event", "seat_type", "seat_snapshot", "csv_upload"} <= seen_by_a, seen_by_a


def test_the_owner_reaches_every_route(server: LiveServer) -> None:
    """The same calls made by A: never 404 (the ids are right), never 5xx. Runs on objects of its own,
    in ``call_order`` (reads, writes, actions, deletes), since it changes and deletes them."""
    with ApiClient(server.base_url, server.new_account("Isolation owner")) as a:
        ids = create_real_objects(a)
        failures = []
        for method, template in ROUTES:
            response = _call(a, method, template, ids, ids)
            if response.status_code == 404 or response.status_code >= 500:
                failures.append(f"{method} {template} -> {response.status_code} {response.text[:200]}")
        assert not failures, "\n".join(failures)
