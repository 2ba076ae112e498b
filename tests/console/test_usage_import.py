"""The console's CSV usage import, on SQLite and PostgreSQL: the file goes through the API's CSV upload
(``quire.usage.uploads``: the same reader, checks and messages), the job ``usage.import_csv`` works it a
batch of rows per transaction recording how many rows are done, and the import's page follows it.

(tests/browser/test_console.py uploads a file in Chromium and watches the page finish without a reload.)
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from quire.core.db import make_engine, make_sessionmaker
from quire.usage import repository as usage_repo
from quire.usage import uploads
from quire.usage.models import UsageEvent, UsageEventUpload
from tests.api.test_usage import calculate, customer_with_alias, metric
from tests.console_support import Console, new_user, poll_until_finished
from tests.support import ApiClient, LiveServer, in_database


@pytest.fixture
def console(server: LiveServer) -> Any:
    with Console(server.base_url) as browser:
        yield browser


def post_file(console: Console, url: str, name: str, data: bytes, csrf: str | None = None) -> Any:
    """The import form as a browser posts it: multipart/form-data with the CSRF token and the file."""
    form = {"csrf": csrf if csrf is not None else console.csrf()}
    return console._keep(console.http.post(url, data=form, files={"file": (name, data, "text/csv")},
                                           headers=console._headers()))


def counts(fragment: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">([^<]*)<', fragment))


def csv_of(rows: int, bad: dict[int, str]) -> str:
    """``rows`` data rows (line n+1 for row n) of one customer's api_calls of amount 1, with ``bad`` lines
    replaced by rows the API refuses."""
    lines = ["eventType,eventTimestamp,customerAlias,customerEventId,eventProperty#amount"]
    for line in range(2, rows + 2):
        lines.append(bad.get(line, f"api_call,2024-03-{1 + line % 28:02d},imp-cust,e{line},1"))
    return "\n".join(lines) + "\n"


def test_a_csv_imported_from_the_console_is_worked_by_the_job_queue_and_its_page_follows_it(
        server: LiveServer, client: ApiClient, other_client: ApiClient, console: Console) -> None:
    account = client.credential.account_id
    customer_with_alias(client, "imp-cust")
    bad = {5: "api_call,yesterday,imp-cust,e5,1", 2000: "api_call,2024-03-02,,e2000,1", 2504: "x" * 256 + ",2024-03-02,imp-cust,e2504,1"}
    text = csv_of(2503, bad)  # three batches of the job: 1,000 + 1,000 + 503 rows
    console.sign_in(new_user(server, account))
    started = post_file(console, f"/console/a/{account}/usage-imports", "march.csv", text.encode())
    assert started.status_code == 303, started.text[:500]
    url = started.headers["location"]
    upload_id = url.rsplit("/", 1)[1]
    page = console.get(url)
    assert page.status_code == 200 and 'id="import-progress"' in page.text and "march.csv" in page.text
    status, fragment = poll_until_finished(console, url)
    assert status == "COMPLETED" and "hx-trigger" not in fragment.text
    assert counts(fragment.text) == {"rows_done": "2503", "rows_total": "2503", "accepted": "2500", "refused": "3"}
    assert re.findall(r'data-line="(\d+)"', fragment.text) == ["5", "2000", "2504"]
    assert re.findall(r'data-line="\d+"><td class="num">\d+</td><td>([^<]*)<', fragment.text) == [
        "eventTimestamp: &#39;yesterday&#39; is not an ISO-8601 timestamp such as 2024-01-31T12:00:00Z",
        "customerAlias is empty", "eventType is longer than 255 characters"]
    # The API's upload: the same row, the same counts; the events counted by the API's calculation.
    api_view = client.get(f"/usage-events/csv/{upload_id}").json()
    assert (api_view["status"], api_view["rowCount"], api_view["acceptedCount"], api_view["rejectedCount"]) == (
        "COMPLETED", 2503, 2500, 3)
    total = calculate(client, metric(client, aggregationType="SUM", aggregationProperty="amount")["id"], "imp-cust")
    assert total["value"] == 2500 and total["eventCount"] == 2500
    listed = console.get(f"/console/a/{account}/usage-imports").text
    assert f'data-import="{upload_id}"' in listed and "march.csv" in listed
    # Nothing of it for another account, in the API or the console.
    assert other_client.get(f"/usage-events/csv/{upload_id}").status_code == 404
    with Console(server.base_url) as stranger:
        stranger.sign_in(new_user(server, other_client.credential.account_id))
        theirs = other_client.credential.account_id
        assert stranger.get(f"/console/a/{theirs}/usage-imports/{upload_id}").status_code == 404
        assert stranger.get(f"/console/a/{account}/usage-imports/{upload_id}").status_code == 404
        assert upload_id not in stranger.get(f"/console/a/{theirs}/usage-imports").text


def test_the_import_form_answers_with_the_apis_messages_a_size_limit_and_csrf(
        server: LiveServer, client: ApiClient, console: Console) -> None:
    account = client.credential.account_id
    url = f"/console/a/{account}/usage-imports"
    console.sign_in(new_user(server, account))

    def alert(response: Any) -> str:
        found = re.search(r'role="alert">(.*?)</', response.text, re.S)
        return found.group(1).strip() if found else ""

    missing = post_file(console, url, "a.csv", b"eventType,eventTimestamp\napi_call,2024-03-01\n")
    assert missing.status_code == 400 and alert(missing) == "The CSV file lacks the required column(s): customerAlias"
    latin = post_file(console, url, "a.csv", "eventType,eventTimestamp,customerAlias\nx,2024-03-01,caf\u00e9\n".encode("latin-1"))
    assert latin.status_code == 400 and alert(latin) == "The CSV file must be UTF-8 text"
    empty = post_file(console, url, "a.csv", b"")
    assert empty.status_code == 400 and alert(empty) == "Choose a CSV file of usage events to import."
    forged = post_file(console, url, "a.csv", csv_of(3, {}).encode(), csrf="not-the-token")
    assert forged.status_code == 403 and "expired" in alert(forged)
    limit = server.settings.max_body_bytes
    too_large = post_file(console, url, "big.csv", csv_of(3, {}).encode() + b"#" * limit)
    assert too_large.status_code == 413 and "text/html" in too_large.headers["content-type"]
    assert f"larger than {limit // (1024 * 1024)} MiB" in alert(too_large), alert(too_large)

    async def uploads_of_account(session: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(UsageEventUpload)
                                        .where(UsageEventUpload.account_id == account)))

    assert in_database(server, uploads_of_account) == 0, "no refused form stored an upload"


def work_upload(server: LiveServer, upload_id: str, *, take_over: bool) -> int:
    """One worker's pass over the upload, as the job runs it (``take_over``: the job's retry); 1 if it completed."""
    async def work() -> int:
        engine = make_engine(server.settings)
        try:
            lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
            return await uploads.process_upload(make_sessionmaker(engine), lock, upload_id, take_over=take_over)
        finally:
            await engine.dispose()

    return asyncio.run(work())


class Killed(BaseException):
    """The worker's process dying between two batches (no handler of the job's own runs)."""


def test_an_import_records_its_progress_a_batch_at_a_time_and_a_retry_goes_on_after_the_last_batch_stored(
        server: LiveServer, client: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven rows, a batch of two a transaction: the progress moves 0 → 2 → 4 in committed batches; the worker dies before
    the third; a second worker does not take a fresh claim; the job's retry takes it over and stores rows
    5–7 only. The rows have no customerEventId, so a batch stored twice would show as extra events."""
    account = client.credential.account_id
    text = ("eventType,eventTimestamp,customerAlias,eventProperty#amount\n"
            "api_call,2024-03-01,c,1\napi_call,2024-03-02,c,2\napi_call,nope,c,3\napi_call,2024-03-04,c,4\n"
            "api_call,2024-03-05,c,5\n,2024-03-06,c,6\napi_call,2024-03-07,c,7\n")

    async def stored(session: Any) -> str:  # as POST /usage-events/csv stores it, with no worker told
        return (await uploads.create_upload(session, account, filename="seven.csv", data=text.encode())).id

    upload_id = in_database(server, stored)
    monkeypatch.setattr(uploads, "BATCH", 2)
    monkeypatch.setattr(uploads, "PROGRESS_EVERY", 0)  # a transaction per batch
    seen: list[tuple[int, int]] = []
    real = usage_repo.record_progress

    async def dying_after_two_batches(session: Any, ident: str, before: int, progress: Any, now: Any) -> bool:
        if len(seen) == 2:
            raise Killed
        seen.append((before, progress.rows))
        return await real(session, ident, before, progress, now)

    async def state(session: Any) -> tuple[Any, ...]:
        row = await session.get(UsageEventUpload, upload_id)
        events = await session.scalar(select(func.count()).select_from(UsageEvent).where(UsageEvent.account_id == account))
        return row.status, row.row_count, row.row_total, row.accepted_count, row.rejected_count, \
            [e["row"] for e in row.errors], events

    monkeypatch.setattr(usage_repo, "record_progress", dying_after_two_batches)
    with pytest.raises(Killed):
        work_upload(server, upload_id, take_over=False)
    assert seen == [(0, 2), (2, 4)]
    assert in_database(server, state) == ("PROCESSING", 4, 7, 3, 1, [4], 3)
    monkeypatch.setattr(usage_repo, "record_progress", real)
    assert work_upload(server, upload_id, take_over=False) == 0, "a claim renewed by the last batch is not stale: nobody else takes it"
    assert in_database(server, state) == ("PROCESSING", 4, 7, 3, 1, [4], 3)
    assert work_upload(server, upload_id, take_over=True) == 1  # the job's retry (attempts > 0)
    assert in_database(server, state) == ("COMPLETED", 7, 7, 5, 2, [4, 7], 5)
    done = client.get(f"/usage-events/csv/{upload_id}").json()
    assert (done["rowCount"], done["acceptedCount"], done["rejectedCount"]) == (7, 5, 2)
    assert [e["row"] for e in done["errors"]] == [4, 7] and done["errors"][1]["message"] == "eventType is empty"
    # A worker left behind by the takeover, at an old count, stores nothing and changes nothing.

    async def late(session: Any) -> bool:
        from quire.core import clock

        return await real(session, upload_id, 4, usage_repo.UploadProgress(6, 4, [], 7), clock.now())

    assert in_database(server, late) is False
    assert in_database(server, state) == ("COMPLETED", 7, 7, 5, 2, [4, 7], 5)


def test_a_database_error_mid_file_leaves_the_upload_to_be_resumed_not_failed_half_way(
        server: LiveServer, client: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A transient database error after two committed batches (a lock time-out, a dropped connection) is not
    the file's fault: the upload stays PROCESSING with its text and the error reaches the job, whose retry
    takes it over and stores only the remaining rows. A data error would end it FAILED instead."""
    from sqlalchemy.exc import OperationalError

    account = client.credential.account_id
    text = "eventType,eventTimestamp,customerAlias\n" + "".join(f"api_call,2024-03-0{d},c\n" for d in range(1, 8))

    async def stored(session: Any) -> str:
        return (await uploads.create_upload(session, account, filename="seven.csv", data=text.encode())).id

    upload_id = in_database(server, stored)
    monkeypatch.setattr(uploads, "BATCH", 2)
    monkeypatch.setattr(uploads, "PROGRESS_EVERY", 0)
    real, calls = uploads.ingest_events, []

    async def locked_on_the_third_batch(session: Any, account_id: str, events: Any) -> Any:
        calls.append(len(events))
        if len(calls) == 3:
            raise OperationalError("INSERT INTO usage_events", {}, Exception("database is locked"))
        return await real(session, account_id, events)

    async def state(session: Any) -> tuple[Any, ...]:
        row = await session.get(UsageEventUpload, upload_id)
        events = await session.scalar(select(func.count()).select_from(UsageEvent).where(UsageEvent.account_id == account))
        return row.status, row.row_count, row.content is not None, events

    monkeypatch.setattr(uploads, "ingest_events", locked_on_the_third_batch)
    with pytest.raises(OperationalError):
        work_upload(server, upload_id, take_over=False)
    assert in_database(server, state) == ("PROCESSING", 4, True, 4)
    monkeypatch.setattr(uploads, "ingest_events", real)
    assert work_upload(server, upload_id, take_over=True) == 1  # the job's retry
    assert in_database(server, state) == ("COMPLETED", 7, False, 7)


def test_an_import_whose_worker_died_after_its_job_ended_is_resumed_when_its_page_is_viewed(
        server: LiveServer, client: ApiClient, console: Console) -> None:
    """An upload can be claimed by another path than its job (the API's own upload worker takes every waiting
    upload): if that worker dies mid-file, the job has already ended and nothing retries it. Viewing its
    page, like GET /usage-events/csv/{id}, resumes an upload whose claim is stale."""
    from datetime import timedelta

    from quire.core import clock

    account = client.credential.account_id
    text = "eventType,eventTimestamp,customerAlias\n" + "".join(f"api_call,2024-03-0{d},c\n" for d in range(1, 6))

    async def stuck(session: Any) -> str:
        upload = await uploads.create_upload(session, account, filename="five.csv", data=text.encode())
        upload.status, upload.claimed_at = "PROCESSING", clock.now() - uploads.STALE_AFTER - timedelta(minutes=1)
        return upload.id

    upload_id = in_database(server, stuck)

    async def status(session: Any) -> str:
        return (await session.get(UsageEventUpload, upload_id)).status  # type: ignore[no-any-return]

    console.sign_in(new_user(server, account))
    page = console.get(f"/console/a/{account}/usage-imports/{upload_id}")
    assert page.status_code == 200 and 'data-status="PROCESSING"' in page.text
    deadline = time.monotonic() + 30
    while in_database(server, status) != "COMPLETED":
        assert time.monotonic() < deadline, "the stale import was not resumed"
        time.sleep(0.2)
    done = client.get(f"/usage-events/csv/{upload_id}").json()
    assert (done["rowCount"], done["acceptedCount"]) == (5, 5)
