"""Where alerts go besides the workspace: a webhook (signed JSON over HTTP) or e-mail over SMTP.

Each sink sends one delivery (one alert, or an e-mail digest of several) and raises `DeliveryFailed` with
a reason; `send_with_retries` retries with exponential backoff (backoff_s * 2**k) and reports every
attempt, so the caller can store each one. The delivery id travels with the message (the
`X-Cxloop-Delivery` header, the e-mail's Message-ID) so that a receiver can drop a repeat after a crash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

import httpx

from cxloop.loop.messages import email_message
from cxloop.settings.alerts import EmailSink, WebhookSink

__all__ = ["Attempt", "DeliveryFailed", "Sender", "build_sender", "send_with_retries", "sign"]


class DeliveryFailed(Exception):
    """One delivery attempt failed (the message says why)."""


class Sender(Protocol):
    def __call__(self, delivery_id: str, alerts: Sequence[dict[str, Any]]) -> None: ...


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, the value of X-Cxloop-Signature."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _env(name: str | None) -> str | None:
    return os.environ.get(name) if name else None


def _webhook(sink: WebhookSink, client: httpx.Client | None) -> Sender:
    def send(delivery_id: str, alerts: Sequence[dict[str, Any]]) -> None:
        body = json.dumps({"delivery_id": delivery_id, "alert": alerts[0]}, ensure_ascii=False,
                          sort_keys=True, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Cxloop-Delivery": delivery_id,
                   "User-Agent": "cxloop-alerts", **sink.headers}
        secret = _env(sink.secret_env)
        if secret is not None:
            headers["X-Cxloop-Signature"] = sign(body, secret)
        try:
            if client is not None:
                response = client.post(sink.url, content=body, headers=headers, timeout=sink.timeout_s)
            else:
                response = httpx.post(sink.url, content=body, headers=headers, timeout=sink.timeout_s)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"{sink.url}: no answer within {sink.timeout_s:g} s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{sink.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryFailed(f"{sink.url} answered HTTP {response.status_code}")

    return send


def _recipients(sink: EmailSink, alerts: Sequence[dict[str, Any]]) -> list[str]:
    found = list(sink.to)
    for a in alerts:
        found += [x for x in sink.departments.get(a.get("department") or "", []) if x not in found]
    return found


def _email(sink: EmailSink) -> Sender:
    def send(delivery_id: str, alerts: Sequence[dict[str, Any]]) -> None:
        to = _recipients(sink, alerts)
        if not to:
            raise DeliveryFailed("no recipient: the sink's 'to' is empty and no department matches")
        subject, plain, html = email_message(alerts, sink.language)
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = subject, sink.sender, ", ".join(to)
        msg["Message-ID"] = make_msgid(idstring=delivery_id, domain="cxloop")
        msg["X-Cxloop-Delivery"] = delivery_id
        msg.set_content(plain)
        msg.add_alternative(html, subtype="html")
        try:
            with smtplib.SMTP(sink.host, sink.port, timeout=sink.timeout_s) as smtp:
                if sink.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                user, password = _env(sink.username_env), _env(sink.password_env)
                if user and password:
                    smtp.login(user, password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {sink.host}:{sink.port}: {type(exc).__name__}: {exc}") from exc

    return send


def build_sender(sink: WebhookSink | EmailSink, client: httpx.Client | None = None) -> Sender:
    """The send function of a configured sink."""
    return _webhook(sink, client) if isinstance(sink, WebhookSink) else _email(sink)


@dataclass(frozen=True)
class Attempt:
    attempt: int
    outcome: str  # sent | failed | dead
    error: str | None


def send_with_retries(send: Callable[[], None], *, retries: int, backoff_s: float,
                      sleep: Callable[[float], None] = time.sleep, first_attempt: int = 1) -> list[Attempt]:
    """Try once plus `retries` times; the last failure is `dead` (a dead letter)."""
    attempts: list[Attempt] = []
    for k in range(retries + 1):
        number = first_attempt + k
        try:
            send()
        except DeliveryFailed as exc:
            last = k == retries
            attempts.append(Attempt(number, "dead" if last else "failed", str(exc)))
            if not last:
                sleep(backoff_s * 2**k)
            continue
        attempts.append(Attempt(number, "sent", None))
        break
    return attempts
