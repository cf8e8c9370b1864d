"""Real receivers on loopback for the alert-delivery tests: an HTTP webhook receiver and an SMTP server.

The HTTP receiver verifies `X-Cxloop-Signature` itself (HMAC-SHA256 of the raw body with the shared
secret) and can be told to fail, fail a number of times, or hang. The SMTP server is aiosmtpd's.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signature_ok: bool


@dataclass
class HttpReceiver:
    url: str
    secret: str
    mode: str = "ok"  # ok | fail | hang
    fail_first: int = 0
    hang_s: float = 3.0
    attempts: int = 0
    received: list[Received] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _http_receiver(secret: str) -> Iterator[HttpReceiver]:
    state = HttpReceiver(url="", secret=secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.attempts += 1
            if state.mode == "hang":
                time.sleep(state.hang_s)
            if state.mode == "fail" or state.attempts <= state.fail_first:
                self.send_response(503)
                self.end_headers()
                return
            expected = "sha256=" + hmac.new(state.secret.encode(), body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(expected, self.headers.get("X-Cxloop-Signature", ""))
            state.received.append(Received(dict(self.headers.items()), body, ok))
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_receiver() -> Callable[..., AbstractContextManager[HttpReceiver]]:
    """`with http_receiver(secret) as r:` a real webhook receiver on a free loopback port."""
    return lambda secret="s3cret": _http_receiver(secret)


class _Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    """(port, messages): a real SMTP server (aiosmtpd) on loopback, collecting what it receives."""
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()
