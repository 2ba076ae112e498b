"""The mechanics of a kind's state machine. Pure: no session, no clock.

A kind writes its own table, action → (statuses it is allowed from, status it leads to; None = status
unchanged / document removed), and asks here what is allowed and where an action leads. Every kind
refuses the same way: 400 ``InvalidStateTransition`` naming the action, the current status and the
actions allowed from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from quire.core.errors import InvalidStateTransition


class DocumentAction(StrEnum):
    """The verbs of every billing document (a kind may add its own: ``kind_actions``)."""

    EDIT = "edit"  # PUT/PATCH the document, write its lines and groups
    DELETE = "delete"
    FINALIZE = "finalize"
    SEND = "send"
    FINALIZE_AND_SEND = "finalize-and-send"
    VOID = "void"


#: The actions that number a document (voiding an unnumbered one numbers it too: ``numbers``).
NUMBERING = frozenset({DocumentAction.FINALIZE, DocumentAction.FINALIZE_AND_SEND})


def kind_actions(name: str, module: str, **more: str) -> Any:
    """A kind's action enum: the shared verbs and ``more`` (``SET_PAYMENT_STATUS="payment-status"``)."""
    return StrEnum(name, {**{a.name: a.value for a in DocumentAction}, **more}, module=module)  # type: ignore[call-overload]


def numbers(action: str, numbered: bool) -> bool:
    """Whether ``action`` assigns the document its number: finalizing does; voiding a draft does too, so
    voided documents keep their place in the gap-free sequence."""
    return action in NUMBERING or (action == DocumentAction.VOID and not numbered)


S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)
#: action → (statuses it is allowed from, status it leads to; None = unchanged / removed)
Table = Mapping[A, tuple[frozenset[S], S | None]]
#: An extra condition of a kind on an allowed action (the invoice's payment status on void).
Permits = Callable[[A, S], bool]


def allowed(table: Table[A, S], current: S, permits: Permits[A, S] | None = None) -> list[str]:
    """The actions allowed from ``current``, in the table's order."""
    return [action.value for action, (sources, _) in table.items()
            if current in sources and (permits is None or permits(action, current))]


def transition(
    table: Table[A, S], action: A, current: S, *, noun: str, permits: Permits[A, S] | None = None,
    message: str | None = None, **detail: Any,
) -> S | None:
    """The status ``action`` leads to, or raise ``InvalidStateTransition`` (400): ``message`` (default
    "Cannot <action> <noun> in status <status>"), with ``detail`` in the body before ``allowedActions``."""
    permitted = allowed(table, current, permits)
    if action.value in permitted:
        return table[action][1]
    raise InvalidStateTransition(
        message or f"Cannot {action.value} {noun} in status {current.value}",
        action=action.value, currentStatus=current.value, **detail, allowedActions=permitted,
    )
