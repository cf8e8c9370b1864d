"""Identifier normalisation as SQL expressions (vectorised in DuckDB; no per-row Python).

- phone: full-width digits to ASCII, every non-digit dropped, +86/0086/86 country prefix dropped from
  mainland mobiles; fewer than 5 digits or one digit repeated (00000000) is no identifier.
- email: lower case, whitespace removed; must hold exactly one '@'.
- account / customer_ref: namespaced by platform (`jd:`), since account names collide across platforms.
- openid: trimmed; device serial: upper case without spaces, dashes, underscores.
Placeholders such as "unknown", "无", "-" are no identifier at all.
"""

from __future__ import annotations

__all__ = ["PLACEHOLDERS", "hashed_sql", "normalized_sql", "sql_literal"]

PLACEHOLDERS = (
    "unknown", "null", "none", "n/a", "na", "nan", "-", "--", "0", "未知", "无", "空", "匿名",
    "anonymous", "test", "暂无", "/",
)
_FULLWIDTH = "０１２３４５６７８９＋"
_ASCII = "0123456789+"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _placeholder_guard(expr: str, value: str) -> str:
    listed = ", ".join(sql_literal(p) for p in PLACEHOLDERS)
    return f"CASE WHEN {value} IS NULL OR lower({value}) IN ({listed}) THEN NULL ELSE {expr} END"


def normalized_sql(id_type: str, value: str, namespace: str) -> str:
    """SQL expression normalising the (trimmed, possibly null) string expression `value`."""
    if id_type == "phone":
        digits = (
            f"regexp_replace(translate({value}, '{_FULLWIDTH}', '{_ASCII}'), '[^0-9+]', '', 'g')"
        )
        local = f"regexp_replace({digits}, '^(\\+86|0086)', '')"
        mobile = (
            f"CASE WHEN length({local}) = 13 AND starts_with({local}, '861') THEN substr({local}, 3) "
            f"ELSE replace({local}, '+', '') END"
        )
        expr = (
            f"CASE WHEN length({mobile}) < 5 OR length(replace({mobile}, substr({mobile}, 1, 1), '')) = 0 "
            f"THEN NULL ELSE {mobile} END"
        )
    elif id_type == "email":
        low = f"lower(regexp_replace({value}, '\\s', '', 'g'))"
        expr = f"CASE WHEN regexp_full_match({low}, '[^@]+@[^@]+') THEN {low} ELSE NULL END"
    elif id_type in ("account", "customer_ref"):
        expr = f"{sql_literal(namespace + ':')} || {value}"
    elif id_type == "device":
        expr = f"nullif(upper(regexp_replace({value}, '[\\s_-]', '', 'g')), '')"
    elif id_type == "openid":
        expr = value
    else:
        raise ValueError(f"unknown identifier type {id_type!r}")
    return _placeholder_guard(expr, value)


def hashed_sql(id_type: str, normalized: str, salt: str) -> str:
    """Salted SHA-256 of a normalised identifier (the salt lives outside the database)."""
    return (
        f"CASE WHEN {normalized} IS NULL THEN NULL "
        f"ELSE 'h:' || sha256({sql_literal(salt + ':' + id_type + ':')} || {normalized}) END"
    )
