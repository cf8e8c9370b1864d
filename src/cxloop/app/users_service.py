"""Users and API tokens: `cxloop users add|list|disable|set-password`, `cxloop tokens create|list|revoke`.

Passwords are hashed with argon2id (argon2-cffi's defaults); tokens are `cxl_<id>_<secret>` with 256 bits
of randomness, stored as the SHA-256 of the whole token and shown once. Every change is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher

from cxloop.access import Permission, Principal, Role, parse_role
from cxloop.app.audit_service import record
from cxloop.app.workspace import Workspace
from cxloop.errors import AuthError, Conflict, InputError, NotFound, UsageError
from cxloop.store import first_row

__all__ = [
    "MIN_PASSWORD",
    "add_user",
    "create_token",
    "disable_user",
    "hash_password",
    "list_tokens",
    "list_users",
    "principal_for_token",
    "principal_for_user",
    "revoke_token",
    "set_password",
]

MIN_PASSWORD = 8
_NAME = re.compile(r"^[\w.@-]{1,64}$")
_TOKEN = re.compile(r"^cxl_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")
_HASHER = PasswordHasher()
_USER_COLUMNS = "role, department, partner, pii, disabled_at"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password must have at least {MIN_PASSWORD} characters", field="password")
    return _HASHER.hash(password)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'", field="user")
    return name


def _user_row(ws: Workspace, name: str) -> tuple[Any, ...]:
    row = first_row(ws.con.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE user_name = ?", [name]))
    if row is None:
        raise NotFound(f"no user {name!r}; list them with 'cxloop users list'", field="user")
    return row


def add_user(ws: Workspace, name: str, role: str, *, department: str | None = None, partner: str | None = None,
             pii: bool = False, password: str | None = None) -> dict[str, Any]:
    """Create a user and their first API token: `{"user", "role", "token"}` (the token is shown once)."""
    ws.principal.require(Permission.users_manage)
    r = parse_role(role)
    _check_name(name)
    if r is Role.partner and not partner:
        raise UsageError("a partner user needs --partner (the partner whose rows they may see)", field="partner")
    if partner and r is not Role.partner:
        raise UsageError("--partner is only for users of role partner", field="partner")
    if first_row(ws.con.execute("SELECT 1 FROM users WHERE user_name = ?", [name])):
        raise Conflict(f"user {name!r} already exists", field="user")
    hashed = hash_password(password) if password else None
    now = _now()
    ws.con.execute(
        "INSERT INTO users (user_name, role, department, partner, pii, password_hash, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [name, r.value, department, partner, pii, hashed, now, now],
    )
    record(ws, "users.add", target=name, detail={"role": r.value, "department": department, "partner": partner,
                                                  "pii": pii})
    token = _new_token(ws, name)
    return {"user": name, "role": r.value, "token": token}


def list_users(ws: Workspace) -> list[dict[str, Any]]:
    ws.principal.require(Permission.users_manage)
    rows = ws.con.execute(
        "SELECT u.user_name, role, department, partner, pii, password_hash IS NOT NULL, disabled_at IS NOT NULL, "
        "u.created_at, count(t.token_id) FILTER (WHERE t.revoked_at IS NULL) "
        "FROM users u LEFT JOIN tokens t USING (user_name) GROUP BY ALL ORDER BY u.user_name"
    ).fetchall()
    keys = ("user", "role", "department", "partner", "pii", "password", "disabled", "created_at", "tokens")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def disable_user(ws: Workspace, name: str) -> dict[str, Any]:
    """Disable a user: their tokens and sessions stop working at once (nothing is deleted)."""
    ws.principal.require(Permission.users_manage)
    _user_row(ws, name)
    now = _now()
    ws.con.execute("UPDATE users SET disabled_at = coalesce(disabled_at, ?), updated_at = ? WHERE user_name = ?",
                   [now, now, name])
    ws.con.execute("UPDATE sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", [now, name])
    record(ws, "users.disable", target=name)
    return {"user": name, "disabled": True}


def set_password(ws: Workspace, name: str, password: str) -> dict[str, Any]:
    """Set a user's password (for the browser login); their open sessions end."""
    ws.principal.require(Permission.users_manage)
    _user_row(ws, name)
    now = _now()
    ws.con.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE user_name = ?",
                   [hash_password(password), now, name])
    ws.con.execute("UPDATE sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", [now, name])
    record(ws, "users.set-password", target=name)
    return {"user": name, "password_set": True}


def _new_token(ws: Workspace, name: str) -> str:
    token_id = secrets.token_hex(6)
    token = f"cxl_{token_id}_{secrets.token_urlsafe(32)}"
    ws.con.execute("INSERT INTO tokens (token_id, user_name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                   [token_id, name, _sha256(token), _now()])
    record(ws, "tokens.create", target=name, detail={"token_id": token_id})
    return token


def create_token(ws: Workspace, name: str) -> dict[str, Any]:
    """A new API token for `name`: `{"user", "token"}` (shown this once)."""
    ws.principal.require(Permission.users_manage)
    if _user_row(ws, name)[4] is not None:
        raise Conflict(f"user {name!r} is disabled", field="user")
    return {"user": name, "token": _new_token(ws, name)}


def list_tokens(ws: Workspace, name: str | None = None) -> list[dict[str, Any]]:
    ws.principal.require(Permission.users_manage)
    sql = "SELECT token_id, user_name, created_at, revoked_at FROM tokens"
    rows = ws.con.execute(sql + (" WHERE user_name = ?" if name else "") + " ORDER BY created_at, token_id",
                          [name] if name else []).fetchall()
    return [{"token_id": t, "user": u, "created_at": c, "revoked": r is not None} for t, u, c, r in rows]


def revoke_token(ws: Workspace, token: str) -> dict[str, Any]:
    """Revoke a token given whole or by its id (`tokens list`)."""
    ws.principal.require(Permission.users_manage)
    match = _TOKEN.match(token)
    token_id = match.group(1) if match else token
    row = first_row(ws.con.execute("SELECT user_name FROM tokens WHERE token_id = ?", [token_id]))
    if row is None:
        raise NotFound(f"no token {token_id!r}; list them with 'cxloop tokens list'", field="token")
    ws.con.execute("UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE token_id = ?", [_now(), token_id])
    record(ws, "tokens.revoke", target=row[0], detail={"token_id": token_id})
    return {"token_id": token_id, "user": row[0], "revoked": True}


def principal_for_user(ws: Workspace, name: str, *, via: str, client: str | None = None) -> Principal:
    """The principal of an enabled user; AuthError when unknown or disabled."""
    row = first_row(ws.con.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE user_name = ?", [name]))
    if row is None or row[4] is not None:
        raise AuthError("unknown or disabled user (用户不存在或已停用)")
    role, department, partner, pii, _ = row
    return Principal(name=name, role=Role(role), department=department, partner=partner, pii=bool(pii),
                     via=via, client=client)


def principal_for_token(ws: Workspace, token: str, *, client: str | None = None) -> Principal:
    """The principal behind a bearer token; AuthError when malformed, unknown, revoked or disabled."""
    match = _TOKEN.match(token)
    if match is None:
        raise AuthError("invalid API token (无效的令牌)")
    row = first_row(ws.con.execute(
        "SELECT t.token_hash, t.user_name FROM tokens t WHERE t.token_id = ? AND t.revoked_at IS NULL",
        [match.group(1)],
    ))
    if row is None or not hmac.compare_digest(row[0], _sha256(token)):
        raise AuthError("invalid or revoked API token (令牌无效或已撤销)")
    return principal_for_user(ws, row[1], via="token", client=client)
