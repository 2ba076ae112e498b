"""The credit note state machine, in one table (mechanics: ``quire.billing_documents.lifecycle``). Pure.

Statuses (Sequence 2024-01-01): DRAFT → FINAL → SENT, and VOIDED (terminal). Same verbs and the same
refusal (400 ``InvalidStateTransition`` with the allowed actions) as invoices; a credit note has no
payment status, so nothing else gates ``void``. See docs/credit-notes.md.
"""

from __future__ import annotations

from enum import StrEnum

from quire.billing_documents import lifecycle
from quire.billing_documents.lifecycle import DocumentAction as Action


class CreditNoteStatus(StrEnum):
    DRAFT = "DRAFT"
    FINAL = "FINAL"
    SENT = "SENT"
    VOIDED = "VOIDED"


S = CreditNoteStatus

#: action → (statuses it is allowed from, status it leads to; None = status unchanged / removed)
TRANSITIONS: dict[Action, tuple[frozenset[CreditNoteStatus], CreditNoteStatus | None]] = {
    Action.EDIT: (frozenset({S.DRAFT}), None),
    Action.DELETE: (frozenset({S.DRAFT}), None),
    Action.FINALIZE: (frozenset({S.DRAFT}), S.FINAL),
    Action.SEND: (frozenset({S.FINAL, S.SENT}), S.SENT),
    Action.FINALIZE_AND_SEND: (frozenset({S.DRAFT}), S.SENT),
    Action.VOID: (frozenset({S.DRAFT, S.FINAL, S.SENT}), S.VOIDED),
}


def allowed_actions(status: str) -> list[str]:
    return lifecycle.allowed(TRANSITIONS, CreditNoteStatus(status))


def check(action: Action, status: str) -> CreditNoteStatus | None:
    """Return the status ``action`` leads to, or raise ``InvalidStateTransition`` (400)."""
    return lifecycle.transition(TRANSITIONS, action, CreditNoteStatus(status), noun="a credit note")
