"""The mapping step as one DuckDB query: map, parse, validate, normalise and hash every row at once.

`staging_sql(plan)` turns a source profile and the file's columns into a SELECT over the view `src`
(the connector's Arrow table). Each output row carries its canonical values, a `problems` list (every bad
field of the row with its reason), the stable `record_id`, a content `row_hash`, `attributes` (unmapped
columns) and `raw` (the original row as JSON). Vectorised: no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxloop.errors import InputError
from cxloop.identity.normalize import hashed_sql, normalized_sql, sql_literal
from cxloop.ingest.connectors import ROW, SEQ
from cxloop.model.fields import (
    CANONICAL_FIELDS,
    DEFAULT_SCALES,
    IDENTIFIER_FIELDS,
    NUMBER_FIELDS,
    SCORE_FIELDS,
    STRING_FIELDS,
)

__all__ = ["DATE_FORMATS", "StagingPlan", "staging_sql"]

# Tried in order when the profile names no --date-format. A date alone is local midnight.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日 %H时%M分",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S",
    "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d",
)
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_FULLWIDTH_NUM = ("０１２３４５６７８９．－", "0123456789.-")


@dataclass
class StagingPlan:
    """Everything the staging query needs to know; built by the app from a profile and CLI flags."""

    source: str
    columns: list[str]
    mapping: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"
    date_format: str | None = None
    account_namespace: str | None = None
    salt: str | None = None  # set: identifiers are stored salted-hashed
    file: str = ""

    def validate(self) -> None:
        for canonical, column in self.mapping.items():
            if canonical not in CANONICAL_FIELDS:
                raise InputError(
                    f"unknown canonical field {canonical!r} in mapping; fields are: {', '.join(CANONICAL_FIELDS)}",
                    file=self.file, field=canonical,
                )
            if column not in self.columns:
                raise InputError(
                    f"{self.file}: column {column!r} (mapped to {canonical}) not found; columns are: "
                    f"{', '.join(self.columns)}",
                    file=self.file, field=column,
                )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value(plan: StagingPlan, canonical: str) -> str:
    """Trimmed cell (null when empty); a mapped column wins per row over a constant."""
    column = plan.mapping.get(canonical)
    cell = f"nullif(trim({_q(column)}), '')" if column else "NULL"
    const = plan.constants.get(canonical)
    return f"coalesce({cell}, {sql_literal(const)})" if const is not None else cell


def _time_sql(plan: StagingPlan, v: str) -> str:
    formats = [plan.date_format] if plan.date_format else list(DATE_FORMATS)
    listed = "[" + ", ".join(sql_literal(f) for f in formats) + "]"
    tz = sql_literal(plan.timezone)
    return (
        f"CASE WHEN regexp_matches({v}, '{_OFFSET}') THEN timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ)) "
        f"ELSE timezone('UTC', timezone({tz}, try_strptime({v}, {listed}))) END"
    )


def _num_sql(v: str) -> str:
    return f"TRY_CAST(translate({v}, '{_FULLWIDTH_NUM[0]}', '{_FULLWIDTH_NUM[1]}') AS DOUBLE)"


def _problem_sql(plan: StagingPlan) -> list[str]:
    """One SQL expression per possible problem: a 'field\\x1freason' string or NULL."""
    out: list[str] = []

    def add(fieldname: str, cond: str, reason_sql: str) -> None:
        out.append(f"CASE WHEN {cond} THEN {sql_literal(fieldname + chr(31))} || {reason_sql} END")

    v_time = "v_occurred_at"
    add("occurred_at", f"{v_time} IS NULL", "'missing'")
    fmt_hint = plan.date_format or "ISO or a common Chinese form"
    add("occurred_at", f"{v_time} IS NOT NULL AND occurred_at IS NULL",
        f"'cannot parse ' || {v_time} || ' as a date/time ({fmt_hint})'")
    for score in SCORE_FIELDS:
        if score not in plan.mapping and score not in plan.constants:
            continue
        lo, hi = plan.scales.get(score, DEFAULT_SCALES[score])
        v = f"v_{score}"
        add(score, f"{v} IS NOT NULL AND n_{score} IS NULL", f"'cannot parse ' || {v} || ' as a number'")
        integral = f" OR n_{score} <> floor(n_{score})" if score == "nps" else ""
        add(score, f"n_{score} < {lo} OR n_{score} > {hi}{integral}",
            f"{v} || ' is outside the scale {lo:g}–{hi:g}'")
    for number in NUMBER_FIELDS:
        if number in plan.mapping:
            v = f"v_{number}"
            add(number, f"{v} IS NOT NULL AND {number} IS NULL",
                f"'cannot parse ' || {v} || ' as a number'")
    has_any = " OR ".join(["v_text IS NOT NULL", "v_event_type IS NOT NULL"] + [f"n_{s} IS NOT NULL" for s in SCORE_FIELDS])
    add("text", f"NOT ({has_any})", "'row has no text, score or event type'")
    return out


def _identifier_sql(plan: StagingPlan, id_type: str, value: str) -> str:
    namespace = plan.source if id_type == "customer_ref" else (plan.account_namespace or plan.source)
    return normalized_sql(id_type, value, namespace)


def staging_sql(plan: StagingPlan) -> str:
    """SELECT over view `src` producing one staged row per data row (see module docstring)."""
    plan.validate()
    values = [f"{_value(plan, f)} AS v_{f}" for f in CANONICAL_FIELDS]
    if "occurred_at" in plan.defaults:
        values[0] = f"coalesce({_value(plan, 'occurred_at')}, {sql_literal(plan.defaults['occurred_at'])}) AS v_occurred_at"
    ids = []
    for id_type in IDENTIFIER_FIELDS:
        norm = _identifier_sql(plan, id_type, f"v_{id_type}")
        ids.append(f"{hashed_sql(id_type, norm, plan.salt) if plan.salt else norm} AS {id_type}")
    parsed = [f"{_time_sql(plan, 'v_occurred_at')} AS occurred_at"]
    parsed += [f"{_num_sql(f'v_{s}')} AS n_{s}" for s in SCORE_FIELDS]
    parsed += [f"{_num_sql(f'v_{n}')} AS {n}" for n in NUMBER_FIELDS]
    strings = [
        f"regexp_replace(v_{f}, '{_CONTROL}', '', 'g') AS {f}" if f == "text" else f"v_{f} AS {f}"
        for f in STRING_FIELDS
    ]
    mapped_identifiers = {plan.mapping[i]: i for i in IDENTIFIER_FIELDS if i in plan.mapping}
    raw_pairs = []
    for c in plan.columns:
        cell = _q(c)
        if plan.salt and c in mapped_identifiers:  # the hashed value replaces the identifier in raw too
            id_type = mapped_identifiers[c]
            cell = hashed_sql(id_type, _identifier_sql(plan, id_type, _value(plan, id_type)), plan.salt)
        raw_pairs.append(f"{sql_literal(c)}, {cell}")
    unmapped = [c for c in plan.columns if c not in set(plan.mapping.values())]
    attributes = (
        "json_object(" + ", ".join(f"{sql_literal(c)}, {_q(c)}" for c in unmapped) + ")" if unmapped else "NULL"
    )
    content = "concat_ws(chr(31), " + ", ".join(f"coalesce(CAST(v_{f} AS VARCHAR), '')" for f in CANONICAL_FIELDS) + ")"
    problems = "list_filter([" + ", ".join(_problem_sql(plan)) + "], lambda x: x IS NOT NULL)"
    return f"""
WITH v AS (
  SELECT {ROW} AS row_number, {SEQ} AS seq, {', '.join(values)},
    {attributes} AS attributes,
    json_object({', '.join(raw_pairs)}) AS raw
  FROM src
), p AS (
  SELECT *, {', '.join(parsed)}, {', '.join(ids)} FROM v
), s AS (
  SELECT *,
    CAST(n_nps AS SMALLINT) AS nps, n_csat AS csat, n_ces AS ces, n_rating AS rating,
    {', '.join(strings)},
    {content} AS content
  FROM p
)
SELECT *,
  {problems} AS problems,
  md5({sql_literal(plan.source)} || chr(30) || coalesce(v_source_key, content)) AS record_id,
  md5({sql_literal(plan.source)} || chr(30) || coalesce(v_source_key, CAST(seq AS VARCHAR) || chr(31) || content))
    AS event_id,
  md5(content || chr(30) || coalesce(CAST(attributes AS VARCHAR), '')) AS row_hash
FROM s
"""
