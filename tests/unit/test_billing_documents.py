"""Pure unit tests of the billing-document core's mechanics (quire.billing_documents), on a table of their
own and on both kinds: the API tests cover the behaviour through each kind's routes."""

from __future__ import annotations

from enum import StrEnum

import pytest

from quire.billing_documents import lifecycle
from quire.billing_documents.lines import MAX_AMOUNT_MINOR, line_minor, storable
from quire.billing_documents.routes import listed
from quire.core.errors import InvalidStateTransition, ValidationFailed
from quire.creditnotes.models import KIND as CREDIT_NOTE
from quire.invoices.models import KIND as INVOICE


class Status(StrEnum):
    OPEN = "OPEN"
    SHUT = "SHUT"


Action = lifecycle.kind_actions("Action", __name__, REOPEN="reopen")
TABLE = {Action.EDIT: (frozenset({Status.OPEN}), None), Action.VOID: (frozenset({Status.OPEN}), Status.SHUT),
         Action.REOPEN: (frozenset({Status.SHUT}), Status.OPEN)}


def test_kind_actions_are_the_shared_verbs_and_the_kind_s_own() -> None:
    assert [a.value for a in Action] == [a.value for a in lifecycle.DocumentAction] + ["reopen"]
    assert Action.VOID == lifecycle.DocumentAction.VOID  # the same verb, whichever enum names it


def test_transition_returns_the_target_or_refuses_with_the_allowed_actions() -> None:
    assert lifecycle.transition(TABLE, Action.VOID, Status.OPEN, noun="a thing") is Status.SHUT
    assert lifecycle.transition(TABLE, Action.EDIT, Status.OPEN, noun="a thing") is None
    with pytest.raises(InvalidStateTransition) as info:
        lifecycle.transition(TABLE, Action.VOID, Status.SHUT, noun="a thing", extra="x")
    body = info.value.body()["error"]
    assert body["message"] == "Cannot void a thing in status SHUT"
    assert (body["action"], body["currentStatus"], body["extra"], body["allowedActions"]) == ("void", "SHUT", "x", ["reopen"])
    assert list(body)[-1] == "allowedActions"


def test_a_kind_s_gate_removes_an_action_from_those_allowed() -> None:
    def no_void(action: StrEnum, _current: StrEnum) -> bool:
        return action != Action.VOID

    assert lifecycle.allowed(TABLE, Status.OPEN) == ["edit", "void"]
    assert lifecycle.allowed(TABLE, Status.OPEN, no_void) == ["edit"]
    with pytest.raises(InvalidStateTransition):
        lifecycle.transition(TABLE, Action.VOID, Status.OPEN, noun="a thing", permits=no_void)


@pytest.mark.parametrize(("action", "numbered", "numbers"), [
    ("finalize", False, True), ("finalize-and-send", False, True), ("void", False, True),
    ("void", True, False), ("send", False, False), ("edit", False, False),
])
def test_which_actions_number_a_document(action: str, numbered: bool, numbers: bool) -> None:
    assert lifecycle.numbers(action, numbered) is numbers


def test_storage_limit_names_the_amount_and_the_quantity() -> None:
    assert storable((MAX_AMOUNT_MINOR - 1, 0, MAX_AMOUNT_MINOR - 1), "GBP") == (MAX_AMOUNT_MINOR - 1, 0, MAX_AMOUNT_MINOR - 1)
    with pytest.raises(ValidationFailed) as info:
        storable((0, 0, -MAX_AMOUNT_MINOR), "GBP")
    assert info.value.body()["error"]["message"].startswith("Amount -1000000000000000.00 GBP is larger than")


def test_line_minor_is_the_exact_totals_in_minor_units() -> None:
    from decimal import Decimal

    assert line_minor(Decimal("3"), Decimal("0.335"), Decimal("0.2"), "GBP") == (101, 20, 121)
    assert line_minor(Decimal("1"), Decimal("5"), Decimal("0"), "JPY") == (5, 0, 5)


def test_listed_trims_ignores_empty_items_and_names_the_parameter() -> None:
    assert listed(None, ("A", "B"), "status") == []
    assert listed(" A, ,B,", ("A", "B"), "status") == ["A", "B"]
    with pytest.raises(ValidationFailed) as info:
        listed("A,C", ("A", "B"), "status")
    assert info.value.body()["error"]["message"] == "status: 'C' is not one of A, B"


@pytest.mark.parametrize("kind", [INVOICE, CREDIT_NOTE], ids=["invoice", "credit note"])
def test_each_kind_names_its_document_key_once(kind) -> None:  # type: ignore[no-untyped-def]
    for part in (kind.line, kind.group):
        assert str(part.document_id == "x") == str(getattr(part, part.__document_key__) == "x")
    assert set(kind.sorts) >= {"createdAt", "GROSS_TOTAL"}
    assert kind.noun in ("invoice", "credit note")
