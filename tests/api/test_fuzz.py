"""Schemathesis over every operation of Sequence's 2024-01-01 contract that Quire implements.

Requests are generated from Sequence's own document (not from Quire's), positive and negative, and sent to
a live server with a real account. "Implemented" is read from the app's routes (tests/api/fuzz_links.py),
so a new route is fuzzed the day it is added; the operations Quire does not serve are printed.

Every answer must pass, for every case:

* ``not_a_server_error`` (schemathesis): no 5xx;
* ``negative_data_rejection`` (schemathesis): a request the contract does not allow is refused (4xx), apart
  from the narrow, documented exceptions in ``ACCEPTED_ON_PURPOSE``;
* the contract oracle of tests/contract.py: a declared status, the schema of 2xx bodies, the error shape;
* an operation with no path parameter never answers 404: a bad reference in its body or query is a 400
  naming the field (issue 12, class 2).

Generated values are pointed at real objects of the account and, for "realistic" positive cases, at the
contract's own examples (tests/api/fuzz_data.py), so writes get past validation and their success bodies
are fuzzed too. Each test prints a report of how many generated requests got a 2xx, per operation.

Two phases, on SQLite and PostgreSQL:

* ``test_operation``: per operation, QUIRE_FUZZ_EXAMPLES generated cases (default 20), half negative;
* ``test_stateful``: schemathesis' state machine over OpenAPI links added programmatically (the contract
  declares none): an object created by one request is read, changed, acted on and deleted by the next ones.
  QUIRE_FUZZ_STATEFUL scenarios (default 30).

QUIRE_FUZZ_SEED changes the generator's seed (default: fixed, so CI is repeatable; any other value is a
new exploration of the same generator).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Flaky
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.api.catalogue_helpers import catalogue_ids
from tests.api.fuzz_data import path_id, realise
from tests.api.fuzz_exceptions import accepted_on_purpose
from tests.api.fuzz_links import split_operations, with_links
from tests.api.invoice_helpers import add_group, add_line, new_customer, new_invoice
from tests.api.usage_helpers import usage_ids
from tests.api.user_helpers import real_user
from tests.api.schedule_helpers import schedule_ids
from tests.contract import contract_path, get_contract
from tests.support import ApiClient, LiveServer

EXAMPLES = int(os.environ.get("QUIRE_FUZZ_EXAMPLES", "20"))
STATEFUL = int(os.environ.get("QUIRE_FUZZ_STATEFUL", "30"))
SEED = int(os.environ.get("QUIRE_FUZZ_SEED", "12"))

RAW: dict[str, Any] = json.loads(contract_path().read_text())
IMPLEMENTED, NOT_IMPLEMENTED = split_operations(RAW)
LINKED, LINK_COUNT = with_links(RAW, IMPLEMENTED)
SCHEMA = schemathesis.openapi.from_dict(LINKED)
OPERATIONS = [SCHEMA[path][method.lower()] for method, path in IMPLEMENTED]
CHECKS = [not_a_server_error, negative_data_rejection]
#: How much of a positive case is replaced by the contract's examples: drawn per case (0: none, as generated).
#: Fully realistic first: Hypothesis draws index 0 most (its simplest value), and with 20 cases an operation
#: whose generated bodies rarely pass validation (POST /billing-schedules: nested phases, discounts, minimums)
#: otherwise never reached a 2xx.
REALISM = (1.0, 0.9, 0.7, 0.0)

#: (database, "METHOD /template") -> counts of generated requests sent and answered 2xx, by mode.
STATS: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))


def _label(op: Any) -> str:
    return f"{op.method.upper()} {op.path}"


def _seat_type_key(client: ApiClient) -> dict[str, str]:
    seat_types = client.get("/seat-types").json()["items"]
    return {"seat_type_key": seat_types[0]["key"]} if seat_types else {}


def _real_ids(client: ApiClient) -> dict[str, str]:
    """One of every object the fuzzer's path parameters and id-like properties can point at."""
    customer = new_customer(client)
    invoice = new_invoice(client, customer=customer)
    line = add_line(client, invoice["id"])
    group = add_group(client, invoice["id"])
    alias = client.post("/customer-aliases", json={
        "sequenceAccountId": client.credential.account_id, "customerId": customer["id"], "value": f"alias-{customer['id']}"})
    assert alias.status_code == 201, alias.text
    settings_ = client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "NONE"})
    invoice_settings = client.post("/invoice-settings", json={"invoiceId": invoice["id"], "paymentProvider": "NONE"})
    tax_rate = client.post("/tax-rates", json={"isPublished": True, "name": "VAT", "invoiceName": "Value Added Tax",
                                               "invoiceShortName": "VAT", "amount": "0.2", "country": "GB"})
    tax_registration = client.post("/tax-registrations", json={
        "taxIdentifier": "GB980780684", "customerId": customer["id"], "country": "GB"})
    bare_customer = new_customer(client)
    bare_invoice = new_invoice(client, customer=customer)
    issued = new_invoice(client, customer=customer)
    issued_group = add_group(client, issued["id"])
    issued_line = add_line(client, issued["id"], quantity="1000", rate="100", taxRate="0.2")
    assert client.post(f"/invoices/{issued['id']}/finalize").status_code == 200
    note = client.post("/credit-notes", json={"invoiceId": issued["id"], "currency": "GBP", "customerId": customer["id"]}).json()
    note_line = client.post(f"/credit-notes/{note['id']}/line-items", json={
        "creditNoteId": note["id"], "lineItemId": issued_line["id"], "title": "Credit", "quantity": "1", "rate": "1",
        "taxRate": "0.2", "externalIds": []}).json()
    note_group = client.post(f"/credit-notes/{note['id']}/line-item-groups", json={"title": "Credits"}).json()
    issued_note = client.post("/credit-notes", json={"invoiceId": issued["id"], "currency": "GBP", "customerId": customer["id"]}).json()
    assert client.post(f"/credit-notes/{issued_note['id']}/line-items", json={
        "creditNoteId": issued_note["id"], "lineItemId": issued_line["id"], "title": "Credit", "quantity": "1", "rate": "1",
        "taxRate": "0.2", "externalIds": []}).status_code == 201
    assert client.post(f"/credit-notes/{issued_note['id']}/finalize").status_code == 200
    voidable = new_invoice(client, customer=customer)  # finalized, no credit note: POST /invoices/{id}/void can succeed
    add_line(client, voidable["id"])
    assert client.post(f"/invoices/{voidable['id']}/finalize").status_code == 200
    credit_grant = client.post("/credits", json={
        "sequenceAccountId": client.credential.account_id, "customerId": customer["id"], "name": "Fuzz credit",
        "creditUnitType": "CURRENCY", "currency": "GBP", "amount": 100})
    assert credit_grant.status_code == 201, credit_grant.text
    policy = client.post("/notifications/policies", json={  # types Quire never sends: nothing is delivered
        "name": "Fuzz policy", "channel": "EMAIL", "recipients": ["a@quire.example", "b@quire.example"],
        "notificationTypes": ["QUOTE_PUBLISHED", "QUOTE_ACCEPTED"]})
    assert policy.status_code == 201, policy.text
    return {"notification_policy": policy.json()["id"], "credit_grant": credit_grant.json()["id"], **catalogue_ids(client), **usage_ids(client), "customer": customer["id"], "invoice": invoice["id"],
            "line": line["id"], "group": group["id"], "issued_invoice": issued["id"], "issued_line": issued_line["id"],
            "issued_group": issued_group["id"], "credit_note": note["id"], "credit_line": note_line["id"],
            "credit_group": note_group["id"], "alias": alias.json()["value"], "alias_id": alias.json()["id"],
            "customer_settings": settings_.json()["id"], "invoice_settings": invoice_settings.json()["id"],
            "tax_rate": tax_rate.json()["id"], "tax_registration": tax_registration.json()["id"],
            "merchant": client.credential.account_id, "bare_customer": bare_customer["id"],
            "bare_invoice": bare_invoice["id"], "issued_credit_note": issued_note["id"], "user": real_user(client),
            "voidable_invoice": voidable["id"], "notification_type": policy.json()["notificationTypes"][0], "recipient": policy.json()["recipients"][0]} | _seat_type_key(client) | schedule_ids(client)


def _current(api: ApiClient, operation: Any, ids: dict[str, str]) -> dict[str, Any] | None:
    """For a PUT/PATCH, the object as GET of the same path shows it (its values are states it can take)."""
    if operation.method.upper() not in ("PUT", "PATCH") or "get" not in RAW["paths"][operation.path]:
        return None
    params = {name: path_id(ids, operation.path, name) for name in re.findall(r"\{([^/}]+)\}", operation.path)}
    if None in params.values():
        return None
    response = api.get(operation.path.format(**params))
    body = response.json() if response.status_code == 200 else None
    if isinstance(body, dict) and len(body) == 1 and isinstance(next(iter(body.values())), dict):
        body = next(iter(body.values()))  # {"customer": {...}}
    return body if isinstance(body, dict) else None


def _detail(message: str) -> str:
    lines = [line.strip() for line in str(message).splitlines() if line.strip() and not line.startswith("Expected:")]
    return "; ".join(lines[1:] or lines)[:400]


#: Per database: how often each exception of tests/api/fuzz_exceptions.py excused an accepted negative case.
EXCEPTED: dict[str, Counter[str]] = defaultdict(Counter)


def _judge(case: Any, response: Any, template: str, db: str) -> list[str]:
    """Every way this answer fails the contract, as one line each (empty: it passed)."""
    problems: list[str] = []
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        for failure in group.exceptions:
            if isinstance(failure, AcceptedNegativeData) and (reasons := accepted_on_purpose(case)):
                EXCEPTED[db].update(reasons)
                continue
            problems.append(f"{failure.title}: {_detail(failure.message)}")
    status = response.status_code
    if status == 404 and "{" not in template:
        problems.append("404 from an operation with no path parameter (a bad reference in body/query is 400)")
    try:
        path = response.request.path_url.split("?", 1)[0] if hasattr(response.request, "path_url") else case.formatted_path
        content_type = response.headers.get("content-type")
        if isinstance(content_type, list):
            content_type = content_type[0] if content_type else None
        get_contract().validate_response(case.method, path, status, response.content, content_type)
    except AssertionError as exc:
        problems.append(str(exc).splitlines()[0][:300])
    return problems


def _describe(case: Any, response: Any) -> str:
    mode = case.meta.generation.mode.value if case.meta else "?"
    body = json.dumps(case.body, default=str)[:400] if not isinstance(case.body, type(None)) and hasattr(case, "body") else ""
    query = f"?{case.query}" if case.query else ""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    return (f"[{mode}] {case.method} {case.formatted_path}{query} headers={headers} media={case.media_type} "
            f"body={body} -> {response.status_code} {response.text[:300]}")


def _dump(db: str, label: str, failures: list[str]) -> None:
    """QUIRE_FUZZ_DUMP=<file>: append every failure as a JSON line, for triage."""
    target = os.environ.get("QUIRE_FUZZ_DUMP")
    if target and failures:
        with open(target, "a", encoding="utf-8") as out:
            for failure in failures:
                out.write(json.dumps({"db": db, "operation": label, "failure": failure}) + "\n")


def _trace(db: str, label: str, case: Any, response: Any) -> None:
    """QUIRE_FUZZ_TRACE=<text>: with QUIRE_FUZZ_DUMP, also write every exchange of operations whose label contains it."""
    wanted = os.environ.get("QUIRE_FUZZ_TRACE")
    if wanted and wanted in label:
        _dump(db, label, [f"trace: {_describe(case, response)}"])


def _count(db: str, label: str, case: Any, status: int) -> None:
    mode = case.meta.generation.mode.value if case.meta else "positive"
    stats = STATS[db][label]
    stats["sent"] += 1
    stats[mode] += 1
    if 200 <= status < 300:
        stats["2xx"] += 1
        stats[f"{mode} 2xx"] += 1


def _report(db: str, terminal: Any, elapsed: float) -> None:
    rows = STATS.get(db, {})
    if not rows:
        return
    lines = [f"", f"schemathesis on {db}: 2xx per operation (positive 2xx/sent, negative 2xx/sent; "
             f"{len(IMPLEMENTED)} operations implemented, {LINK_COUNT} links)"]
    total = Counter[str]()
    for label in sorted(rows, key=lambda lbl: (lbl.split(" ", 1)[1], lbl)):
        c = rows[label]
        total.update(c)
        lines.append(f"  {label:58} {c['2xx']:4}/{c['sent']:<4} pos {c['positive 2xx']:3}/{c['positive']:<3} "
                     f"neg {c['negative 2xx']:3}/{c['negative']:<3}")
    writes = [lbl for lbl in rows if not lbl.startswith("GET")]
    lines.append(f"  total {total['2xx']}/{total['sent']} 2xx; write operations with a 2xx: "
                 f"{sum(1 for lbl in writes if rows[lbl]['2xx'])}/{len(writes)}")
    lines.append("  not implemented (not fuzzed): " + ", ".join(
        f"{tag} ({sum(1 for _, _, t in NOT_IMPLEMENTED if t == tag)})" for tag in sorted({t for _, _, t in NOT_IMPLEMENTED})))
    lines.append("  accepted on purpose (tests/api/fuzz_exceptions.py): "
                 + (", ".join(f"{reason} x{n}" for reason, n in sorted(EXCEPTED[db].items())) or "none"))
    lines.append(f"  fuzz time on {db}: {elapsed:.0f} s")
    if terminal is not None:
        for line in lines:
            terminal.write_line(line)
    else:
        print("\n".join(lines))


@pytest.fixture(scope="module")
def fuzz_context(server: LiveServer, request: pytest.FixtureRequest) -> Iterator[tuple[LiveServer, str, ApiClient]]:
    credential = server.new_account("Fuzz account")
    token = base64.b64encode(f"{credential.client_id}:{credential.client_secret}".encode()).decode()
    started = time.monotonic()
    with ApiClient(server.base_url, credential) as api:
        yield server, f"Basic {token}", api
    # The report goes to the terminal past pytest's output capture, so a passing run shows it too.
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
        _report(server.name, terminal, time.monotonic() - started)


def test_every_implemented_operation_is_fuzzed() -> None:
    """The fuzzed set is the app's routes, and the app serves every operation of the contract (the last tags,
    Billing Schedules, Discounts and Credits of issue 14 included): a route dropped by mistake fails here."""
    assert NOT_IMPLEMENTED == [], NOT_IMPLEMENTED
    assert len(OPERATIONS) == len(IMPLEMENTED) >= 100
    assert LINK_COUNT > 50


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_operation(operation: Any, fuzz_context: tuple[LiveServer, str, ApiClient]) -> None:
    server, auth, api = fuzz_context
    ids = _real_ids(api)
    label = _label(operation)
    failures: list[str] = []
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    current = _current(api, operation, ids)

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])
    @given(case=cases, realistic=st.integers(0, 3), salt=st.integers(0, 2**32 - 1))
    def run(case: Any, realistic: int, salt: int) -> None:
        realise(case, RAW, operation.path, ids, auth, random.Random(salt), realistic=REALISM[realistic], current=current)
        response = case.call(base_url=server.base_url, timeout=30)
        _count(server.name, label, case, response.status_code)
        _trace(server.name, label, case, response)
        for problem in _judge(case, response, operation.path, server.name):
            failures.append(f"{problem}\n    {_describe(case, response)}")

    run()
    _dump(server.name, label, failures)
    assert not failures, f"{len(failures)} failures, first ones:\n" + "\n".join(list(dict.fromkeys(failures))[:6])


@pytest.mark.slow
def test_stateful(fuzz_context: tuple[LiveServer, str, ApiClient]) -> None:
    server, auth, api = fuzz_context
    ids = _real_ids(api)
    failures: list[str] = []
    rng = random.Random(SEED)
    implemented = [RAW["paths"][path][method.lower()]["operationId"] for method, path in IMPLEMENTED]
    base = SCHEMA.include(operation_id=implemented).as_state_machine()

    class Machine(base):  # type: ignore[valid-type, misc]
        scenarios = 0

        def setup(self) -> None:
            type(self).scenarios += 1

        def before_call(self, case: Any) -> None:
            # Linked values already name real objects; only the rest is pointed at the account's objects.
            realise(case, RAW, case.operation.path, ids, auth, rng, realistic=rng.choice(REALISM), real_path=False)
            for name, value in list(case.path_parameters.items()):
                if not isinstance(value, str) or len(value) != 36:
                    real = path_id(ids, case.operation.path, name)
                    if real is not None:
                        case.path_parameters[name] = real
            _ = case.meta

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": server.base_url, "timeout": 30}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            label = f"{case.method.upper()} {case.operation.path}"
            _count(server.name, label, case, response.status_code)
            for problem in _judge(case, response, case.operation.path, server.name):
                failures.append(f"{problem}\n    {_describe(case, response)}")

    # A live server's state decides which links can fire, so Hypothesis may find a replay inconsistent
    # (``Flaky``); schemathesis' own engine then starts a new run, and so does this loop, until the
    # scenarios are done. Failures are collected, not raised, so no shrinking replays are needed.
    attempts = 0
    while Machine.scenarios < STATEFUL and attempts < 8:
        attempts += 1
        try:
            Machine.run(settings=settings(max_examples=STATEFUL - Machine.scenarios, stateful_step_count=6,
                                          deadline=None, database=None, suppress_health_check=list(HealthCheck),
                                          phases=[Phase.generate]))
        except Flaky:
            continue
    _dump(server.name, "stateful", failures)
    assert not failures, f"{len(failures)} failures, first ones:\n" + "\n".join(list(dict.fromkeys(failures))[:6])
