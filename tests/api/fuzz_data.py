"""Turning schemathesis' generated cases into requests that can get past Quire's validation.

Generated data alone rarely names an object that exists (a random ``customerId``) or a value Quire accepts
(a random ``currency``), so most generated writes stop at 400 and their success bodies are never fuzzed.
``realise`` edits a generated case before it is sent:

* path parameters, and id-like properties of the body and query (``customerId``, ``priceIds``,
  ``lineItemId``…), point at real objects of the fuzzed account (``RealIds``);
* for a positive case drawn as "realistic", each property that the contract gives an ``example`` takes that
  example (each with some probability, so other properties stay as generated) or, for a PUT/PATCH, the
  object's own current value (``GET`` of the same path), and an optional id-like property with no real
  object to point at (``billingScheduleId``, ``creditGrantId``…) is dropped.

Negative cases keep their invalid part: only string ids are replaced there, and schemathesis re-checks the
edited case against the schema (``case.meta``) before ``negative_data_rejection`` judges the answer.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from schemathesis import Case, GenerationMode

from tests.api.fuzz_links import _resolve

#: A mapping (path template, parameter or property name) -> real id, or None when it has none.
IdLookup = Callable[[str, str], "str | None"]


def path_id(ids: dict[str, str], path: str, name: str) -> str | None:
    """The real id for path parameter ``name`` of ``path`` (a contract template)."""
    if name == "invoice":
        return ids["invoice"]
    if name == "creditnote":
        return ids["credit_note"]
    if name == "planId":
        return ids["plans"]
    if name == "alias":
        return ids["alias"]
    if name == "billingScheduleId":  # activate a draft, archive a schedule of its own, the rest on the active one
        return ids.get({"activate": "draft_schedule", "archive": "archived_schedule"}.get(path.rsplit("/", 1)[-1], "schedule"))
    if name == "customerId":  # /credits/{customerId}/grants and /balances
        return ids["customer"]
    if name in ("type", "recipient"):  # a notification type / recipient the policy has (values, not ids)
        return ids.get({"type": "notification_type", "recipient": "recipient"}[name])
    if name != "id":
        return None
    table = [
        ("/billing-schedule-settings/for-billing-schedule/", "schedule"), ("/billing-schedule-settings/", "schedule_settings"),
        ("/discounts/", "discount"),
        # actions that need a finalized document get one; finalize itself gets the draft with a line
        ("/invoices/{id}/payment-status", "issued_invoice"), ("/invoices/{id}/send", "issued_invoice"),
        ("/invoices/{id}/void", "voidable_invoice"),  # the issued one has an issued credit note: not voidable
        ("/credit-notes/{id}/send", "issued_credit_note"), ("/credit-notes/{id}/void", "issued_credit_note"),
        ("/credit-notes/{creditnote}/line-item-groups/", "credit_group"),
        ("/credit-notes/{creditnote}/line-items/", "credit_line"),
        ("/credit-notes/{id}", "credit_note"),
        ("/invoices/{invoice}/line-item-groups/", "group"),
        ("/invoices/{invoice}/line-items/", "line"),
        ("/invoice-settings/for-invoice/", "invoice"),
        ("/invoice-settings/", "invoice_settings"),
        ("/customer-settings/", "customer_settings"),
        ("/customer-aliases/", "alias_id"),
        ("/customers/", "customer"),
        ("/invoices/", "invoice"),
        ("/tax-rates/", "tax_rate"),
        ("/tax-registrations/for-customer/", "customer"),
        ("/tax-registrations/for-merchant/", "merchant"),
        ("/tax-registrations/", "tax_registration"),
        ("/products/", "products"), ("/prices/", "prices"), ("/list-prices/", "list-prices"),
        ("/usage-metrics/", "usage-metrics"), ("/seat-types/", "seat-types"),
        ("/credits/", "credit_grant"),
        ("/notifications/policies/", "notification_policy"),
        ("/sequence-accounts/", "merchant"), ("/users/", "user"),
    ]
    for prefix, key in table:
        if path.startswith(prefix):
            return ids.get(key)
    return None


def property_id(ids: dict[str, str], path: str, name: str) -> str | None:
    """The real id for an id-like body or query property ``name`` of an operation on ``path``."""
    on_credit_note = path.startswith("/credit-notes")
    table = {
        "customerId": "bare_customer" if path == "/customer-settings" else "customer", "eligibleCustomerIds": "customer", "sequenceAccountId": "merchant",
        "merchantId": "merchant", "productId": "products", "priceId": "prices", "priceIds": "prices",
        "listPriceId": "list-prices", "usageMetricId": "usage-metrics", "seatTypeId": "seat-types",
        "taxRateId": "tax_rate", "planId": "plans",
        "parentId": None if path == "/plans/{planId}" else "plans",  # the only plan is the one PUT: not its own parent
        "invoiceId": "issued_invoice" if on_credit_note else "bare_invoice" if path == "/invoice-settings" else "invoice",
        "creditNoteId": "credit_note", "lineItemId": "issued_line", "lineItemGroupId": "issued_group",
        "groupId": "credit_group" if on_credit_note else "group",
    }
    table |= {"customerAlias": "alias", "seatType": "seat_type_key", "customerAliases": "alias"}
    table |= {"billingScheduleId": "draft_schedule" if path == "/billing-schedule-settings" else "schedule", "phaseId": "phase"} | ({"priceIds": "schedule_price"} if path.startswith("/discounts") else {})
    table |= {"metricId": "usage-metrics", "sequenceAccountIds": "merchant"}
    key = table.get(name)
    return ids.get(key) if key else None


#: Multipart operations whose only part is a file: a realistic positive case sends a real one.
UPLOADS: dict[tuple[str, str], Callable[[dict[str, str]], str]] = {
    ("POST", "/usage-events/csv"): lambda ids: (
        "eventType,eventTimestamp,customerAlias,customerEventId,eventProperty#n\n"
        f"fuzz,2024-01-01T00:00:00Z,{ids['alias']},fuzz-csv-1,3\nfuzz,2024-01-02,{ids['alias']},fuzz-csv-2,4\n"),
}

#: Where a webhook recipient URL is pointed: a closed local port (the discard port), so a policy's deliveries
#: fail at once instead of posting fuzzed events to the contract example's host (api.company.com).
LOCAL_HOST = "127.0.0.1:9"


def _local(recipient: Any) -> Any:
    """A URL recipient with its host replaced by ``LOCAL_HOST`` (scheme, path and query kept, so distinct
    recipients stay distinct); anything else as it was."""
    if not isinstance(recipient, str) or not recipient.lower().startswith(("http://", "https://")):
        return recipient
    try:
        return urlsplit(recipient)._replace(netloc=LOCAL_HOST).geturl()
    except ValueError:
        return recipient


#: Properties that name an object by a key rather than an id.
BY_KEY = ("customerAlias", "seatType")


def is_id_like(name: str) -> bool:
    return (name.endswith(("Id", "Ids")) and name not in ("externalIds", "integrationIds", "taxIdentifier")) or name in BY_KEY


def _example(raw: dict[str, Any], schema: Any, rng: random.Random) -> tuple[bool, Any]:
    if not isinstance(schema, dict):
        return False, None
    if "example" in schema:
        return True, copy.deepcopy(schema["example"])
    resolved = _resolve(raw, schema)
    if isinstance(resolved, dict):
        if "example" in resolved:
            return True, copy.deepcopy(resolved["example"])
        if resolved.get("enum"):
            return True, rng.choice(resolved["enum"])
    return False, None


def _fill(raw: dict[str, Any], schema: Any, value: Any, *, path: str, ids: dict[str, str], rng: random.Random,
          realistic: float, current: dict[str, Any] | None = None) -> Any:
    resolved = _resolve(raw, schema)
    if not isinstance(resolved, dict):
        return value
    if isinstance(value, list):
        return [_fill(raw, resolved.get("items"), item, path=path, ids=ids, rng=rng, realistic=realistic) for item in value]
    if not isinstance(value, dict):
        return value
    props: dict[str, Any] = dict(resolved.get("properties") or {})
    required = set(resolved.get("required") or [])
    for branch in resolved.get("allOf", []) + resolved.get("anyOf", []):
        props.update((_resolve(raw, branch) or {}).get("properties") or {})
    one_of = [_resolve(raw, branch) or {} for branch in resolved.get("oneOf", [])]
    chosen = [branch for branch in one_of if set(branch.get("required") or []) <= set(value)]
    if len(chosen) == 1:  # fill from the branch the case was drawn from: another's property breaks the oneOf
        props.update(chosen[0].get("properties") or {})
        required |= set(chosen[0].get("required") or [])
    else:
        for branch in one_of:
            props.update(branch.get("properties") or {})
    out = dict(value)
    for name, sub in props.items():
        real = property_id(ids, path, name) if is_id_like(name) else None
        if real is not None and name not in out and realistic > 0 and rng.random() < 0.5:
            out[name] = [real] if name.endswith("Ids") else real
            continue
        if real is not None and name in out:
            drawn = out[name]
            if name.endswith("Ids") and isinstance(drawn, list) and all(isinstance(v, str) for v in drawn):
                out[name] = [real] if drawn or realistic > 0 else []
            elif isinstance(drawn, str):
                out[name] = real
            continue
        if realistic <= 0:
            if name in out:
                out[name] = _fill(raw, sub, out[name], path=path, ids=ids, rng=rng, realistic=0.0)
            continue
        if is_id_like(name) and name not in BY_KEY and real is None and name not in required:
            out.pop(name, None)  # an id of an object Quire does not have (billing schedule, credit grant…)
            continue
        if name not in out and (name in required or rng.random() < 0.3):
            has, example = _example(raw, sub, rng)
            if has:
                out[name] = _fill(raw, sub, example, path=path, ids=ids, rng=rng, realistic=realistic)
            continue
        if name in out and name not in required and rng.random() < 0.15:
            del out[name]  # fewer optional properties: fewer combinations a rule forbids
            continue
        if name in out and current and name in current and current[name] is not None and rng.random() < 0.5:
            out[name] = copy.deepcopy(current[name])  # the object's own value: a state the object can take
        elif name in out and rng.random() < realistic:
            has, example = _example(raw, sub, rng)
            out[name] = _fill(raw, sub, example if has else out[name], path=path, ids=ids, rng=rng, realistic=realistic)
        elif name in out:
            out[name] = _fill(raw, sub, out[name], path=path, ids=ids, rng=rng, realistic=realistic)
    return out


def realise(case: Case, raw: dict[str, Any], template: str, ids: dict[str, str], auth: str, rng: random.Random,
            *, realistic: float, real_path: bool = True, current: dict[str, Any] | None = None) -> None:
    """Edit ``case`` in place (see the module docstring); ``case.meta`` is re-derived afterwards."""
    positive = case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE
    case.headers["Authorization"] = auth
    if real_path:
        for name, value in list(case.path_parameters.items()):
            real = path_id(ids, template, name)
            if real is not None and isinstance(value, str):
                case.path_parameters[name] = real
    for name, value in list((case.query or {}).items()):
        if is_id_like(name) and isinstance(value, str) and rng.random() < 0.7:
            real = property_id(ids, template, name)
            if real is not None:
                case.query[name] = real
    op = raw["paths"][template][case.method.lower()]
    schema = ((op.get("requestBody") or {}).get("content") or {}).get(case.media_type or "application/json", {}).get("schema")
    if isinstance(case.body, dict) and schema is not None:
        body = _fill(raw, schema, case.body, path=template, ids=ids, rng=rng, realistic=realistic if positive else 0.0,
                     current=current)
        if isinstance(body.get("id"), str) and "id" in case.path_parameters:
            body["id"] = case.path_parameters["id"]  # PUT /tax-rates/{id}, /list-prices/{id} repeat the path's id
        if "creditNoteId" in body and isinstance(body["creditNoteId"], str) and "creditnote" in case.path_parameters:
            body["creditNoteId"] = case.path_parameters["creditnote"]  # the body repeats the path's id
        case.body = body
    if isinstance(case.body, dict) and isinstance(case.body.get("recipients"), list):
        case.body["recipients"] = [_local(r) for r in case.body["recipients"]]
    upload = UPLOADS.get((case.method.upper(), template))
    if upload is not None and positive and realistic > 0 and isinstance(case.body, dict) and rng.random() < realistic:
        case.body = {"file": upload(ids)}  # generated bytes are never a CSV (and, as binary, count as negative)
    _ = case.meta  # re-derive positive/negative from what will be sent
