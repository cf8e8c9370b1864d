"""Who is calling: the `access` dependency that authenticates a request, checks its right, applies the
rate limit and hands the route a `Workspace` acting as that principal.

Credentials, in order: `Authorization: Bearer <token>` (scripts, other tools), then the session cookie of
the browser login (`cxloop_session`, the dashboard's pages use the same dependency). A request made with
the cookie that changes state (POST, PUT, PATCH, DELETE) must carry the session's CSRF token in the
`X-CSRF-Token` header (forms: the `csrf_token` field, checked by the page). Without a credential: 401;
with one whose role lacks the right: 403; over the rate limit of the token or session: 429.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from cxloop.access import Permission, Principal, Role
from cxloop.access.policy import ApiSettings
from cxloop.app.access import api_settings
from cxloop.app.audit_service import record
from cxloop.app.records_index import refresh_records_index
from cxloop.app.sessions_service import LoginThrottle, session_principal
from cxloop.app.users_service import principal_for_token
from cxloop.app.workspace import Workspace
from cxloop.app.workspace_gate import WorkspaceGate
from cxloop.errors import AuthError, Forbidden, RateLimited

__all__ = ["ANONYMOUS", "CSRF_HEADER", "SESSION_COOKIE", "ApiState", "access", "client_of", "state_of"]

SESSION_COOKIE = "cxloop_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANONYMOUS = Principal(name="anonymous", role=Role.viewer, via="anonymous")
SYSTEM = Principal(name="system", role=Role.admin, via="server")  # the server's own upkeep (never audited)
log = logging.getLogger("cxloop.api")
T = TypeVar("T")
_CACHE_SIZE = 256


@dataclass
class ApiState:
    """What one server process keeps between requests: the gate, the limits and the login throttle."""

    root: Path
    gate: WorkspaceGate
    settings: ApiSettings
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    limiter: SlidingWindowCounterRateLimiter = field(
        default_factory=lambda: SlidingWindowCounterRateLimiter(MemoryStorage()))

    indexing: threading.Lock = field(default_factory=threading.Lock)
    last_index_check: float = 0.0

    def keep_index_fresh(self, *, now: bool = False) -> None:
        """Rebuild the records search index in the background when it is stale (checked at most every 5 s;
        one rebuild at a time). Requests meanwhile search `records` directly: slower, never wrong."""
        if (not now and time.monotonic() - self.last_index_check < 5) or not self.indexing.acquire(blocking=False):
            return
        self.last_index_check = time.monotonic()

        def job() -> None:
            try:
                with self.gate.session(SYSTEM) as ws:
                    if not refresh_records_index(ws)["reused"]:
                        self.gate.wrote()  # cached answers of "is the index current?" are now wrong
            except Exception:  # a busy workspace or a failed rebuild: the next check tries again
                log.warning("records search index not rebuilt", exc_info=True)
            finally:
                self.indexing.release()

        threading.Thread(target=job, name="cxloop-records-index").start()

    cache: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, ws: Workspace, name: str, params: dict[str, Any], compute: Callable[[], T]) -> T:
        """`compute()`, or its result for the same aggregate query, scope and data (`data_generation`:
        any write of this process or, while the file was free, of another one invalidates it). Only for
        results that hold no row-level text or identifiers (they are masked and audited per request)."""
        scope = ws.principal.scope
        key = (name, json.dumps(params, sort_keys=True, default=str), scope.partner, scope.department,
               self.gate.data_generation, self.gate.settings_version)
        with self.cache_lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        result = compute()
        with self.cache_lock:
            self.cache[key] = result
            while len(self.cache) > _CACHE_SIZE:
                self.cache.popitem(last=False)
        return result

    def rate(self, key: str) -> None:
        item = parse(self.settings.rate_limit)
        if not self.limiter.hit(item, key):
            reset, _ = self.limiter.get_window_stats(item, key)
            wait = max(1, math.ceil(reset - time.time()))
            raise RateLimited(f"rate limit {self.settings.rate_limit} reached; retry in {wait} s (请求过于频繁)",
                              retry_after=wait)

    @classmethod
    def for_workspace(cls, root: Path) -> ApiState:
        gate = WorkspaceGate(root)
        try:
            with gate.session(ANONYMOUS) as ws:
                settings = api_settings(ws)
        except Exception:  # an absent or broken workspace answers 503 per request, not at start
            settings = ApiSettings.model_validate({})
        gate.wait, gate.retry_after = settings.lock_wait_seconds, settings.retry_after_seconds
        return cls(root=root, gate=gate, settings=settings)


def state_of(request: Request) -> ApiState:
    state: ApiState = request.app.state.cx
    return state


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError("use 'Authorization: Bearer <token>' (令牌格式错误)")
    return value.strip()


def _authenticate(ws: Workspace, request: Request) -> tuple[Principal, str]:
    """The principal and its rate-limit key; checks CSRF for cookie-authenticated writes."""
    client = client_of(request)
    token = _bearer(request)
    if token is not None:
        principal = principal_for_token(ws, token, client=client)
        return principal, "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise AuthError("authentication required: send 'Authorization: Bearer <token>' or log in at /login "
                        "(需要登录或令牌)")
    principal, csrf = session_principal(ws, cookie, client=client)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf.encode()):
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header for a request made with the session cookie")
    return principal, "session:" + hashlib.sha256(cookie.encode()).hexdigest()[:16]


def access(permission: Permission | None, *, write: bool = False) -> Callable[[Request], Iterator[Workspace]]:
    """A dependency: the workspace acting as the authenticated caller, who must hold `permission`.

    State-changing requests (and `write=True` routes) take the gate's write turn: API writes serialise."""

    def dependency(request: Request) -> Iterator[Workspace]:
        state = state_of(request)
        if _bearer(request) is None and not request.cookies.get(SESSION_COOKIE):
            raise AuthError("authentication required: send 'Authorization: Bearer <token>' or log in at /login "
                            "(需要登录或令牌)")
        with state.gate.session(ANONYMOUS) as ws:
            principal, key = _authenticate(ws, request)
            ws.principal = principal
            if permission is not None:
                principal.require(permission)
            state.rate(key)
            if request.method in SAFE_METHODS and not write:
                yield ws
                return
            with state.gate.write_lock:
                if request.method not in SAFE_METHODS:
                    record(ws, "api.write", target=f"{request.method} {request.url.path}")
                try:
                    yield ws
                finally:
                    state.gate.wrote()

    return dependency
