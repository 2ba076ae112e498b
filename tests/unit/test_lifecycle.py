"""Pure unit tests of quire.invoices.lifecycle: the invoice state machine table and check()."""

from __future__ import annotations

import itertools

import pytest

from quire.core.errors import InvalidStateTransition, QuireError
from quire.invoices.lifecycle import (
    TRANSITIONS,
    VOIDABLE_SENT_PAYMENT_STATUSES,
    Action,
    InvoiceStatus,
    PaymentStatus,
    allowed_actions,
    check,
)

S = InvoiceStatus
P = PaymentStatus
A = Action

#: The state machine as documented (docs/invoices.md), written out independently of TRANSITIONS:
#: action → (statuses it is allowed from, resulting status; None = unchanged / removed)
EXPECTED: dict[Action, tuple[set[InvoiceStatus], InvoiceStatus | None]] = {
    A.EDIT: ({S.IN_PROGRESS, S.DRAFT}, None),
    A.DELETE: ({S.DRAFT}, None),
    A.FINALIZE: ({S.DRAFT}, S.FINAL),
    A.SEND: ({S.FINAL, S.SENT}, S.SENT),
    A.FINALIZE_AND_SEND: ({S.DRAFT}, S.SENT),
    A.VOID: ({S.DRAFT, S.FINAL, S.SENT}, S.VOIDED),
    A.SET_PAYMENT_STATUS: ({S.FINAL, S.SENT}, None),
}
VOIDABLE_WHEN_SENT = {P.UNPAID, P.UNCOLLECTIBLE}

ALL_TRIPLES = list(itertools.product(InvoiceStatus, PaymentStatus, Action))


def expected_allowed(status: InvoiceStatus, payment: PaymentStatus, action: Action) -> bool:
    sources, _ = EXPECTED[action]
    if status not in sources:
        return False
    if action is A.VOID and status in (S.FINAL, S.SENT):
        return payment in VOIDABLE_WHEN_SENT
    return True


def test_enums_match_the_contract_values() -> None:
    assert [s.value for s in InvoiceStatus] == ["IN_PROGRESS", "DRAFT", "FINAL", "SENT", "VOIDED"]
    assert {p.value for p in PaymentStatus} == {"UNPAID", "PARTIALLY_PAID", "PAID", "UNCOLLECTIBLE", "FAILED"}


def test_transition_table_matches_the_documented_state_machine() -> None:
    assert set(TRANSITIONS) == set(Action)
    for action, (sources, target) in TRANSITIONS.items():
        assert (set(sources), target) == EXPECTED[action], action
    assert set(VOIDABLE_SENT_PAYMENT_STATUSES) == VOIDABLE_WHEN_SENT


def test_voided_is_terminal() -> None:
    for payment in PaymentStatus:
        assert allowed_actions("VOIDED", payment) == []
        for action in Action:
            with pytest.raises(InvalidStateTransition):
                check(action, "VOIDED", payment)


# --- every allowed transition ------------------------------------------------------------------

ALLOWED = [(s, p, a) for s, p, a in ALL_TRIPLES if expected_allowed(s, p, a)]
REFUSED = [(s, p, a) for s, p, a in ALL_TRIPLES if not expected_allowed(s, p, a)]


@pytest.mark.parametrize(("status", "payment", "action"), ALLOWED, ids=lambda v: str(v))
def test_every_allowed_transition_returns_its_target(status: S, payment: P, action: A) -> None:
    assert check(action, status.value, payment.value) == EXPECTED[action][1]
    assert action.value in allowed_actions(status.value, payment.value)


@pytest.mark.parametrize(
    ("action", "status", "payment", "target"),
    [
        (A.EDIT, "DRAFT", "UNPAID", None),
        (A.EDIT, "IN_PROGRESS", "UNPAID", None),
        (A.DELETE, "DRAFT", "UNPAID", None),
        (A.FINALIZE, "DRAFT", "UNPAID", S.FINAL),
        (A.SEND, "FINAL", "UNPAID", S.SENT),
        (A.SEND, "SENT", "UNPAID", S.SENT),  # re-sending is allowed
        (A.FINALIZE_AND_SEND, "DRAFT", "UNPAID", S.SENT),
        (A.VOID, "DRAFT", "UNPAID", S.VOIDED),
        (A.VOID, "FINAL", "UNPAID", S.VOIDED),
        (A.VOID, "SENT", "UNPAID", S.VOIDED),
        (A.VOID, "SENT", "UNCOLLECTIBLE", S.VOIDED),
        (A.SET_PAYMENT_STATUS, "FINAL", "UNPAID", None),
        (A.SET_PAYMENT_STATUS, "SENT", "PAID", None),
    ],
)
def test_named_allowed_transitions(action: A, status: str, payment: str, target: S | None) -> None:
    assert check(action, status, payment) == target


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "payment"),
    [
        (A.FINALIZE, "FINAL", "UNPAID"),  # finalize a FINAL
        (A.FINALIZE, "SENT", "UNPAID"),
        (A.FINALIZE, "IN_PROGRESS", "UNPAID"),
        (A.FINALIZE, "VOIDED", "UNPAID"),
        (A.SEND, "DRAFT", "UNPAID"),  # send a DRAFT: finalize first (or finalize-and-send)
        (A.SEND, "IN_PROGRESS", "UNPAID"),
        (A.SEND, "VOIDED", "UNPAID"),
        (A.FINALIZE_AND_SEND, "FINAL", "UNPAID"),
        (A.FINALIZE_AND_SEND, "SENT", "UNPAID"),
        (A.VOID, "SENT", "PAID"),  # void a paid SENT invoice: issue a credit note
        (A.VOID, "SENT", "PARTIALLY_PAID"),
        (A.VOID, "SENT", "FAILED"),
        (A.VOID, "FINAL", "PAID"),  # paid before it was sent: still a credit note
        (A.VOID, "FINAL", "PARTIALLY_PAID"),
        (A.VOID, "IN_PROGRESS", "UNPAID"),
        (A.VOID, "VOIDED", "UNPAID"),
        (A.DELETE, "FINAL", "UNPAID"),  # delete non-DRAFT
        (A.DELETE, "SENT", "UNPAID"),
        (A.DELETE, "VOIDED", "UNPAID"),
        (A.DELETE, "IN_PROGRESS", "UNPAID"),
        (A.EDIT, "FINAL", "UNPAID"),  # edit FINAL
        (A.EDIT, "SENT", "UNPAID"),
        (A.EDIT, "VOIDED", "UNPAID"),
        (A.SET_PAYMENT_STATUS, "DRAFT", "UNPAID"),  # payment status on a DRAFT
        (A.SET_PAYMENT_STATUS, "IN_PROGRESS", "UNPAID"),
        (A.SET_PAYMENT_STATUS, "VOIDED", "PAID"),
    ],
)
def test_named_refusals(action: A, status: str, payment: str) -> None:
    with pytest.raises(InvalidStateTransition) as info:
        check(action, status, payment)
    error = info.value
    assert error.status_code == 400
    assert error.error_type == "InvalidStateTransition"
    body = error.body()["error"]
    assert body["type"] == "InvalidStateTransition"
    assert body["action"] == action.value
    assert body["currentStatus"] == status
    assert body["paymentStatus"] == payment
    assert body["allowedActions"] == allowed_actions(status, payment)
    assert action.value not in body["allowedActions"]
    assert status in body["message"]


def test_void_paid_sent_invoice_message_points_to_credit_note() -> None:
    with pytest.raises(InvalidStateTransition) as info:
        check(A.VOID, "SENT", "PAID")
    body = info.value.body()["error"]
    assert body["message"] == (
        "Cannot void a SENT invoice whose payment status is PAID; issue a credit note instead"
    )
    assert body["allowedActions"] == ["send", "payment-status"]
    assert "PAID" in body["message"] and "SENT" in body["message"]


def test_generic_refusal_message_and_body() -> None:
    with pytest.raises(InvalidStateTransition) as info:
        check(A.FINALIZE, "FINAL", "UNPAID")
    assert info.value.body() == {
        "error": {
            "type": "InvalidStateTransition",
            "message": "Cannot finalize an invoice in status FINAL",
            "action": "finalize",
            "currentStatus": "FINAL",
            "paymentStatus": "UNPAID",
            "allowedActions": ["send", "void", "payment-status"],
        }
    }


@pytest.mark.parametrize(
    ("status", "payment", "expected"),
    [
        ("IN_PROGRESS", "UNPAID", ["edit"]),
        ("DRAFT", "UNPAID", ["edit", "delete", "finalize", "finalize-and-send", "void"]),
        ("FINAL", "UNPAID", ["send", "void", "payment-status"]),
        ("FINAL", "PAID", ["send", "payment-status"]),
        ("SENT", "UNPAID", ["send", "void", "payment-status"]),
        ("SENT", "UNCOLLECTIBLE", ["send", "void", "payment-status"]),
        ("SENT", "PAID", ["send", "payment-status"]),
        ("SENT", "PARTIALLY_PAID", ["send", "payment-status"]),
        ("SENT", "FAILED", ["send", "payment-status"]),
        ("VOIDED", "UNPAID", []),
    ],
)
def test_allowed_actions(status: str, payment: str, expected: list[str]) -> None:
    assert allowed_actions(status, payment) == expected


# --- exhaustive --------------------------------------------------------------------------------


def test_check_is_total_over_every_status_payment_action_triple() -> None:
    """check() either passes or raises InvalidStateTransition, never anything else, for all triples."""
    assert len(ALL_TRIPLES) == len(InvoiceStatus) * len(PaymentStatus) * len(Action)
    for status, payment, action in ALL_TRIPLES:
        allowed = allowed_actions(status.value, payment.value)
        try:
            result = check(action, status.value, payment.value)
        except InvalidStateTransition as error:
            assert not expected_allowed(status, payment, action), (status, payment, action)
            assert isinstance(error, QuireError) and error.status_code == 400
            body = error.body()["error"]
            assert body["currentStatus"] == status.value
            assert body["paymentStatus"] == payment.value
            assert body["action"] == action.value
            assert body["allowedActions"] == allowed
            assert action.value not in allowed
        except Exception as error:  # noqa: BLE001 - the point of the test
            pytest.fail(f"check({action}, {status}, {payment}) raised {type(error).__name__}: {error}")
        else:
            assert expected_allowed(status, payment, action), (status, payment, action)
            assert result == TRANSITIONS[action][1]
            assert result is None or isinstance(result, InvoiceStatus)
            assert action.value in allowed


def test_allowed_actions_agrees_with_check_everywhere() -> None:
    for status, payment in itertools.product(InvoiceStatus, PaymentStatus):
        allowed = allowed_actions(status.value, payment.value)
        assert allowed == [a.value for a in Action if expected_allowed(status, payment, a)]
        assert all(isinstance(a, str) for a in allowed)


def test_check_accepts_enum_members_as_well_as_strings() -> None:
    assert check(A.FINALIZE, S.DRAFT, P.UNPAID) is S.FINAL


def test_refused_and_allowed_partition_all_triples() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(ALL_TRIPLES)
    assert ALLOWED and REFUSED
