"""Roles, permissions and the principal a request or command acts as.

The permission matrix is the one place that says who may do what; `docs/api.md` prints it and a test
checks the two agree. PII is not a role but a privilege a user holds or not (`--pii`): without it every
face (CLI, API, dashboard, reports) masks phones, e-mails, ID and bank card numbers and addresses.
Scoping narrows what a principal sees: a partner user only the rows whose `partner` is theirs, a user of
a department (any role but admin) only the rows attributed to that department.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cxloop.errors import Forbidden, UsageError

__all__ = ["MATRIX", "OWNER", "Permission", "Principal", "Role", "Scope", "parse_role"]


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    agent = "agent"
    viewer = "viewer"
    partner = "partner"


class Permission(StrEnum):
    status_read = "status.read"
    records_read = "records.read"
    customers_read = "customers.read"
    metrics_read = "metrics.read"
    journeys_read = "journeys.read"
    ingest_read = "ingest.read"
    ingest_write = "ingest.write"
    catalog_read = "catalog.read"
    catalog_write = "catalog.write"
    loop_read = "loop.read"
    loop_write = "loop.write"
    users_manage = "users.manage"
    audit_read = "audit.read"


_P = Permission
_READ_DATA = frozenset({_P.status_read, _P.records_read, _P.customers_read, _P.metrics_read, _P.journeys_read})
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.analyst: _READ_DATA | {_P.ingest_read, _P.ingest_write, _P.catalog_read, _P.catalog_write, _P.loop_read,
                                _P.loop_write},
    Role.agent: _READ_DATA | {_P.catalog_read, _P.loop_read, _P.loop_write},
    Role.viewer: _READ_DATA | {_P.catalog_read, _P.loop_read},
    Role.partner: _READ_DATA,
}


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise UsageError(f"unknown role {value!r}; roles are: {', '.join(r.value for r in Role)}",
                         field="role") from None


@dataclass(frozen=True)
class Scope:
    """Which rows a principal sees: all (both None), one partner's, or one department's."""

    partner: str | None = None
    department: str | None = None

    @property
    def narrowed(self) -> bool:
        return self.partner is not None or self.department is not None


@dataclass(frozen=True)
class Principal:
    """Who acts: a user (by token or browser session) or the workspace owner at the CLI."""

    name: str
    role: Role
    department: str | None = None
    partner: str | None = None
    pii: bool = False
    via: str = "cli"          # cli | token | session
    client: str | None = None  # the peer address of an HTTP request

    def can(self, permission: Permission) -> bool:
        return permission in MATRIX[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"role {self.role.value} lacks the right {permission.value}; "
                            f"ask an admin (角色 {self.role.value} 无权限 {permission.value})")

    @property
    def scope(self) -> Scope:
        if self.role is Role.partner:
            return Scope(partner=self.partner or "\x00none")  # a partner user without a partner sees nothing
        if self.role is not Role.admin and self.department:
            return Scope(department=self.department)
        return Scope()

    @property
    def masked(self) -> bool:
        return not self.pii

    @property
    def is_owner(self) -> bool:
        return self.via == "cli" and self.name == OWNER.name


# The workspace owner: whoever can open the workspace files at the CLI. They could read the database file
# directly, so masking or scoping them would protect nothing; they act as an unscoped admin with PII.
OWNER = Principal(name="owner", role=Role.admin, pii=True, via="cli")
