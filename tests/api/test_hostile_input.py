"""No 500 from hostile input (issue 12, class 6): every place that parses client bytes answers a 4xx JSON error.

Headers (Authorization, Sequence-Version, Idempotency-Key), cursors, path ids, query parameters, JSON
bodies behind an ``Idempotency-Key`` and CSV uploads, on both databases. Operations are read from the
app's own ``/openapi.json``, so a new route is swept the day it is added.
"""

from __future__ import annotations

import base64
import codecs
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support import ApiClient, LiveServer

WWW_AUTHENTICATE = 'Basic realm="Quire"'


def _basic(raw: bytes) -> bytes:
    return b"Basic " + base64.b64encode(raw)


@pytest.fixture(scope="module")
def hostile(server: LiveServer) -> Iterator[tuple[httpx.Client, httpx.Client, dict[str, Any]]]:
    """An authenticated raw client (no contract check: these answers are errors), an anonymous one,
    and the served OpenAPI document."""
    credential = server.new_account("Hostile account")
    with (httpx.Client(base_url=server.base_url, auth=(credential.client_id, credential.client_secret), timeout=30) as api,
          httpx.Client(base_url=server.base_url, timeout=30) as anon):
        yield api, anon, api.get("/openapi.json").json()


def _assert_json_4xx(response: httpx.Response, *allowed: int) -> dict[str, Any]:
    where = f"{response.request.method} {response.request.url}"
    assert 400 <= response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
    if allowed:
        assert response.status_code in allowed, f"{where} -> {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/json"), f"{where}: {response.headers['content-type']}"
    body = response.json()
    # Quire's {"error": {...}}, or the {"errors": [...]} shape an operation of the contract declares.
    assert isinstance(body.get("error"), dict) or isinstance(body.get("errors"), list), f"{where}: {body}"
    return body  # type: ignore[no-any-return]


# --- Authorization ---------------------------------------------------------------------------------


AUTHORIZATIONS = {
    "nul-in-client-id": _basic(b"abc\0:secret"),
    "nul-in-secret": _basic(b"abc:sec\0ret"),
    "control-character": _basic(b"abc\x01:secret"),
    "del-character": _basic(b"abc:secret\x7f"),
    "c1-control": _basic("abc\u0085:secret".encode()),
    "not-utf8": _basic(b"\xff\xfe:\xfd"),
    "emoji-client-id": _basic("\U0001f4b8:secret".encode()),
    "huge-client-id": _basic(b"a" * 5000 + b":secret"),
    "non-latin1-bytes": b"Basic \xc3\xa9\xff\xfe",
    "empty-basic": b"Basic",
    "only-colon": _basic(b":"),
    "bearer": b"Bearer abc.def.ghi",
    "digest": b'Digest username="x", realm="Quire"',
    "no-scheme": base64.b64encode(b"abc:secret"),
    "padding-garbage": b"Basic YWJjOnNlY3JldA======",
    "huge-header": b"Basic " + b"A" * 6000,
}


@pytest.mark.parametrize("name", list(AUTHORIZATIONS))
@pytest.mark.parametrize("method, path", [("GET", "/customers"), ("POST", "/customers"), ("GET", "/invoices/x"),
                                          ("POST", "/usage-events")])
def test_hostile_authorization_is_401_with_www_authenticate(hostile: Any, name: str, method: str, path: str) -> None:
    _api, anon, _doc = hostile
    response = anon.request(method, path, headers=[(b"Authorization", AUTHORIZATIONS[name])],
                            json={} if method == "POST" else None)
    body = _assert_json_4xx(response, 401)
    assert body["error"]["type"] == "Unauthorized"
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE


def test_every_401_names_the_basic_scheme(hostile: Any) -> None:
    """RFC 7235: a missing header, a wrong secret and an unknown client all carry WWW-Authenticate."""
    api, anon, _doc = hostile
    client_id = base64.b64decode(api.get("/customers").request.headers["authorization"].split(" ", 1)[1]).split(b":")[0].decode()
    for headers in ({}, {"Authorization": _basic(f"{client_id}:wrong".encode()).decode()},
                    {"Authorization": _basic(b"unknown:secret").decode()}):
        for method, path in (("GET", "/customers"), ("POST", "/usage-events"), ("GET", "/usage-events/csv")):
            response = anon.request(method, path, headers=headers, json={} if method == "POST" else None)
            assert response.status_code == 401, (headers, path, response.text)
            assert response.headers["www-authenticate"] == WWW_AUTHENTICATE
    assert "www-authenticate" not in api.get("/customers/nope").headers  # a 404 does not ask for credentials


def test_the_scheme_name_is_case_insensitive(hostile: Any) -> None:
    api, anon, _doc = hostile
    token = api.get("/customers").request.headers["authorization"].split(" ", 1)[1]
    assert anon.get("/customers", headers={"Authorization": f"basic {token}"}).status_code == 200
    assert anon.get("/customers", headers={"Authorization": f"BASIC  {token}"}).status_code == 200


# --- Other headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"\xff\xfe", b"2024-01-01\xc3\xa9", b"9" * 4000, b"2024-13-45", b"latest"])
def test_odd_sequence_version_is_400(hostile: Any, value: bytes) -> None:
    api, _anon, _doc = hostile
    body = _assert_json_4xx(api.get("/customers", headers=[(b"Sequence-Version", value)]), 400)
    assert body["error"]["type"] == "UnrecognisedApiVersion"


@pytest.mark.parametrize("key, ok", [
    (b"\xff\xfe\xfd", True),  # latin-1 text: printable, stored as such
    (b"caf\xc3\xa9", True),
    (b"\x85next-line", False),  # a C1 control character
    (b"k" * 256, False),
    (b"k" * 255, True),
])
def test_odd_idempotency_keys(hostile: Any, key: bytes, ok: bool) -> None:
    api, _anon, _doc = hostile
    body = {"name": "Hostile product"}
    first = api.post("/products", json=body, headers=[(b"Idempotency-Key", key)])
    if not ok:
        assert _assert_json_4xx(first, 400)["error"]["fields"][0]["field"] == "Idempotency-Key"
        return
    assert first.status_code == 201, first.text
    again = api.post("/products", json=body, headers=[(b"Idempotency-Key", key)])
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"


# --- Bodies behind an Idempotency-Key ---------------------------------------------------------------


def _write_operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method.upper(), template) for template, ops in doc["paths"].items() for method in ops
            if method in ("post", "put", "patch")]


def _fill(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "0190a8f2-0000-7000-8000-000000000000", template)


#: Bodies every write refuses with a 4xx (too deep to be a request of the contract)...
DEEP_BODIES = {
    "deep-array": b"[" * 10_000 + b"]" * 10_000,
    "deep-object": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
}
#: ... and odd ones that must simply not fail (whether each is refused is the strict body parser's matter).
ODD_BODIES = {
    "huge-number": b'{"name": 1' + b"0" * 5000 + b"}",
    "not-utf8": b'{"name": "\xff\xfe"}',
    "nan": b'{"name": NaN}',
}


def test_deep_and_odd_bodies_with_an_idempotency_key_are_4xx_on_every_write(hostile: Any) -> None:
    api, _anon, doc = hostile
    failures = []
    for method, template in _write_operations(doc):
        for name, body in {**DEEP_BODIES, **ODD_BODIES}.items():
            for keyed in (True, False):
                headers = {"Content-Type": "application/json"}
                if keyed:
                    headers["Idempotency-Key"] = f"hostile-{name}-{method}-{template}"[:255]
                response = api.request(method, _fill(template), content=body, headers=headers)
                lowest = 400 if name in DEEP_BODIES else 200
                if not lowest <= response.status_code < 500 or "json" not in response.headers.get("content-type", ""):
                    failures.append(f"{method} {template} {name} keyed={keyed}: {response.status_code} {response.text[:150]}")
    assert not failures, f"{len(failures)} failures, e.g.:\n" + "\n".join(failures[:10])


# --- Cursors -----------------------------------------------------------------------------------------


def _fake_cursor(payload: bytes) -> str:
    return base64.urlsafe_b64encode(payload + b"\0" * 12).decode().rstrip("=")


CURSORS = {
    "garbage": "!!!not-a-cursor!!!",
    "empty-ish": "A",
    "huge": "A" * 2048,
    "too-long": "A" * 5000,
    "base64-of-text": base64.urlsafe_b64encode(b"hello world, this is not json").decode(),
    "json-wrong-arity": _fake_cursor(b'["createdAt","DESC"]'),
    "json-wrong-types": _fake_cursor(b'[1,2,3,4,5]'),
    "json-deep": _fake_cursor(b"[" * 5000 + b"]" * 5000),
    "percent-ff": "%FF%FE",
    "unicode": "caf\u00e9\u202e",
}


@pytest.mark.parametrize("name", list(CURSORS))
@pytest.mark.parametrize("param", ["after", "before"])
def test_hostile_cursors_are_400_naming_the_parameter(hostile: Any, name: str, param: str) -> None:
    api, _anon, doc = hostile
    lists = [t for t, ops in doc["paths"].items()
             if "get" in ops and "{" not in t and any(p["name"] == "after" for p in ops["get"].get("parameters", []))]
    assert len(lists) > 10
    for template in lists:
        raw = CURSORS[name]
        url = f"{template}?{param}={raw}" if name == "percent-ff" else template
        response = api.get(url, params=None if name == "percent-ff" else {param: raw})
        body = _assert_json_4xx(response, 400)
        assert param in [f["field"] for f in body["error"].get("fields", [])], (template, body)


# --- Path ids ----------------------------------------------------------------------------------------


PATH_IDS = {
    "nul": "%00",
    "ff": "%FF",
    "very-long": "a" * 5000,
    "unicode": "%E2%80%AEcaf%C3%A9",
    "dot-dot": "%2E%2E",
    "dots-inside": "a..b",
    "emoji": "%F0%9F%92%B8",
    "sql": "1'%20OR%20'1'='1",
}


def _id_operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(method.upper(), template) for template, ops in doc["paths"].items() if "{" in template
            for method in ops if method in ("get", "put", "patch", "post", "delete")]


@pytest.mark.parametrize("name", list(PATH_IDS))
def test_hostile_path_ids_are_4xx(hostile: Any, name: str) -> None:
    api, _anon, doc = hostile
    operations = _id_operations(doc)
    assert len(operations) > 30
    failures = []
    for method, template in operations:
        path = re.sub(r"\{[^}]+\}", PATH_IDS[name], template)
        response = api.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
        if not 400 <= response.status_code < 500 or "json" not in response.headers.get("content-type", ""):
            failures.append(f"{method} {template}: {response.status_code} {response.text[:150]}")
    assert not failures, "\n".join(failures[:10])


# --- Query parameters --------------------------------------------------------------------------------


QUERY_VALUES = {
    "huge-int": "1" + "0" * 30,
    "negative": "-1",
    "ff": "%FF",
    "nul": "%00",
    "far-date": "99999-01-01",
    "far-timestamp": "99999-01-01T00:00:00Z",
    "year-zero": "0000-00-00",
    "float-exp": "1e999",
    "unicode": "%E2%80%AE%C3%A9",
    "long": "x" * 3000,
    "empty": "",
}


def _query_operations(doc: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(template, [p["name"] for p in ops["get"].get("parameters", []) if p["in"] == "query"])
            for template, ops in doc["paths"].items()
            if "get" in ops and "{" not in template and any(p["in"] == "query" for p in ops["get"].get("parameters", []))]


@pytest.mark.parametrize("name", list(QUERY_VALUES))
def test_hostile_query_values_never_fail(hostile: Any, name: str) -> None:
    """Every query parameter of every GET without a path id: a 4xx JSON error, or an answer (a filter that
    matches nothing is fine), never a 500."""
    api, _anon, doc = hostile
    operations = _query_operations(doc)
    assert len(operations) > 10
    failures = []
    for template, params in operations:
        for param in params:
            response = api.get(f"{template}?{param}={QUERY_VALUES[name]}")
            if response.status_code >= 500 or "json" not in response.headers.get("content-type", ""):
                failures.append(f"GET {template}?{param}={QUERY_VALUES[name][:20]}: {response.status_code} {response.text[:150]}")
    assert not failures, "\n".join(failures[:10])


def test_limit_out_of_range_and_repeated_parameters(hostile: Any) -> None:
    api, _anon, _doc = hostile
    for value in ("1" + "0" * 30, "0", "101", "%FF", "1.5", "-1"):
        body = _assert_json_4xx(api.get(f"/customers?limit={value}"), 400)
        assert body["error"]["fields"][0]["field"] == "limit"
    repeated = api.get("/customers?limit=1&limit=2&sortOrder=ASC&sortOrder=DESC")
    assert repeated.status_code in (200, 400), repeated.text
    far = api.get("/invoices?dueBefore=99999-01-01")
    assert _assert_json_4xx(far, 400)["error"]["fields"][0]["field"] == "dueBefore"


# --- CSV uploads ---------------------------------------------------------------------------------------

HEADER = b"eventType,eventTimestamp,customerAlias\n"

REFUSED_FILES = {
    "not-utf8": HEADER + b"api_call,2024-01-01,\xff\xfe\n",
    "nul": HEADER + b"api_call,2024-01-01,a\0b\n",
    "utf16": codecs.BOM_UTF16_LE + HEADER.decode().encode("utf-16-le"),
    "utf32": HEADER.decode().encode("utf-32"),
    "empty": b"",
    "zero-columns": b"\n\n\n",
    "huge-header-line": b"eventType,eventTimestamp,customerAlias," + b"x" * 200_000 + b"\n",
    "unbalanced-header-quote": b'"eventType,eventTimestamp,customerAlias\napi_call,2024-01-01,a\n',
}

ACCEPTED_FILES = {
    "bom": codecs.BOM_UTF8 + HEADER + b"api_call,2024-01-01T00:00:00Z,csv-bom\n",
    "huge-data-line": HEADER + b"api_call,2024-01-01T00:00:00Z," + b"y" * 300_000 + b"\n",
    "unbalanced-row-quote": HEADER + b'api_call,2024-01-01T00:00:00Z,"unclosed\napi_call,2024-01-02T00:00:00Z,b\n',
    "ragged-rows": HEADER + b"api_call\napi_call,2024-01-01T00:00:00Z,a,extra,cells\n",
}


@pytest.mark.parametrize("name", list(REFUSED_FILES))
def test_unreadable_csv_uploads_are_400(hostile: Any, name: str) -> None:
    api, _anon, _doc = hostile
    response = api.post("/usage-events/csv", files={"file": ("events.csv", REFUSED_FILES[name], "text/csv")})
    assert _assert_json_4xx(response, 400)["error"]["fields"][0]["field"] == "file"


@pytest.mark.parametrize("name", list(ACCEPTED_FILES))
def test_odd_but_readable_csv_uploads_are_processed(hostile: Any, name: str) -> None:
    """Accepted (201), then processed to an end state: bad rows are counted, not a crash."""
    import time

    api, _anon, _doc = hostile
    response = api.post("/usage-events/csv", files={"file": ("events.csv", ACCEPTED_FILES[name], "text/csv")})
    assert response.status_code == 201, response.text
    upload_id = response.json()["id"]
    deadline = time.monotonic() + 20
    while True:
        status = api.get(f"/usage-events/csv/{upload_id}")
        assert status.status_code == 200, status.text
        if status.json()["status"] not in ("PENDING", "PROCESSING") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status.json()["status"] in ("COMPLETED", "FAILED"), status.json()


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data", b"--x\r\n\r\n"),  # no boundary
    ("multipart/form-data; boundary=x", b"\xff\xfe garbage"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="other"\r\n\r\nabc\r\n--x--\r\n'),
    ("multipart/form-data; boundary=" + "b" * 5000, b"--b\r\n"),
    ("text/csv", HEADER),
])
def test_malformed_multipart_is_400(hostile: Any, content_type: str, body: bytes) -> None:
    api, _anon, _doc = hostile
    response = api.post("/usage-events/csv", content=body, headers={"Content-Type": content_type})
    _assert_json_4xx(response)
