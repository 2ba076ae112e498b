"""A real local HTTP receiver for webhook tests: records every request, answers as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.support import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered (0: it gave up answering: a timeout on Quire's side)

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return self.headers["sequence-event-id"]


DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"


def doc_snippet(heading: str, language: str) -> str:
    """The first ``language`` code block after ``heading`` in docs/webhooks.md."""
    text = DOCS.read_text()
    after = text[text.index(heading):]
    return after.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def _docs_verify() -> Callable[..., bool]:
    scope: dict[str, Any] = {}
    exec(compile(doc_snippet("### Verifying in Python", "python"), str(DOCS), "exec"), scope)  # noqa: S102
    return scope["verify"]  # type: ignore[no-any-return]


#: The receiver check of docs/webhooks.md#verifying-in-python, as published: every receiver test uses it.
verify = _docs_verify()


#: (path, how many requests that path got before this one) -> status to answer, or a negative number of
#: seconds to sleep before answering 200 (a slow receiver).
Behaviour = Callable[[str, int], int | float]


@dataclass
class Receiver:
    behaviour: Behaviour = lambda path, seen: 200  # noqa: E731
    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    seen = sum(1 for r in receiver.received if r.path == self.path)
                    entry = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, 0)
                    receiver.received.append(entry)
                answer = receiver.behaviour(self.path, seen)
                if answer < 0:
                    time.sleep(-answer)
                    answer = 200
                entry.status = int(answer)
                try:
                    self.send_response(int(answer))
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    entry.status = 0  # Quire had given up (timeout)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def delivered(self, path: str | None = None) -> list[Received]:
        """Requests answered 2xx (at ``path``)."""
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300 and (path is None or r.path == path)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                with self.lock:
                    seen = [(r.path, r.status, r.headers.get("sequence-event-id")) for r in self.received]
                raise AssertionError(f"timed out; the receiver saw {seen}")
            time.sleep(0.05)
