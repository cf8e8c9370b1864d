"""Identifier normalisation as SQL expressions (vectorised in DuckDB; no per-row Python).

- phone: full-width digits to ASCII, every non-digit dropped, +86/0086/86 country prefix dropped from
  mainland mobiles; fewer than 5 digits or one digit repeated (00000000) is no identifier.
- email: lower case, whitespace removed; must hold exactly one '@'.
- account / customer_ref: namespaced by platform (`jd:`), since account names collide across platforms.
- openid: trimmed; device serial: upper case without spaces, dashes, underscores.
Placeholders such as "unknown", "无", "-" are no identifier at all.

Each normaliser is a short chain of steps (`normalized_steps`), every step an expression over the previous
step's result `{x}`. The staging query evaluates one step per CTE layer, so an intermediate value (say the
phone's digits) is computed once per row; nesting the steps into one expression (`normalized_sql`) would
repeat the inner regexps in every branch that refers to them — ~16 regexp calls per phone instead of one.
"""

from __future__ import annotations

__all__ = [
    "PLACEHOLDERS", "compose_steps", "hashed_sql", "hashed_step", "normalized_sql", "normalized_steps", "sql_literal",
]

PLACEHOLDERS = (
    "unknown", "null", "none", "n/a", "na", "nan", "-", "--", "0", "未知", "无", "空", "匿名",
    "anonymous", "test", "暂无", "/",
)
_FULLWIDTH = "０１２３４５６７８９＋"
_ASCII = "0123456789+"
X = "{x}"
_HAS_SPACE = " OR ".join(f"contains({X}, chr({c}))" for c in (32, 9, 10, 12, 13))


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _guarded(expr: str) -> str:
    """Null for a missing value or a placeholder, else `expr` (both over the raw trimmed value).

    `lower()` maps each character to one character, so a value longer than every placeholder is none:
    that test spares most values the lookup. (`IN (...)` with many constants became a hash join that
    cost ~0.08 CPU-s per million rows and did not keep the rows in order; so did list_contains.)
    """
    listed = ", ".join(sql_literal(p) for p in PLACEHOLDERS)
    longest = max(len(p) for p in PLACEHOLDERS)
    placeholder = f"length({X}) <= {longest} AND list_position([{listed}], lower({X})) IS NOT NULL"
    return f"CASE WHEN {X} IS NULL OR ({placeholder}) THEN NULL ELSE {expr} END"


def normalized_steps(id_type: str, namespace: str) -> list[str]:
    """The normaliser of `id_type` as steps over `{x}` (the trimmed, possibly null value); null stays null."""
    if id_type == "phone":
        return [
            # translate() is slow (~0.4 µs a row): only non-ASCII values can hold full-width digits
            _guarded(
                f"regexp_replace(CASE WHEN strlen({X}) = length({X}) THEN {X} "
                f"ELSE translate({X}, '{_FULLWIDTH}', '{_ASCII}') END, '[^0-9+]', '', 'g')"
            ),
            f"CASE WHEN starts_with({X}, '+86') THEN substr({X}, 4) "
            f"WHEN starts_with({X}, '0086') THEN substr({X}, 5) ELSE {X} END",
            f"CASE WHEN length({X}) = 13 AND starts_with({X}, '861') THEN substr({X}, 3) "
            f"ELSE replace({X}, '+', '') END",
            # one digit repeated (00000000) is a dummy; so is anything shorter than 5 digits
            f"CASE WHEN length({X}) < 5 OR {X} = repeat(left({X}, 1), length({X})) THEN NULL ELSE {X} END",
        ]
    if id_type == "email":
        return [
            # RE2's \s is [\t\n\f\r ]: only a value holding one of those needs the regexp (half the cost)
            _guarded(f"lower(CASE WHEN {_HAS_SPACE} THEN regexp_replace({X}, '\\s', '', 'g') ELSE {X} END)"),
            f"CASE WHEN regexp_full_match({X}, '[^@]+@[^@]+') THEN {X} ELSE NULL END",
        ]
    if id_type in ("account", "customer_ref"):
        return [_guarded(f"{sql_literal(namespace + ':')} || {X}")]
    if id_type == "device":
        return [_guarded(f"nullif(upper(regexp_replace({X}, '[\\s_-]', '', 'g')), '')")]
    if id_type == "openid":
        return [_guarded(X)]
    raise ValueError(f"unknown identifier type {id_type!r}")


def compose_steps(steps: list[str], value: str) -> str:
    """One expression applying `steps` to `value` (fine for a single value; the staging query layers them)."""
    expr = value
    for step in steps:
        expr = step.replace(X, f"({expr})")
    return expr


def normalized_sql(id_type: str, value: str, namespace: str) -> str:
    """SQL expression normalising the (trimmed, possibly null) string expression `value`."""
    return compose_steps(normalized_steps(id_type, namespace), value)


def hashed_step(id_type: str, salt: str) -> str:
    """Salted SHA-256 of a normalised identifier `{x}` as one more step (null stays null)."""
    return f"'h:' || sha256({sql_literal(salt + ':' + id_type + ':')} || {X})"


def hashed_sql(id_type: str, normalized: str, salt: str) -> str:
    """Salted SHA-256 of a normalised identifier (the salt lives outside the database)."""
    return compose_steps([hashed_step(id_type, salt)], normalized)
