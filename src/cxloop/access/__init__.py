"""Access rules: roles and the permission matrix, scoping filters and PII masking (pure, no I/O)."""

from cxloop.access.masking import RecordMasker, mask_email, mask_identifier, mask_phone
from cxloop.access.roles import MATRIX, OWNER, Permission, Principal, Role, Scope, parse_role
from cxloop.access.scope import scope_table

__all__ = [
    "MATRIX",
    "OWNER",
    "Permission",
    "Principal",
    "RecordMasker",
    "Role",
    "Scope",
    "mask_email",
    "mask_identifier",
    "mask_phone",
    "parse_role",
    "scope_table",
]
