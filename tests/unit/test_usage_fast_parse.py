"""``parse_event_fast`` (the lean path of POST /usage-events) never disagrees with ``parse_event_body``:
for any body it either gives up (``None``) or returns exactly the event the full parser returns."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quire.usage.service import parse_event_body, parse_event_fast

KEYS = ["customerAlias", "eventType", "customerEventId", "eventTimestamp", "eventProperties",
        "customer_alias", "event_type", "unknownField"]

text = st.one_of(
    st.text(max_size=8),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=250, max_size=260),  # around the 255 limit
    st.sampled_from(["", "cust-1", "api_call", "\x00", "a\ud800", "C:\\users", "é", "2024-01-31T12:00:00Z",
                     "2024-01-31", "2024-01-31T12:00:00", "2024-01-31T12:00:00+03:00", "not a date", "2024-13-01"]),
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**45, 10**45), text,
                   st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d) < Decimal("1e50")),
                   st.floats(allow_nan=False, allow_infinity=False))
value = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(text, inner, max_size=3)), max_leaves=8)
document = st.dictionaries(st.sampled_from(KEYS), value, max_size=6)
#: Mostly valid events (each field usually right, sometimes not), so both outcomes are exercised.
event = st.fixed_dictionaries(
    {"customerAlias": st.one_of(st.text(min_size=1, max_size=12), value), "eventType": st.one_of(st.text(min_size=1, max_size=12), value)},
    optional={"customerEventId": st.one_of(st.text(min_size=1, max_size=12), value),
              "eventTimestamp": st.one_of(st.sampled_from(["2024-01-31T12:00:00Z", "2024-02-29", "2024-01-31T12:00:00.123456-05:00"]), value),
              "eventProperties": st.one_of(st.dictionaries(text, value, max_size=4), value),
              "event_type": value, "unknownField": value},
)


def _dumps(doc: Any, ascii_only: bool) -> bytes:
    def default(o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o) if abs(o) < 1e300 else str(o)
        raise TypeError

    return json.dumps(doc, ensure_ascii=ascii_only, default=default).encode("utf-8", "surrogatepass")


def _full(raw: bytes) -> Any:
    try:
        return parse_event_body(raw)
    except Exception as exc:  # noqa: BLE001 - any refusal; the fast parser must then give up
        return type(exc)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(event, document), st.booleans())
def test_fast_parse_agrees_with_the_full_parser(doc: dict[str, Any], ascii_only: bool) -> None:
    raw = _dumps(doc, ascii_only)
    fast = parse_event_fast(raw)
    if fast is not None:
        assert fast == _full(raw)


def test_the_generated_events_are_often_taken_by_the_fast_parser() -> None:
    """Guards the property test above against vacuity: its documents must often reach the fast path."""
    taken = 0

    @settings(max_examples=300, database=None, derandomize=True)
    @given(event)
    def count(doc: dict[str, Any]) -> None:
        nonlocal taken
        taken += parse_event_fast(_dumps(doc, False)) is not None

    count()
    assert taken >= 15


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_fast_parse_agrees_on_arbitrary_bytes(raw: bytes) -> None:
    fast = parse_event_fast(raw)
    if fast is not None:
        assert fast == _full(raw)


@pytest.mark.parametrize("body", [
    {"customerAlias": "cust-1", "eventType": "api_call"},
    {"customerAlias": "cust-1", "eventType": "api_call", "customerEventId": "e-1",
     "eventTimestamp": "2024-01-31T12:00:00+01:00", "eventProperties": {"n": 1, "gb": 2.50, "region": "eu", "ok": True}},
    {"customerAlias": "é-ü", "eventType": "t", "eventProperties": {"nested": {"list": [1, "x", None]}}},
])
def test_fast_parse_takes_the_usual_bodies(body: dict[str, Any]) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode()
    fast = parse_event_fast(raw)
    assert fast is not None, "the lean path must take an ordinary event"
    assert fast == parse_event_body(raw)
    assert '"gb":2.5' in fast.properties_json or "gb" not in body.get("eventProperties", {})  # exact, not float


@pytest.mark.parametrize("raw", [
    b"", b"[]", b'{"customerAlias": "a"}', b'{"customerAlias": "a", "eventType": 5}',
    b'{"customerAlias": "a\\u0000", "eventType": "t"}', b'{"customer_alias": "a", "event_type": "t"}',
    b'{"customerAlias": "a", "eventType": "t", "eventTimestamp": "2024-01-31T12:00:00"}',
    b'{"customerAlias": "a", "eventType": "t", "eventProperties": []}', b'{"customerAlias": "a", "eventType": "t", "x": 1}',
    '{"customerAlias": "a", "eventType": "t"}'.encode("utf-16"),
])
def test_fast_parse_leaves_the_unusual_to_the_full_parser(raw: bytes) -> None:
    assert parse_event_fast(raw) is None
