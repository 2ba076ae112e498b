"""Every cursor any list issues is accepted by that list only (issue 12, class 1).

The lists are the GET operations of the app's own ``/openapi.json`` that take an ``after`` parameter,
so a list added tomorrow is covered without touching this file. Each list is read once per sort it
offers (its default, every ``sortBy`` value, the other ``sortOrder``) with ``limit=1``: the first page
gives an ``after`` cursor, the page after it a ``before`` cursor. Every cursor is then sent, as the
parameter it came from, to every list (in its default sort) and to every sort of its own list: 200 on
the list and sort that issued it, 400 ``ValidationError`` naming the parameter everywhere else, never
a 500.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.invoice_helpers import add_group, add_line
from tests.api.real_objects import create_real_objects, fill_path
from tests.support import ApiClient, LiveServer


@dataclass(frozen=True)
class ListView:
    """One list read in one sort: the concrete path and the query that chooses the sort."""

    template: str
    path: str
    query: tuple[tuple[str, str], ...]
    key: tuple[str, str | None, str | None]  # (path, effective sortBy, effective sortOrder)

    def __str__(self) -> str:
        return self.path + ("?" + "&".join(f"{k}={v}" for k, v in self.query) if self.query else "")


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        target = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def list_operations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(template, {parameter name: schema}) of every GET with an ``after`` query parameter."""
    found = []
    for template, operations in doc["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        params = {p["name"]: _resolve(doc, p.get("schema", {})) for p in get.get("parameters", []) if p["in"] == "query"}
        if "after" in params:
            found.append((template, params))
    return found


def views_of(template: str, path: str, params: dict[str, Any]) -> list[ListView]:
    sort_by = params.get("sortBy")
    sort_order = params.get("sortOrder")
    default_by = sort_by.get("default") if sort_by else None
    default_order = sort_order.get("default") if sort_order else None
    queries: list[dict[str, str]] = [{}]
    if sort_by:
        queries += [{"sortBy": value} for value in sort_by["enum"] if value != default_by]
    if sort_order:
        queries += [{"sortOrder": value} for value in sort_order["enum"] if value != default_order]
    return [ListView(template, path, tuple(q.items()), (path, q.get("sortBy", default_by), q.get("sortOrder", default_order)))
            for q in queries]


@dataclass(frozen=True)
class Issued:
    view: ListView
    param: str  # "after" or "before"
    cursor: str


def _more_of_each(client: ApiClient, ids: dict[str, str]) -> None:
    """Second lines, groups and emails inside the documents whose lists are per document."""
    add_line(client, ids["invoice"], title="Second line")
    add_group(client, ids["invoice"], title="Second group")
    note = ids["credit_note"]
    line = client.post(f"/credit-notes/{note}/line-items", json={
        "creditNoteId": note, "title": "Goodwill", "quantity": "1", "rate": "1", "taxRate": "0", "externalIds": []})
    assert line.status_code == 201, line.text
    group = client.post(f"/credit-notes/{note}/line-item-groups", json={"title": "More credits"})
    assert group.status_code == 201, group.text
    seat_type = client.get(f"/seat-types/{ids['seat_type']}").json()["key"]
    snapshot = client.post("/seat-snapshots", json={
        "customerAlias": ids["alias"], "seatType": seat_type, "snapshotTimestamp": "2024-05-01T09:00:00Z", "total": 5,
        "seatChanges": [{"changeType": "SEAT_ADDED", "timestamp": f"2024-04-2{i}T09:00:00Z"} for i in range(2)]})
    assert snapshot.status_code == 201, snapshot.text
    for path in (f"/invoices/{ids['issued_invoice']}/send", f"/credit-notes/{ids['issued_credit_note']}/send"):
        sent = client.post(path)
        assert sent.status_code == 200, sent.text


@pytest.fixture(scope="module")
def cursor_world(server: LiveServer) -> Any:
    """An account with two or more objects in every list; the ids of each of two sets of objects."""
    with ApiClient(server.base_url, server.new_account("Cursor account")) as client:
        first = create_real_objects(client)
        second = create_real_objects(client)
        _more_of_each(client, first)
        doc = client.get("/openapi.json").json()
        yield client, doc, first, second


def _issue(client: ApiClient, views: list[ListView]) -> list[Issued]:
    issued: list[Issued] = []
    for view in views:
        first = client.get(view.path, params={**dict(view.query), "limit": 1})
        assert first.status_code == 200, f"{view}: {first.text}"
        after = first.json()["pagination"].get("after")
        assert after, f"{view} issued no 'after' cursor with limit=1: give the fixture two objects of this kind"
        issued.append(Issued(view, "after", after))
        second = client.get(view.path, params={**dict(view.query), "limit": 1, "after": after})
        assert second.status_code == 200, f"{view} refused its own cursor: {second.text}"
        before = second.json()["pagination"].get("before")
        assert before, f"{view} issued no 'before' cursor on its second page"
        issued.append(Issued(view, "before", before))
    return issued


#: Lists that never hold two objects: an account sees only itself (docs/accounts.md).
ONE_OBJECT_LISTS = frozenset({"/sequence-accounts"})


def test_every_cursor_works_only_on_the_list_that_issued_it(cursor_world: Any) -> None:
    client, doc, first, _second = cursor_world
    operations = [(template, params) for template, params in list_operations(doc) if template not in ONE_OBJECT_LISTS]
    templates = {template for template, _ in operations}
    # A sample of lists that must be found, so an empty enumeration cannot pass.
    assert {"/customers", "/invoices/{invoice}/line-items", "/usage-events", "/tax-rates", "/seat-changes"} <= templates
    views = [view for template, params in operations for view in views_of(template, fill_path(template, first), params)]
    issued = _issue(client, views)
    assert len(issued) == 2 * len(views)

    # Targets: every list in its default sort, and every sort of the cursor's own list (a cross-list,
    # cross-sort product would add thousands of requests and no case the binding treats differently).
    defaults = [view for view in views if not view.query]
    failures = []
    for cursor in issued:
        targets = defaults + [v for v in views if v.query and v.template == cursor.view.template]
        for view in targets:
            response = client.get(view.path, params={**dict(view.query), "limit": 1, cursor.param: cursor.cursor})
            if view.key == cursor.view.key:
                if response.status_code != 200:
                    failures.append(f"{cursor.param} of {cursor.view} on its own list {view}: {response.status_code}")
                continue
            body = response.json()
            fields = [f.get("field") for f in body.get("error", {}).get("fields", [])] if response.status_code == 400 else []
            if response.status_code != 400 or body["error"]["type"] != "ValidationError" or cursor.param not in fields:
                failures.append(f"{cursor.param} of {cursor.view} on {view}: {response.status_code} {response.text[:200]}")
    assert not failures, f"{len(failures)} wrong answers, e.g.:\n" + "\n".join(failures[:15])


def test_a_cursor_of_one_documents_lines_is_refused_on_anothers(cursor_world: Any) -> None:
    """Bound to the concrete path: /invoices/A/line-items' cursor is not /invoices/B/line-items' cursor."""
    client, doc, first, second = cursor_world
    for template, _params in list_operations(doc):
        if "{" not in template:
            continue
        mine, other = fill_path(template, first), fill_path(template, second)
        assert mine != other
        after = client.get(mine, params={"limit": 1}).json()["pagination"]["after"]
        assert client.get(mine, params={"limit": 1, "after": after}).status_code == 200
        refused = client.get(other, params={"limit": 1, "after": after})
        assert refused.status_code == 400, f"{template}: {refused.status_code} {refused.text}"
        assert refused.json()["error"]["fields"][0]["field"] == "after"
        assert "another list" in refused.json()["error"]["message"]


def _signed(server: LiveServer, document: Any, sign: bool = True) -> str:
    """A cursor holding ``document``, signed with the server's own key (``sign=False``: a wrong MAC), so the
    checks behind the MAC are reached: what a leaked key, or a future change of a list's sort, could send."""
    payload = json.dumps(document, separators=(",", ":")).encode()
    key = server.settings.secret_key.encode() if sign else b"not the key"
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


NOW = "2024-05-01T12:00:00+00:00"
ID = "0190a8f2-0000-7000-8000-000000000000"
#: (list, query, cursor document): each is refused with 400 naming ``after``.
REFUSED = {
    "another-list": ("/customers", {}, ["GET /tax-rates", "createdAt", "DESC", ["t", NOW], ID]),
    "template-not-path": ("/customers", {}, ["GET /customers/{id}", "createdAt", "DESC", ["t", NOW], ID]),
    "another-sort": ("/customers", {}, ["GET /customers", "legalName", "DESC", ["s", "Acme"], ID]),
    "another-order": ("/customers", {}, ["GET /customers", "createdAt", "ASC", ["t", NOW], ID]),
    "string-for-timestamp": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["s", "2024-01-01"], ID]),
    "date-for-timestamp": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["d", "2024-01-01"], ID]),
    "naive-timestamp": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["t", "2024-05-01T12:00:00"], ID]),
    "bad-timestamp": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["t", "99999-01-01"], ID]),
    "number-as-text": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["t", 1714564800], ID]),
    "int-beyond-bigint": ("/invoices", {"sortBy": "GROSS_TOTAL"}, ["GET /invoices", "GROSS_TOTAL", "DESC", ["i", 10**30], ID]),
    "bool-as-int": ("/invoices", {"sortBy": "GROSS_TOTAL"}, ["GET /invoices", "GROSS_TOTAL", "DESC", ["i", True], ID]),
    "nul-in-text-key": ("/customers", {"sortBy": "legalName"}, ["GET /customers", "legalName", "DESC", ["s", "a\x00b"], ID]),
    "nul-in-id": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["t", NOW], "a\x00b"]),
    "id-not-text": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["t", NOW], {"id": 1}]),
    "id-too-long": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["t", NOW], "x" * 100]),
    "unknown-tag": ("/customers", {}, ["GET /customers", "createdAt", "DESC", ["x", NOW], ID]),
    "old-four-part-format": ("/customers", {}, ["createdAt", "DESC", ["t", NOW], ID]),
    "object": ("/customers", {}, {"a": 1}),
    "deep": ("/customers", {}, json.loads("[" * 50 + "]" * 50)),
}


def test_a_well_formed_signed_cursor_is_accepted(server: LiveServer, cursor_world: Any) -> None:
    """The control for the cases below: the same forging, with types that fit, is a valid cursor."""
    client = cursor_world[0]
    response = client.get("/customers", params={"limit": 1, "after": _signed(
        server, ["GET /customers", "createdAt", "DESC", ["t", "2999-01-01T00:00:00+00:00"], ID])})
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 1


@pytest.mark.parametrize("name", list(REFUSED))
@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
def test_a_cursor_that_does_not_fit_is_400(server: LiveServer, cursor_world: Any, name: str, sign: bool) -> None:
    client = cursor_world[0]
    path, query, document = REFUSED[name]
    response = client.get(path, params={**query, "limit": 1, "after": _signed(server, document, sign)})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "ValidationError"
    assert error["fields"] == [{"field": "after", "message": error["message"]}]
