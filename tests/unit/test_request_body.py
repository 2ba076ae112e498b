"""The request-body reader as pure functions: media types, strict JSON, and the contract's shapes."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quire.core.contract_requests import NULLABLE, REQUESTS
from quire.core.errors import ValidationFailed
from quire.core.request_body import (
    MAX_DEPTH,
    UnsupportedMediaType,
    check_media_type,
    check_shape,
    decoder,
    is_json_media_type,
    parse_json,
    too_deep,
)
from quire.usage import jsontext

# --- media type ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    "application/json", "Application/JSON", "application/json; charset=utf-8", "application/json;charset=UTF-8",
    'application/json; charset="utf-8"', "application/merge-patch+json", "application/vnd.api+json ",
])
def test_json_media_types_are_accepted(value: str) -> None:
    assert is_json_media_type(value)


@pytest.mark.parametrize("value", [
    None, "", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "text/json", "application/jsonx", "application/json; charset=utf-16",
    "application/json; charset=latin-1", "json", "application/+jsonp", "text/csv",
])
def test_other_media_types_are_refused(value: str | None) -> None:
    assert not is_json_media_type(value)
    with pytest.raises(UnsupportedMediaType) as caught:
        check_media_type(value)
    assert caught.value.status_code == 415
    assert caught.value.body()["error"]["type"] == "UnsupportedMediaType"


# --- strict parsing ------------------------------------------------------------------------------


def _refused(raw: bytes) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as caught:
        parse_json(raw)
    body = caught.value.body()["error"]
    assert caught.value.status_code == 400
    return body


def test_plain_json_is_parsed() -> None:
    assert parse_json(b'{"a": [1, 2.5, "x", null, true], "b": {"c": -0.0}}') == {
        "a": [1, 2.5, "x", None, True], "b": {"c": -0.0}}
    assert parse_json('{"name": "Zoë"}'.encode()) == {"name": "Zoë"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_are_refused(encoding: str) -> None:
    body = _refused('{"name": "x"}'.encode(encoding))
    assert "UTF-8" in body["message"]
    assert body["fields"][0]["field"] == "body"


def test_a_utf8_byte_order_mark_is_refused() -> None:
    body = _refused(b'\xef\xbb\xbf{"name": "x"}')
    assert "byte order mark" in body["message"]


def test_invalid_utf8_is_refused() -> None:
    assert "UTF-8" in _refused(b'{"name": "\xff"}')["message"]


@pytest.mark.parametrize(("raw", "path"), [
    (b'{"a": 1, "a": 2}', "a"),
    (b'{"x": {"b": 1, "c": 2, "b": 3}}', "x.b"),
    (b'{"lines": [{"q": "1"}, {"q": "1", "q": "2"}]}', "lines[1].q"),
    (b'[{"k": 1, "k": 1}]', "[0].k"),
])
def test_duplicate_keys_are_refused_naming_the_key(raw: bytes, path: str) -> None:
    body = _refused(raw)
    assert body["fields"] == [{"field": path, "message": body["message"]}]
    assert path in body["message"]


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1e-400", "-2.5e-400", "1E999", "0.1e-330"])
def test_numbers_a_double_cannot_hold_are_refused(number: str) -> None:
    assert "number" in _refused(f'{{"amount": {number}}}'.encode())["message"]


def test_huge_integers_are_refused() -> None:
    _refused(b'{"n": ' + b"9" * 400 + b"}")
    _refused(b'{"n": ' + b"9" * 5000 + b"}")  # beyond Python's int-from-text limit: still a 400


@pytest.mark.parametrize("number", ["0", "0.0", "-0", "0e10", "0.000e-500", "1e300", "2.2250738585072014e-308"])
def test_zeros_and_representable_numbers_are_kept(number: str) -> None:
    assert parse_json(f'{{"n": {number}}}'.encode())["n"] == float(number)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    _refused(f'{{"n": {constant}}}'.encode())


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 10_000, 100_000])
def test_deep_nesting_is_a_400_not_a_recursion_error(depth: int) -> None:
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        body = _refused((opener * depth + "1" + closer * depth).encode())
        assert "nests deeper" in body["message"] or "not valid JSON" in body["message"]


def test_nesting_up_to_the_limit_is_accepted() -> None:
    raw = ("[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH).encode()
    assert not too_deep(parse_json(raw))
    assert too_deep(json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)))


@pytest.mark.parametrize("raw", [b"", b" ", b"{", b'{"a": 1,}', b"{'a': 1}", b'{"a": 01}', b'"\\x"', b"[1] [2]"])
def test_invalid_json_is_refused(raw: bytes) -> None:
    assert _refused(raw)["fields"][0]["field"] == "body"


def test_the_usage_decoder_keeps_numbers_exact_and_is_as_strict() -> None:
    exact = decoder(jsontext._number, jsontext._integer)
    assert parse_json(b'{"n": 0.1}', exact) == {"n": Decimal("0.1")}
    with pytest.raises(ValidationFailed):
        parse_json(b'{"n": 1, "n": 2}', jsontext.DECODER)
    with pytest.raises(jsontext.JsonTextError):
        jsontext.loads(b'{"n": 1, "n": 2}')
    with pytest.raises(jsontext.JsonTextError):
        jsontext.loads('{"n": 1}'.encode("utf-16"))
    with pytest.raises(jsontext.JsonTextError):
        jsontext.loads(b'\xef\xbb\xbf{"n": 1}')
    with pytest.raises(jsontext.JsonTextError):
        jsontext.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_strict_parsing_agrees_with_json_on_valid_documents(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return  # a lone surrogate in text: not UTF-8
    assert parse_json(raw) == json.loads(raw)


# --- the contract's shapes ------------------------------------------------------------------------

NODE = ("object", False, {
    "name": ("string", False, None, None),
    "count": ("integer", False, None, None),
    "ratio": ("number", False, None, None),
    "on": ("boolean", False, None, None),
    "note": ("string", True, None, None),
    "tags": ("array", False, None, ("string", False, None, None)),
    "lines": ("array", False, None, ("object", False, {"rate": ("string", False, None, None)}, None)),
    "labels": ("object", False, None, ("string", False, None, None)),
    "free": ("object", False, None, ("any", True, None, None)),
    "either": ("integer|string", False, None, None),
}, None)


def test_a_conforming_body_has_no_errors() -> None:
    body = {"name": "x", "count": 2, "ratio": 0.5, "on": False, "note": None, "tags": ["a"],
            "lines": [{"rate": "1.5"}], "labels": {"k": "v"}, "free": {"a": [1, {"b": None}]}, "either": "s",
            "unknown": 12}
    assert check_shape(body, NODE) == []
    assert check_shape({"count": 2.0, "ratio": 3, "either": 4}, NODE) == []


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"name": 0}, "name", "must be a string"),
    ({"name": None}, "name", "must not be null"),
    ({"count": "2"}, "count", "must be an integer"),
    ({"count": 2.5}, "count", "must be an integer"),
    ({"count": True}, "count", "must be an integer"),
    ({"ratio": "0.5"}, "ratio", "must be a number"),
    ({"on": 1}, "on", "must be a boolean"),
    ({"tags": "a"}, "tags", "must be an array"),
    ({"tags": ["a", 1]}, "tags[1]", "must be a string"),
    ({"lines": [{"rate": "1"}, {"rate": 1.5}]}, "lines[1].rate", "must be a string"),
    ({"lines": [None]}, "lines[0]", "must not be null"),
    ({"labels": {"k": 1}}, "labels.k", "must be a string"),
    ({"free": None}, "free", "must not be null"),
    ({"either": None}, "either", "must not be null"),
    ({"either": 1.5}, "either", "must be an integer or a string"),
])
def test_shape_errors_name_the_field(body: dict[str, Any], field: str, message: str) -> None:
    assert check_shape(body, NODE) == [{"field": field, "message": message}]


def test_the_body_itself_must_be_an_object() -> None:
    assert check_shape([1], NODE) == [{"field": "body", "message": "must be an object"}]
    assert check_shape(None, NODE) == [{"field": "body", "message": "must not be null"}]


def test_every_error_is_listed_up_to_a_bound() -> None:
    errors = check_shape({"tags": list(range(100))}, NODE)
    assert len(errors) == 20
    assert errors[0]["field"] == "tags[0]"


# --- the generated table --------------------------------------------------------------------------


def test_the_table_follows_the_samples_of_issue_12() -> None:
    products = REQUESTS[("POST", "/products")]
    assert products[2]["label"] == ("string", False, None, None)
    credit_note = REQUESTS[("PUT", "/credit-notes/{id}")]
    assert credit_note[2]["billingPeriodStart"][0] == "string"
    tax_rate = REQUESTS[("POST", "/tax-rates")][2]
    assert tax_rate["amount"][0] == "string"
    assert tax_rate["description"][1] is True  # nullable in 2024-07-30
    events = REQUESTS[("POST", "/usage-events")][2]
    assert events["customerEventId"][1] and events["eventTimestamp"][1] and not events["eventProperties"][1]
    assert events["eventProperties"][3][0] == "any"  # free-form values (the contract's example has scalars)
    assert set(NULLABLE[("POST", "/usage-events")]) == {"customerEventId", "eventTimestamp"}
    assert ("POST", "/usage-events/csv") not in REQUESTS  # multipart: its own media type


def test_the_table_is_what_the_generator_writes() -> None:
    from pathlib import Path

    shared = Path(__file__).resolve().parents[3] / "shared" / "sequence-api"
    if not (shared / "2024-07-30.json").exists():
        pytest.skip(f"{shared} is not beside this clone")
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen_contract_requests", Path(__file__).resolve().parents[2] / "scripts" / "gen_contract_requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table, relaxed = module.build()
    assert table == REQUESTS
    assert relaxed == NULLABLE
