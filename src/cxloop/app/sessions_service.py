"""Browser sessions: password login (throttled), a session cookie and its CSRF token, logout.

The cookie value is 256 random bits; the database keeps its SHA-256 only. Each session has its own CSRF
token (synchroniser token): every form and every state-changing request made with the cookie must carry
it. Failed logins are throttled per user name and per client address (`[api] login_failures`, a moving
window) and audited; a throttled attempt answers 429 with the seconds to wait.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from cxloop.access import Principal
from cxloop.app.access import api_settings
from cxloop.app.audit_service import record
from cxloop.app.users_service import principal_for_user
from cxloop.app.workspace import Workspace
from cxloop.errors import AuthError, RateLimited
from cxloop.store import first_row

__all__ = ["LoginThrottle", "Session", "login", "logout", "session_principal"]

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class LoginThrottle:
    """Failed logins per user name and per client address, in a moving window (one per server process)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, rate: str, keys: list[str]) -> None:
        item = parse(rate)
        for key in keys:
            if not self._limiter.test(item, key):
                reset, _ = self._limiter.get_window_stats(item, key)
                wait = max(1, math.ceil(reset - time.time()))
                raise RateLimited(f"too many failed logins; try again in {wait} s (登录失败次数过多)",
                                  retry_after=wait)

    def fail(self, rate: str, keys: list[str]) -> None:
        item = parse(rate)
        for key in keys:
            self._limiter.hit(item, key)


@dataclass(frozen=True)
class Session:
    cookie: str
    csrf: str
    user: str
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _password_ok(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def login(ws: Workspace, name: str, password: str, throttle: LoginThrottle, *, client: str | None = None) -> Session:
    """Check a user's password and open a session; AuthError (401) or RateLimited (429)."""
    settings = api_settings(ws)
    keys = [f"user:{name}", f"client:{client or '-'}"]
    throttle.check(settings.login_failures, keys)
    row = first_row(ws.con.execute(
        "SELECT password_hash, disabled_at FROM users WHERE user_name = ?", [name]
    ))
    if row is None or row[1] is not None or not _password_ok(row[0], password):
        throttle.fail(settings.login_failures, keys)
        record(ws, "login.failed", target=name, outcome="denied", actor=name, via="session")
        raise AuthError("wrong user name or password (用户名或密码错误)")
    principal = principal_for_user(ws, name, via="session", client=client)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = _now()
    expires = now + timedelta(hours=settings.session_hours)
    ws.con.execute(
        "INSERT INTO sessions (session_hash, user_name, csrf_token, client, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", [_sha256(cookie), name, csrf, client, now, expires],
    )
    ws.principal = principal
    record(ws, "login", target=name)
    return Session(cookie=cookie, csrf=csrf, user=name, expires_at=expires)


def session_principal(ws: Workspace, cookie: str, *, client: str | None = None) -> tuple[Principal, str]:
    """The principal and CSRF token of a live session cookie; AuthError when expired, revoked or unknown."""
    row = first_row(ws.con.execute(
        "SELECT user_name, csrf_token FROM sessions WHERE session_hash = ? AND revoked_at IS NULL "
        "AND expires_at > ?", [_sha256(cookie), _now()],
    ))
    if row is None:
        raise AuthError("no valid session; log in at /login (会话无效，请重新登录)")
    return principal_for_user(ws, row[0], via="session", client=client), str(row[1])


def logout(ws: Workspace, cookie: str) -> dict[str, Any]:
    ws.con.execute("UPDATE sessions SET revoked_at = ? WHERE session_hash = ? AND revoked_at IS NULL",
                   [_now(), _sha256(cookie)])
    record(ws, "logout", target=ws.principal.name)
    return {"logged_out": True}
