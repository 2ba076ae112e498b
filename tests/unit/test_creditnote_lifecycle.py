"""Pure unit tests of quire.creditnotes.lifecycle: the credit note state machine table and check()."""

from __future__ import annotations

import itertools

import pytest

from quire.core.errors import InvalidStateTransition
from quire.creditnotes.lifecycle import TRANSITIONS, Action, CreditNoteStatus, allowed_actions, check

S = CreditNoteStatus
A = Action

#: As documented (docs/credit-notes.md), written out independently of TRANSITIONS.
EXPECTED: dict[Action, tuple[set[CreditNoteStatus], CreditNoteStatus | None]] = {
    A.EDIT: ({S.DRAFT}, None),
    A.DELETE: ({S.DRAFT}, None),
    A.FINALIZE: ({S.DRAFT}, S.FINAL),
    A.SEND: ({S.FINAL, S.SENT}, S.SENT),
    A.FINALIZE_AND_SEND: ({S.DRAFT}, S.SENT),
    A.VOID: ({S.DRAFT, S.FINAL, S.SENT}, S.VOIDED),
}


def test_table_is_the_documented_one() -> None:
    assert {a: (set(src), dst) for a, (src, dst) in TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(itertools.product(CreditNoteStatus, Action)))
def test_check_allows_exactly_the_table(status: CreditNoteStatus, action: Action) -> None:
    sources, target = EXPECTED[action]
    if status in sources:
        assert check(action, status.value) == target
        assert action.value in allowed_actions(status.value)
        return
    with pytest.raises(InvalidStateTransition) as info:
        check(action, status.value)
    body = info.value.body()["error"]
    assert body["type"] == "InvalidStateTransition" and body["action"] == action.value
    assert body["currentStatus"] == status.value and "paymentStatus" not in body
    assert body["allowedActions"] == allowed_actions(status.value)
    assert action.value not in body["allowedActions"]


def test_voided_is_terminal() -> None:
    assert allowed_actions(S.VOIDED.value) == []
