"""The invoice state machine, in one table. Pure: no session, no clock.

Statuses (Sequence): IN_PROGRESS → DRAFT → FINAL → SENT, and VOIDED (terminal). See docs/invoices.md.
"""

from __future__ import annotations

from enum import StrEnum

from quire.core.errors import InvalidStateTransition


class InvoiceStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    DRAFT = "DRAFT"
    FINAL = "FINAL"
    SENT = "SENT"
    VOIDED = "VOIDED"


class PaymentStatus(StrEnum):
    UNPAID = "UNPAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    UNCOLLECTIBLE = "UNCOLLECTIBLE"
    FAILED = "FAILED"


class Action(StrEnum):
    EDIT = "edit"  # PUT/PATCH the invoice, write its lines and groups
    DELETE = "delete"
    FINALIZE = "finalize"
    SEND = "send"
    FINALIZE_AND_SEND = "finalize-and-send"
    VOID = "void"
    SET_PAYMENT_STATUS = "payment-status"


S = InvoiceStatus
EDITABLE = frozenset({S.DRAFT, S.IN_PROGRESS})

#: action → (statuses it is allowed from, status it leads to; None = status unchanged / removed)
TRANSITIONS: dict[Action, tuple[frozenset[InvoiceStatus], InvoiceStatus | None]] = {
    Action.EDIT: (EDITABLE, None),
    Action.DELETE: (frozenset({S.DRAFT}), None),
    Action.FINALIZE: (frozenset({S.DRAFT}), S.FINAL),
    Action.SEND: (frozenset({S.FINAL, S.SENT}), S.SENT),
    Action.FINALIZE_AND_SEND: (frozenset({S.DRAFT}), S.SENT),
    Action.VOID: (frozenset({S.DRAFT, S.FINAL, S.SENT}), S.VOIDED),
    Action.SET_PAYMENT_STATUS: (frozenset({S.FINAL, S.SENT}), None),
}

#: A FINAL or SENT invoice may be voided only while nothing was collected (a paid one needs a credit note).
VOIDABLE_PAYMENT_STATUSES = frozenset({PaymentStatus.UNPAID, PaymentStatus.UNCOLLECTIBLE})
VOIDABLE_SENT_PAYMENT_STATUSES = VOIDABLE_PAYMENT_STATUSES  # the name the contract's wording suggests
ISSUED = frozenset({S.FINAL, S.SENT})


def allowed_actions(status: str, payment_status: str) -> list[str]:
    return _allowed(InvoiceStatus(status), payment_status)


def check(action: Action, status: str, payment_status: str) -> InvoiceStatus | None:
    """Return the status ``action`` leads to, or raise ``InvalidStateTransition`` (400)."""
    current = InvoiceStatus(status)
    if action.value in _allowed(current, payment_status):
        return TRANSITIONS[action][1]
    if action is Action.VOID and current in ISSUED:
        message = f"Cannot void a {current.value} invoice whose payment status is {payment_status}; issue a credit note instead"
    else:
        message = f"Cannot {action.value} an invoice in status {current.value}"
    raise _refuse(action, current, payment_status, message)


def _refuse(action: Action, current: InvoiceStatus, payment_status: str, message: str) -> InvalidStateTransition:
    return InvalidStateTransition(
        message,
        action=action.value,
        currentStatus=current.value,
        paymentStatus=payment_status,
        allowedActions=_allowed(current, payment_status),
    )


def _allowed(current: InvoiceStatus, payment_status: str) -> list[str]:
    out = []
    for action, (sources, _target) in TRANSITIONS.items():
        if current not in sources:
            continue
        if action is Action.VOID and current in ISSUED and PaymentStatus(payment_status) not in VOIDABLE_PAYMENT_STATUSES:
            continue
        out.append(action.value)
    return out
