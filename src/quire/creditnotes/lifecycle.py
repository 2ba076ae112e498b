"""The credit note state machine, in one table. Pure: no session, no clock.

Statuses (Sequence 2024-01-01): DRAFT → FINAL → SENT, and VOIDED (terminal). Same verbs and the same
refusal (400 ``InvalidStateTransition`` with the allowed actions) as invoices; a credit note has no
payment status, so nothing else gates ``void``. See docs/credit-notes.md.
"""

from __future__ import annotations

from enum import StrEnum

from quire.core.errors import InvalidStateTransition


class CreditNoteStatus(StrEnum):
    DRAFT = "DRAFT"
    FINAL = "FINAL"
    SENT = "SENT"
    VOIDED = "VOIDED"


class Action(StrEnum):
    EDIT = "edit"  # PUT the credit note, write its lines and groups
    DELETE = "delete"
    FINALIZE = "finalize"
    SEND = "send"
    FINALIZE_AND_SEND = "finalize-and-send"
    VOID = "void"


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
    current = CreditNoteStatus(status)
    return [action.value for action, (sources, _) in TRANSITIONS.items() if current in sources]


def check(action: Action, status: str) -> CreditNoteStatus | None:
    """Return the status ``action`` leads to, or raise ``InvalidStateTransition`` (400)."""
    current = CreditNoteStatus(status)
    sources, target = TRANSITIONS[action]
    if current in sources:
        return target
    raise InvalidStateTransition(
        f"Cannot {action.value} a credit note in status {current.value}",
        action=action.value,
        currentStatus=current.value,
        allowedActions=allowed_actions(status),
    )
