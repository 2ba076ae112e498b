"""The reminder an invoice gets on a given day (quire.reminders.service.reminder_kind)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from quire.reminders.service import BEFORE_DUE, ON_DUE, ON_DUE_GRACE_DAYS, reminder_kind

DUE = date(2026, 3, 31)


def test_the_calendar_of_an_invoice_sent_30_days_ahead() -> None:
    sent = DUE - timedelta(days=30)
    kinds = {offset: reminder_kind(DUE + timedelta(days=offset), DUE, sent, 7) for offset in range(-30, 10)}
    assert [o for o, k in kinds.items() if k == BEFORE_DUE] == list(range(-7, 0))
    assert [o for o, k in kinds.items() if k == ON_DUE] == list(range(0, ON_DUE_GRACE_DAYS + 1))


def test_no_reminder_before_the_invoice_itself() -> None:
    assert reminder_kind(DUE - timedelta(days=3), DUE, DUE - timedelta(days=3), 7) is None  # sent within the 7 days
    assert reminder_kind(DUE, DUE, DUE - timedelta(days=3), 7) == ON_DUE
    assert reminder_kind(DUE, DUE, DUE, 7) is None  # sent on its due date: the invoice is the reminder
    assert reminder_kind(DUE - timedelta(days=7), DUE, None, 7) == BEFORE_DUE  # no sent date recorded


@given(st.integers(-90, 90), st.integers(1, 60), st.integers(0, 120))
def test_at_most_one_kind_and_never_after_the_grace(offset: int, days_before: int, sent_ahead: int) -> None:
    today = DUE + timedelta(days=offset)
    kind = reminder_kind(today, DUE, DUE - timedelta(days=sent_ahead), days_before)
    if kind == BEFORE_DUE:
        assert DUE - timedelta(days=days_before) <= today < DUE and sent_ahead > days_before
    elif kind == ON_DUE:
        assert DUE <= today <= DUE + timedelta(days=ON_DUE_GRACE_DAYS) and sent_ahead > 0
    else:
        assert kind is None
