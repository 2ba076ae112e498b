"""Payment reminders on the job queue (``quire.jobs``, docs/jobs.md).

``reminders.send_due``: periodic, daily at 08:00 UTC, deferred once per day whatever the number of
workers. It finds the reminders due today (``quire.core.clock``, or the ``today`` argument) and sends
each in a transaction of its own (the reminder's row and its queued email together). At least once is
enough: a reminder already recorded is never sent again, and two runs at once collide on the unique
(invoice, kind) row, which rolls the second one back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError

from quire.core import clock
from quire.jobs import JobContext, job, periodic
from quire.reminders.service import due_reminders, send_reminder

QUEUE = "reminders"


async def send_due_reminders(ctx: JobContext, today: date, account_id: str | None = None) -> int:
    """Send every reminder due on ``today``; how many were queued."""
    async with ctx.read() as session:
        dues = await due_reminders(session, today, account_id)
    sent = 0
    for due in dues:
        try:
            async with ctx.write() as session:
                sent += await send_reminder(session, due, today) is not None
        except IntegrityError:
            continue  # another run recorded this reminder first
    return sent


@job("reminders.send_due", queue=QUEUE, retry=3, retry_wait=60)
async def send_due(ctx: JobContext, *, today: str | None = None, account_id: str | None = None, **_: Any) -> None:
    """The day's reminders; ``today`` (YYYY-MM-DD) overrides the clock's date (tests, catching up by hand)."""
    await send_due_reminders(ctx, date.fromisoformat(today) if today else clock.today(), account_id)


periodic("reminders.send_due", cron="0 8 * * *")
