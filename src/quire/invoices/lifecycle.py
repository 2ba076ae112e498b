"""The invoice state machine, in one table (mechanics: ``quire.billing_documents.lifecycle``). Pure.

Statuses (Sequence): IN_PROGRESS → DRAFT → FINAL → SENT, and VOIDED (terminal). An issued invoice is
voidable only while nothing was collected. See docs/invoices.md.
"""

from __future__ import annotations

from enum import StrEnum

from quire.billing_documents import lifecycle


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


#: The document verbs, and setting the payment status.
Action = lifecycle.kind_actions("Action", __name__, SET_PAYMENT_STATUS="payment-status")

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


def _permits(payment_status: str) -> lifecycle.Permits[Action, InvoiceStatus]:
    def permits(action: Action, current: InvoiceStatus) -> bool:
        return not (action == Action.VOID and current in ISSUED
                    and PaymentStatus(payment_status) not in VOIDABLE_PAYMENT_STATUSES)
    return permits


def allowed_actions(status: str, payment_status: str) -> list[str]:
    return lifecycle.allowed(TRANSITIONS, InvoiceStatus(status), _permits(payment_status))


def check(action: Action, status: str, payment_status: str) -> InvoiceStatus | None:
    """Return the status ``action`` leads to, or raise ``InvalidStateTransition`` (400)."""
    current = InvoiceStatus(status)
    message = None
    if action == Action.VOID and current in ISSUED:
        message = f"Cannot void a {current.value} invoice whose payment status is {payment_status}; issue a credit note instead"
    return lifecycle.transition(TRANSITIONS, action, current, noun="an invoice", permits=_permits(payment_status),
                                message=message, paymentStatus=payment_status)
