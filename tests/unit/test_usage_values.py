"""Pure usage helpers: exact JSON, timestamps, filter text, CSV rows, multipart, and the SQLite SUM.

The SUM property runs the real calculation SQL on an in-memory SQLite database and compares it with
Python's Decimal arithmetic (the API tests run the same code on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quire.core.errors import ValidationFailed
from quire.usage import jsontext
from quire.usage.calculation import MetricSpec, PropertyFilter, calculate
from quire.usage.service import NewEvent
from quire.usage.uploads import RowError, check_header, form_file, parse_rows, property_name
from quire.usage.values import check_property_name, parse_timestamp, period_bounds, scalar_text
from tests.contract import get_contract

storable_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
decimals = st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False, places=12)


# --- exact JSON --------------------------------------------------------------------------------------


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | decimals | storable_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(storable_text, inner, max_size=4),
    max_leaves=20,
))
def test_json_round_trips_exactly(value: Any) -> None:
    text = jsontext.dumps(value)
    assert jsontext.loads(text) == value
    assert json.loads(text, parse_float=Decimal) == value, "the text is standard JSON"


@given(decimals)
def test_numbers_are_written_in_plain_notation(value: Decimal) -> None:
    text = jsontext.dumps(value)
    assert "E" not in text.upper() and Decimal(text) == value


def test_spelling_is_kept_and_bad_numbers_are_refused() -> None:
    assert jsontext.dumps(jsontext.loads('{"a": 1.50, "b": 1e3, "c": -0.0}')) == '{"a":1.50,"b":1000,"c":-0.0}'
    assert jsontext.dumps({"raw": jsontext.RawJson('{"x": 1}')}) == '{"raw":{"x": 1}}'
    for bad in ("NaN", "[Infinity]", "1e41", "1e-41", "0E-100", "1" * 41, "{", "1.5.2", '"\\ud800"x'):
        with pytest.raises(jsontext.JsonTextError):
            jsontext.loads(bad)
    with pytest.raises(TypeError):
        jsontext.dumps({"f": 0.5})
    for unstorable in ({"k": "a\x00"}, {"\ud800": 1}, ["\udfff"]):
        with pytest.raises(jsontext.JsonTextError):
            jsontext.dumps(unstorable)


# --- values ------------------------------------------------------------------------------------------


def test_timestamps() -> None:
    assert parse_timestamp("2023-09-20") == datetime(2023, 9, 20, tzinfo=UTC)
    assert parse_timestamp("2023-09-20T15:13:11+03:00") == datetime(2023, 9, 20, 12, 13, 11, tzinfo=UTC)
    assert parse_timestamp("2023-09-20T15:13:11Z") == datetime(2023, 9, 20, 15, 13, 11, tzinfo=UTC)
    for bad in ("", "20230920", "2023-02-30", "yesterday", 1700000000, None, "0001-01-01T00:00:00+01:00",
                "2023-09-20T15:13:11", "9999-12-31T23:59:59-05:00"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)


def test_period_bounds_are_half_open_utc_days() -> None:
    assert period_bounds(date(2024, 3, 1), date(2024, 3, 31)) == (
        datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
    assert period_bounds(date(9999, 12, 31), date(9999, 12, 31))[1].year == 9999


def test_scalar_text_matches_the_stored_json_spelling() -> None:
    assert [scalar_text(v) for v in ("Text", 5, True, False, 2.5, Decimal("1.10"), 1e20)] == [
        "Text", "5", "true", "false", "2.5", "1.10", "100000000000000000000"]
    with pytest.raises(TypeError):
        scalar_text([1])


def test_property_names() -> None:
    assert check_property_name("message.length") == "message.length"
    for bad in ("", 'a"b', "a\\b", "a\nb", "x" * 256):
        with pytest.raises(ValueError):
            check_property_name(bad)


def test_enumerations_are_the_contracts() -> None:
    from quire.seats.schemas import SeatChangeType
    from quire.usage.schemas import AggregationType, MetricType

    schemas = get_contract().document["components"]["schemas"]
    for literal, name in ((MetricType, "MetricType"), (AggregationType, "AggregationType"), (SeatChangeType, "SeatChangeType")):
        assert set(literal.__args__) == set(schemas[name]["enum"]), name


# --- CSV and multipart ---------------------------------------------------------------------------------


def test_csv_rows_become_events_or_errors() -> None:
    text = (
        "customerAlias,eventType,eventTimestamp,eventProperty#n,eventProperties#tag,other\n"
        "a,t,2024-01-02,1.5,,x\n"
        'b,t,"2024-01-02T10:00:00+01:00",,"quoted, tag",y\n'
        ",t,2024-01-02,1,,\n"
        "c,t,bad,1,,\n"
        "\n"
        "d,t\n"
    )
    rows = list(parse_rows(text))
    assert isinstance(rows[0], NewEvent) and rows[0].properties_json == '{"n":"1.5"}'
    assert isinstance(rows[1], NewEvent) and rows[1].properties_json == '{"tag":"quoted, tag"}'
    assert rows[1].event_timestamp == datetime(2024, 1, 2, 9, tzinfo=UTC)
    assert [(r.row, r.message.split(" ")[0]) for r in rows[2:] if isinstance(r, RowError)] == [
        (4, "customerAlias"), (5, "eventTimestamp:"), (7, "eventTimestamp")]
    assert property_name("eventProperty#") is None and property_name("x#y") is None
    with pytest.raises(ValidationFailed):
        check_header("customerAlias,eventType\n")


def test_multipart_file_part() -> None:
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
            b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="e.csv"\r\nContent-Type: text/csv\r\n\r\n'
            b'a,b\r\n1,2\r\n--XyZ--\r\n')
    assert form_file("multipart/form-data; boundary=XyZ", body) == ("e.csv", b"a,b\r\n1,2")
    for content_type, payload in (("application/json", body), ("multipart/form-data; boundary=XyZ", b"junk"),
                                  ("multipart/form-data; boundary=Other", body), (None, body)):
        with pytest.raises(ValidationFailed):
            form_file(content_type, payload)


# --- the SQLite SUM against Decimal ---------------------------------------------------------------------


def _run_sum(amounts: list[Any], spec: MetricSpec) -> Any:
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from quire.accounts.models import Account
    from quire.customers.models import Customer
    from quire.models import Base
    from quire.usage.models import UsageEvent

    async def run() -> Any:
        engine = create_async_engine("sqlite+aiosqlite://")
        now = datetime(2024, 3, 1, tzinfo=UTC)
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=[
                Account.__table__, Customer.__table__, UsageEvent.__table__,
                Base.metadata.tables["customer_aliases"]]))
            await conn.execute(insert(Account.__table__), [{"id": "acc", "name": "a", "created_at": now, "merchant_settings": {}}])
            await conn.execute(insert(Customer.__table__), [{
                "id": "cus", "account_id": "acc", "created_at": now, "updated_at": now, "legal_name": "c",
                "address": {}, "email": "e@x.io", "billing_emails": [], "tax_status": "TAXED", "external_ids": []}])
            rows = [{"id": f"e{i:05d}", "account_id": "acc", "customer_event_id": f"e{i}", "customer_alias": "cus",
                     "event_type": "t", "event_timestamp": now, "event_properties": jsontext.dumps({"n": a}),
                     "received_at": now, "revision": 1} for i, a in enumerate(amounts)]
            if rows:
                await conn.execute(insert(UsageEvent.__table__), rows)
        async with AsyncSession(engine) as session:
            result = await calculate(session, "acc", spec, ["cus"], now, datetime(2024, 4, 1, tzinfo=UTC))
        await engine.dispose()
        return result

    return asyncio.run(run())


SUM = MetricSpec(event_type="t", aggregation="SUM", grouping_property=None, aggregation_property="n")


@settings(max_examples=25, deadline=None)
@given(st.lists(decimals | st.integers(-10**17, 10**17) | decimals.map(lambda d: format(d, "f")), max_size=12))
def test_sqlite_sum_equals_decimal_sum_truncated_to_ten_places(amounts: list[Any]) -> None:
    expected = sum((Decimal(a).quantize(Decimal("1e-10"), rounding=ROUND_DOWN) for a in amounts), Decimal(0))
    result = _run_sum(amounts, SUM).total
    assert result.value == expected and result.event_count == len(amounts)


def test_sqlite_sum_skips_non_numbers_and_filters_apply() -> None:
    amounts = ["1", "1.", ".5", "1e3", "+2", "-0.5", " 3", True, None, [1], {"a": 1}, "x"]
    assert _run_sum(amounts, SUM).total.value == Decimal("2.5")
    only_two = MetricSpec(event_type="t", aggregation="COUNT", grouping_property=None,
                          filters=(PropertyFilter("n", ("+2", "1"), negate=False),))
    assert _run_sum(amounts, only_two).total.value == 2
    with pytest.raises(Exception, match="18 integer digits"):
        _run_sum(["1" + "0" * 20], SUM)
