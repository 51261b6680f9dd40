"""A webhook receiver on 127.0.0.1 for the delivery tests (standard library only).

It refuses its first ``fail_first`` requests (503), and every request while ``down`` is set, then
accepts with 204. It keeps every request it saw and, like a real receiver should, deduplicates
the accepted ones by ``webhook-id``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Seen:
    headers: dict[str, str]
    body: bytes
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.down = False
        self.delay = 0.0
        self.seen: list[Seen] = []
        self.accepted_ids: dict[str, int] = {}  # the receiver's dedup table: id -> times accepted
        self.accepted_events: list[Seen] = []  # first acceptance of each id, in arrival order
        self._lock = threading.Lock()
        self.url = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            if self.fail_first > 0 or self.down:
                self.fail_first = max(self.fail_first - 1, 0)
                status = 503
            else:
                status = 204
            seen = Seen(headers, body, status)
            self.seen.append(seen)
            if status == 204:
                first = seen.webhook_id not in self.accepted_ids
                self.accepted_ids[seen.webhook_id] = self.accepted_ids.get(seen.webhook_id, 0) + 1
                if first:
                    self.accepted_events.append(seen)
            return status

    def snapshot(self) -> tuple[list[Seen], list[Seen], dict[str, int]]:
        with self._lock:
            return list(self.seen), list(self.accepted_events), dict(self.accepted_ids)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if receiver.delay:
                time.sleep(receiver.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.answer(headers, body)
            try:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(fail_first: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(fail_first)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    server.block_on_close = False
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/meritflow"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
