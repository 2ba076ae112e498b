"""Usage metric calculation, run as one SQL aggregate in the database (never by loading events).

``calculate(session, account_id, spec, customer_ids, start, end)`` answers "value and event count of
this metric for these customers' events with ``start <= eventTimestamp < end``". Aliases are resolved
*here*, by joining ``customer_aliases``, so events sent under an alias that was unknown at ingest
start counting as soon as the alias is mapped to a customer.

Event properties are JSON (JSONB on PostgreSQL, JSON1 text on SQLite); the two property accessors
below produce the same text and the same exact sums on both (docs/usage.md#calculation):

- a property's *text* is a string as it is, a number in its stored spelling, ``true``/``false`` for
  booleans, and NULL for null, objects, arrays or a missing property;
- a property's *number* is a JSON number, or a string that is a plain decimal (``-12.50``), truncated
  to 10 decimal places; SUM ignores events whose property is not a number.
- with ``caseSensitive: false``, filters and UNIQUE compare ``core.textfold.fold`` of the text (Unicode
  caseless matching, the same SQL result on both databases whatever their locale).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from quire.core.errors import QuireError
from quire.core.textfold import casefold, fold
from quire.customers.models import Customer, CustomerAlias
from quire.usage.models import UsageEvent, UsageMetric
from quire.usage.values import scalar_text

#: Decimal places kept when summing (Quire's ExactDecimal precision): further digits are truncated.
SUM_PLACES = 10
#: Longest string that counts as a number (JSON numbers are bounded at ingest, see jsontext).
MAX_NUMBER_TEXT = 100
#: ``customerAlias`` that cancels an event (Sequence: "resend it with customerAlias VOID").
VOID_ALIAS = "VOID"
_PLAIN_DECIMAL = r"^[+-]?[0-9]+(\.[0-9]+)?$"


class CalculationOutOfRange(QuireError):
    status_code = 400
    error_type = "CalculationOutOfRange"


@dataclass(frozen=True)
class PropertyFilter:
    name: str
    values: tuple[str, ...]
    negate: bool


@dataclass(frozen=True)
class MetricSpec:
    """What a calculation needs from a usage metric (pure data; see ``MetricSpec.of``)."""

    event_type: str
    aggregation: str  # COUNT | SUM | UNIQUE
    grouping_property: str | None  # set for GROUPED metrics
    aggregation_property: str | None = None
    filters: tuple[PropertyFilter, ...] = ()
    case_sensitive: bool = True

    @classmethod
    def of(cls, metric: UsageMetric) -> MetricSpec:
        negated = set(metric.properties_to_negate or [])
        filters = tuple(
            PropertyFilter(name, tuple(scalar_text(v) for v in values), name in negated)
            for name, values in sorted((metric.property_filters or {}).items())
        )
        return cls(
            event_type=metric.event_type,
            aggregation=metric.aggregation_type,
            grouping_property=metric.grouping_property if metric.metric_type == "GROUPED" else None,
            aggregation_property=metric.aggregation_property,
            filters=filters,
            case_sensitive=metric.case_sensitive,
        )


@dataclass(frozen=True)
class MetricValue:
    value: Decimal
    event_count: int
    min_event_id: str | None = None
    max_event_id: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class MetricResult:
    """The metric's total; for GROUPED metrics also each group (the total is their sum)."""

    total: MetricValue
    groups: tuple[MetricValue, ...] | None = None


ZERO = MetricValue(value=Decimal(0), event_count=0)


# --- dialect-specific property accessors -----------------------------------------------------------


class _PostgresProps:
    def __init__(self) -> None:
        self.doc = type_coerce(UsageEvent.__table__.c.event_properties, JSONB)

    def text(self, name: str) -> ColumnElement[Any]:
        kind = func.jsonb_typeof(self.doc[name])
        return case((kind.in_(("string", "number", "boolean")), self.doc[name].astext))

    def number(self, name: str) -> ColumnElement[Any]:
        kind = func.jsonb_typeof(self.doc[name])
        raw = self.doc[name].astext
        numeric = func.trunc(cast(raw, Numeric()), SUM_PLACES, type_=Numeric())
        is_plain = and_(kind == "string", func.length(raw) <= MAX_NUMBER_TEXT, raw.op("~")(_PLAIN_DECIMAL))
        return case((kind == "number", numeric), (is_plain, numeric))


class _SqliteProps:
    def __init__(self) -> None:
        self.doc = UsageEvent.__table__.c.event_properties

    @staticmethod
    def _path(name: str) -> str:
        return f'$."{name}"'  # names with " or \ are refused at metric creation (values.check_property_name)

    def text(self, name: str) -> ColumnElement[Any]:
        path = self._path(name)
        kind = func.json_type(self.doc, path)
        return case(
            (kind == "text", func.json_extract(self.doc, path)),
            (kind.in_(("integer", "real")), self.doc.op("->", return_type=String())(path)),
            (kind == "true", literal("true")),
            (kind == "false", literal("false")),
        )

    def number_text(self, name: str) -> ColumnElement[Any]:
        """The property's text if it is a plain decimal (JSON numbers are stored in plain notation)."""
        path = self._path(name)
        kind = func.json_type(self.doc, path)
        return case(
            (kind.in_(("integer", "real")), self.doc.op("->", return_type=String())(path)),
            (kind == "text", func.json_extract(self.doc, path)),
        )

    @staticmethod
    def plain_decimal(t: Any) -> ColumnElement[bool]:
        unsigned = case((func.substr(t, 1, 1).in_(("-", "+")), func.substr(t, 2)), else_=t)
        dots = func.length(unsigned) - func.length(func.replace(unsigned, ".", ""))
        return and_(
            func.length(t) <= MAX_NUMBER_TEXT,
            unsigned.op("GLOB", is_comparison=True)("[0-9]*"),
            not_(unsigned.op("GLOB", is_comparison=True)("*[^0-9.]*")),
            dots <= 1,
            not_(unsigned.op("GLOB", is_comparison=True)("*.")),
        )

    @staticmethod
    def scaled_parts(t: Any) -> tuple[ColumnElement[Any], ColumnElement[Any], ColumnElement[Any]]:
        """(integer part, fraction scaled to 10 places, integer part too long for int64) of a plain decimal."""
        first = func.substr(t, 1, 1)
        unsigned = case((first.in_(("-", "+")), func.substr(t, 2)), else_=t)
        dot = func.instr(unsigned, ".")
        whole = case((dot == 0, unsigned), else_=func.substr(unsigned, 1, dot - 1))
        fraction = case((dot == 0, literal("")), else_=func.substr(unsigned, dot + 1))
        sign = case((first == "-", -1), else_=1)
        integer_part = sign * cast(whole, Integer)
        scaled_fraction = sign * cast(func.substr(fraction.concat("0" * SUM_PLACES), 1, SUM_PLACES), Integer)
        too_long = case((func.length(func.ltrim(whole, "0")) > 18, 1), else_=0)
        return integer_part, scaled_fraction, too_long


def _props(session: AsyncSession) -> _PostgresProps | _SqliteProps:
    return _PostgresProps() if session.get_bind().dialect.name == "postgresql" else _SqliteProps()


# --- query building ----------------------------------------------------------------------------------


def _filter_clauses(props: _PostgresProps | _SqliteProps, spec: MetricSpec) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for flt in spec.filters:
        text = props.text(flt.name)
        values: Sequence[str] = flt.values
        if not spec.case_sensitive:
            # Unicode caseless matching, identical on both databases (core/textfold.py, docs/usage.md).
            text = casefold(text)
            values = sorted({fold(v) for v in values})
        if flt.negate:
            clauses.append(or_(text.is_(None), text.not_in(values)))
        else:
            clauses.append(text.in_(values))
    return clauses


def _aliases_of(account_id: str, customer_ids: Sequence[str]) -> Any:
    """Every value that names one of these customers in events: their ids and all their aliases."""
    return union_all(
        select(Customer.id).where(Customer.account_id == account_id, Customer.id.in_(customer_ids)),
        select(CustomerAlias.value).where(CustomerAlias.account_id == account_id, CustomerAlias.customer_id.in_(customer_ids)),
    )


def alias_map(account_id: str) -> Any:
    """(alias, customer_id) for every customer of the account, its own id included."""
    return union_all(
        select(Customer.id.label("alias"), Customer.id.label("customer_id")).where(Customer.account_id == account_id),
        select(CustomerAlias.value.label("alias"), CustomerAlias.customer_id.label("customer_id")).where(
            CustomerAlias.account_id == account_id
        ),
    ).subquery("alias_map")


def _statement(
    props: _PostgresProps | _SqliteProps,
    spec: MetricSpec,
    account_id: str,
    start: datetime,
    end: datetime,
    *,
    customer_ids: Sequence[str] | None,
    boundaries: Sequence[datetime] = (),
) -> Any:
    """One aggregate row per key: (customer_id if all customers), (the period, numbered from 0, if
    ``boundaries`` split ``[start, end)``) and (group if GROUPED)."""
    events = UsageEvent.__table__.c
    where: list[ColumnElement[bool]] = [
        events.account_id == account_id,
        events.event_type == spec.event_type,
        events.event_timestamp >= start,
        events.event_timestamp < end,
        events.customer_alias != VOID_ALIAS,
        *_filter_clauses(props, spec),
    ]
    columns: list[Any] = [events.id.label("event_id")]
    keys: list[str] = []
    mapping = None
    if customer_ids is None:
        mapping = alias_map(account_id)
        columns.append(mapping.c.customer_id.label("customer_id"))
        keys.append("customer_id")
    else:
        where.append(events.customer_alias.in_(_aliases_of(account_id, customer_ids)))
    if boundaries:
        period = case(*((events.event_timestamp < bound, index) for index, bound in enumerate(boundaries)),
                      else_=len(boundaries))
        columns.append(period.label("period"))
        keys.append("period")
    if spec.grouping_property is not None:
        columns.append(props.text(spec.grouping_property).label("grp"))
        keys.append("grp")
    prop = spec.aggregation_property or ""
    if spec.aggregation == "UNIQUE":
        value = props.text(prop)
        if not spec.case_sensitive:
            value = casefold(value)
        columns.append(value.label("v"))
        where.append(value.is_not(None))
    elif spec.aggregation == "SUM" and isinstance(props, _PostgresProps):
        value = props.number(prop)
        columns.append(value.label("v"))
        where.append(value.is_not(None))
    elif spec.aggregation == "SUM":
        assert isinstance(props, _SqliteProps)
        value = props.number_text(prop)
        columns.append(value.label("v"))
        where.append(props.plain_decimal(value))
    inner = select(*columns).where(*where)
    if mapping is not None:
        inner = inner.join_from(UsageEvent.__table__, mapping, mapping.c.alias == events.customer_alias)
    sub = inner.subquery("matched")
    aggregates: list[Any] = [
        func.count().label("n"),
        func.min(sub.c.event_id).label("min_id"),
        func.max(sub.c.event_id).label("max_id"),
    ]
    if spec.aggregation == "UNIQUE":
        aggregates.append(func.count(distinct(sub.c.v)).label("value"))
    elif spec.aggregation == "SUM" and isinstance(props, _PostgresProps):
        aggregates.append(func.sum(sub.c.v, type_=Numeric()).label("value"))
    elif spec.aggregation == "SUM":
        integer_part, scaled_fraction, too_long = _SqliteProps.scaled_parts(sub.c.v)
        aggregates += [
            func.sum(integer_part).label("int_sum"),
            func.sum(scaled_fraction).label("frac_sum"),
            func.sum(too_long).label("too_long"),
        ]
    key_columns = [sub.c[k] for k in keys]
    stmt = select(*key_columns, *aggregates)
    return stmt.group_by(*key_columns) if key_columns else stmt


def _value(spec: MetricSpec, row: Any) -> Decimal:
    if spec.aggregation == "COUNT":
        return Decimal(row.n)
    if spec.aggregation == "UNIQUE":
        return Decimal(row.value or 0)
    mapping = row._mapping
    if "int_sum" in mapping:
        if mapping["too_long"]:
            raise CalculationOutOfRange(
                "A property value has more than 18 integer digits; SQLite cannot sum it exactly (use PostgreSQL)"
            )
        return Decimal(mapping["int_sum"] or 0) + Decimal(mapping["frac_sum"] or 0).scaleb(-SUM_PLACES)
    return Decimal(mapping["value"] or 0)


def _normalise(value: Decimal) -> Decimal:
    """Drop trailing fractional zeros (``4.0000000000`` -> ``4``) without going to exponent form."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _combine(values: Sequence[MetricValue]) -> MetricValue:
    if not values:
        return ZERO
    mins = [v.min_event_id for v in values if v.min_event_id]
    maxs = [v.max_event_id for v in values if v.max_event_id]
    return MetricValue(
        value=_normalise(sum((v.value for v in values), Decimal(0))),
        event_count=sum(v.event_count for v in values),
        min_event_id=min(mins) if mins else None,
        max_event_id=max(maxs) if maxs else None,
    )


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    try:
        return list((await session.execute(stmt)).all())
    except OperationalError as exc:
        if "integer overflow" in str(exc):
            raise CalculationOutOfRange("The sum is out of SQLite's 64-bit integer range (use PostgreSQL)") from None
        raise


def _result(spec: MetricSpec, rows: Sequence[Any]) -> MetricResult:
    values = [
        MetricValue(
            value=_normalise(_value(spec, row)),
            event_count=int(row.n),
            min_event_id=row.min_id,
            max_event_id=row.max_id,
            group=row._mapping.get("grp"),
        )
        for row in rows
        if row.n
    ]
    if spec.grouping_property is None:
        return MetricResult(total=values[0] if values else ZERO)
    values.sort(key=lambda v: (v.group is None, v.group or ""))
    return MetricResult(total=_combine(values), groups=tuple(values))


async def calculate(
    session: AsyncSession,
    account_id: str,
    spec: MetricSpec,
    customer_ids: Sequence[str],
    start: datetime,
    end: datetime,
) -> MetricResult:
    """The metric over the events of ``customer_ids`` (by id or any alias) in ``[start, end)``.

    Events are already de-duplicated by ``customerEventId`` at ingest (the last received is the stored
    one), so every stored event counts once. Events with ``customerAlias`` ``VOID`` never count.
    """
    if not customer_ids:
        return MetricResult(total=ZERO, groups=() if spec.grouping_property else None)
    stmt = _statement(_props(session), spec, account_id, start, end, customer_ids=list(customer_ids))
    return _result(spec, await _rows(session, stmt))


async def calculate_periods(
    session: AsyncSession,
    account_id: str,
    spec: MetricSpec,
    customer_ids: Sequence[str],
    periods: Sequence[tuple[datetime, datetime]],
) -> list[MetricResult]:
    """``calculate`` for each of ``periods``, consecutive ``[start, end)`` intervals (each starts where the
    one before it ends), in one query: the events of the whole span, each counted in its own period."""
    if any(before[1] != after[0] for before, after in zip(periods, periods[1:])):
        raise ValueError("periods must be consecutive")
    if not customer_ids or not periods:
        return [MetricResult(total=ZERO, groups=() if spec.grouping_property else None) for _ in periods]
    stmt = _statement(_props(session), spec, account_id, periods[0][0], periods[-1][1], customer_ids=list(customer_ids),
                      boundaries=[end for _, end in periods[:-1]])
    by_period: dict[int, list[Any]] = {}
    for row in await _rows(session, stmt):
        by_period.setdefault(int(row.period), []).append(row)
    return [_result(spec, by_period.get(index, [])) for index in range(len(periods))]


async def calculate_all(
    session: AsyncSession, account_id: str, spec: MetricSpec, start: datetime, end: datetime
) -> dict[str, MetricResult]:
    """The metric for every customer of the account with matching events in ``[start, end)``, in one query."""
    stmt = _statement(_props(session), spec, account_id, start, end, customer_ids=None)
    by_customer: dict[str, list[Any]] = {}
    for row in await _rows(session, stmt):
        by_customer.setdefault(row.customer_id, []).append(row)
    return {customer: _result(spec, rows) for customer, rows in by_customer.items()}
