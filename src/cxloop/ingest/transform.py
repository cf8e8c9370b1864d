"""The mapping step as one DuckDB query: map, parse, validate, normalise and hash every row at once.

`staging_sql(plan)` turns a source profile and the file's columns into a SELECT over the view `src`
(the connector's Arrow table). Each output row carries its canonical values, a `problems` list (every bad
field of the row with its reason), the stable `record_id`, a content `row_hash`, `attributes` (unmapped
columns) and `raw` (the original row as JSON). Vectorised: no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxloop.errors import InputError
from cxloop.identity.normalize import hashed_step, normalized_steps, sql_literal
from cxloop.ingest.connectors import ROW, SEQ
from cxloop.model.fields import (
    CANONICAL_FIELDS,
    DEFAULT_SCALES,
    IDENTIFIER_FIELDS,
    NUMBER_FIELDS,
    SCORE_FIELDS,
)

__all__ = [
    "DATE_FORMATS", "FILE_PREFIX", "StagingPlan", "raw_sql", "staged_fields", "staging_sql", "text_sql", "written_sql",
]

# Tried in order when the profile names no --date-format. A date alone is local midnight.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日 %H时%M分",
    "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S",
    "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d",
)
# the file's own columns sit beside the staged rows under this prefix (file columns named "__..." are
# bookkeeping, never data, so no staged column can clash with one)
FILE_PREFIX = "__f_"
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
    # columns known to need no trim / to hold no control character (see cxloop.ingest.columns)
    trimmed: frozenset[str] = frozenset()
    control_free: frozenset[str] = frozenset()

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


def _value(plan: StagingPlan, canonical: str, prefix: str = "") -> str:
    """Trimmed cell (null when empty); a mapped column wins per row over a constant.

    The column is read as `prefix` + its name; trim is left out for a column known to need none.
    """
    column = plan.mapping.get(canonical)
    cell = "NULL"
    if column:
        cell = _q(prefix + column)
        cell = f"nullif({cell}, '')" if column in plan.trimmed else f"nullif(trim({cell}), '')"
    const = plan.constants.get(canonical)
    return f"coalesce({cell}, {sql_literal(const)})" if const is not None else cell


def _time_sql(plan: StagingPlan, v: str) -> tuple[list[str], str]:
    """occurred_at in UTC from the trimmed text `v`, as (expressions of the parse layer, the next layer).

    An explicit offset is respected; a naive time (or a date: local midnight) is read in the source's
    timezone. The parse layer tries only the formats of the value's family (`_routed_strptime`); the
    next layer falls back to the whole list for a value that family did not parse, so the result is
    always the whole list's.
    """
    tz = sql_literal(plan.timezone)
    formats = [plan.date_format] if plan.date_format else list(DATE_FORMATS)
    listed = "[" + ", ".join(sql_literal(f) for f in formats) + "]"
    parse = [f"regexp_matches({v}, '{_OFFSET}') AS t_offset", f"{_routed_strptime(plan, v)} AS t_local"]
    local = "t_local" if plan.date_format else (
        f"CASE WHEN t_local IS NULL AND {v} IS NOT NULL THEN try_strptime({v}, {listed}) ELSE t_local END"
    )
    layer = (
        f"SELECT * EXCLUDE (t_offset, t_local), CASE WHEN t_offset THEN timezone('UTC', TRY_CAST({v} AS "
        f"TIMESTAMPTZ)) ELSE timezone('UTC', timezone({tz}, {local})) END AS occurred_at FROM {{prev}}"
    )
    return parse, layer


def _routed_strptime(plan: StagingPlan, v: str) -> str:
    """try_strptime over the profile's format, else over the `DATE_FORMATS` of the value's family: the
    separator after a four-digit year (the value's 5th character: '-', '/', '年', '.', else none).

    Every listed format puts that separator right after %Y, so only its own family can parse a value;
    trying the whole list cost a failed parse per earlier format (a row in the 10th format cost 10 parses,
    ~0.3 CPU-s per million mixed rows). A value routed wrongly (say a year of other than four digits) is
    not lost: the next layer tries the whole list for it. `substr` is nearly free; finding the first
    non-digit with ltrim(v, '0123456789') cost ~0.5 CPU-s per million rows.
    """
    if plan.date_format:
        return f"try_strptime({v}, {sql_literal(plan.date_format)})"
    families: dict[str, list[str]] = {}
    for fmt in DATE_FORMATS:
        after = fmt[2:3] if fmt[2:3] not in ("%", " ", "") else ""
        families.setdefault(after, []).append(fmt)
    branches = "".join(
        f"WHEN {sql_literal(sep)} THEN try_strptime({v}, [{', '.join(sql_literal(f) for f in fmts)}]) "
        for sep, fmts in families.items() if sep
    )
    rest = ", ".join(sql_literal(f) for f in families.get("", []))
    return f"CASE substr({v}, 5, 1) {branches}ELSE try_strptime({v}, [{rest}]) END"


def _num_sql(v: str) -> str:
    # translate() costs ~0.4 µs a row: only a non-ASCII value (strlen counts bytes) can hold full-width digits
    ascii_or_translated = (
        f"CASE WHEN strlen({v}) = length({v}) THEN {v} "
        f"ELSE translate({v}, '{_FULLWIDTH_NUM[0]}', '{_FULLWIDTH_NUM[1]}') END"
    )
    return f"TRY_CAST({ascii_or_translated} AS DOUBLE)"


def _problem_sql(plan: StagingPlan, active: list[str]) -> list[tuple[str, str]]:
    """(condition, 'field\\x1freason' expression) per possible problem of a row."""
    out: list[tuple[str, str]] = []

    def add(fieldname: str, cond: str, reason_sql: str) -> None:
        out.append((cond, f"{sql_literal(fieldname + chr(31))} || {reason_sql}"))

    v_time = "v_occurred_at"
    add("occurred_at", f"{v_time} IS NULL", "'missing'")
    fmt_hint = plan.date_format or "ISO or a common Chinese form"
    add("occurred_at", f"{v_time} IS NOT NULL AND occurred_at IS NULL",
        f"'cannot parse ' || {v_time} || ' as a date/time ({fmt_hint})'")
    for score in SCORE_FIELDS:
        if score not in active:
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
    keep = [f"{v} IS NOT NULL" for v in ("v_text", "v_event_type") if v[2:] in active]
    keep += [f"n_{s} IS NOT NULL" for s in SCORE_FIELDS if s in active]
    add("text", f"NOT ({' OR '.join(keep) or 'false'})", "'row has no text, score or event type'")
    return out


def _namespace(plan: StagingPlan, id_type: str) -> str:
    return plan.source if id_type == "customer_ref" else (plan.account_namespace or plan.source)


def _identifier_steps(plan: StagingPlan, id_type: str) -> list[str]:
    steps = normalized_steps(id_type, _namespace(plan, id_type))
    return [*steps, hashed_step(id_type, plan.salt)] if plan.salt else steps


def _identifier_layers(plan: StagingPlan, ids: list[str]) -> list[str]:
    """Extra CTE layers applying normalisation step 2, 3, ... of every identifier (step 1 is in `p`)."""
    steps = {i: _identifier_steps(plan, i) for i in ids}
    depth = max((len(s) for s in steps.values()), default=0)
    layers = []
    for k in range(1, depth):
        replaced = [f"{s[k].replace('{x}', i)} AS {i}" for i, s in steps.items() if len(s) > k]
        layers.append(f"SELECT * REPLACE ({', '.join(replaced)}) FROM {{prev}}")
    return layers


def _cell(index: int) -> str:
    """Inner name of the file's column number `index` (file names may clash with canonical ones)."""
    return f"c_{index}"


def raw_sql(plan: StagingPlan, prefix: str = FILE_PREFIX) -> str:
    """The original row as a JSON object over the file's columns (named `prefix` + column beside the
    staged row); with a salt, a mapped identifier is replaced by its hashed value from the staged row."""
    mapped_identifiers = {plan.mapping[i]: i for i in IDENTIFIER_FIELDS if i in plan.mapping}
    pairs = []
    for c in plan.columns:
        # the hashed value replaces the identifier in raw too
        cell = mapped_identifiers[c] if plan.salt and c in mapped_identifiers else _q(prefix + c)
        pairs.append(f"{sql_literal(c)}, {cell}")
    return f"json_object({', '.join(pairs)})"


def text_sql(plan: StagingPlan, prefix: str = FILE_PREFIX) -> str:
    """The record's text over the file's columns (named `prefix` + column): trimmed, control characters
    removed (only where the column may hold any, see `cxloop.ingest.columns`)."""
    value = _value(plan, "text", prefix)
    column = plan.mapping.get("text")
    if column is not None and column in plan.control_free:
        return value
    return f"regexp_replace({value}, '{_CONTROL}', '', 'g')"


def _is_plain(field_name: str) -> bool:
    """A field stored as its trimmed cell (or constant): nothing to parse or normalise."""
    return field_name not in (*IDENTIFIER_FIELDS, *NUMBER_FIELDS, *SCORE_FIELDS, "text", "occurred_at")


def written_sql(plan: StagingPlan, field_name: str, prefix: str = FILE_PREFIX) -> str:
    """The writer's expression for a staged field: text (`text_sql`) and the plain fields (channel,
    product, ...) come from the file's cells beside the staged row (staging them cost a copy of each);
    every other field is the staged column of that name."""
    if field_name == "text":
        return text_sql(plan, prefix)
    return _value(plan, field_name, prefix) if _is_plain(field_name) else field_name


def staged_fields(plan: StagingPlan) -> list[str]:
    """Canonical fields the staging query outputs: mapped, constant or defaulted ones (others are null)."""
    active = set(plan.mapping) | set(plan.constants) | {"occurred_at"}
    return [f for f in CANONICAL_FIELDS if f in active]


def staging_sql(plan: StagingPlan) -> str:
    """SELECT over view `src` producing one staged row per data row (see module docstring).

    Output columns: row_number, seq, the `staged_fields` that need parsing or normalising (not text nor
    the plain fields, see `written_sql`), attributes, problems (null for a good row, else the list of
    'field\\x1freason'), is_event (routing), id (record or event id), row_hash.
    Each intermediate value is computed once, in its own CTE layer (see `cxloop.identity.normalize`).
    The wide values, `text_sql` and `raw_sql`, are not staged: the writer computes them from `src` as it
    inserts (staging them cost a copy of every text and raw row, ~1 CPU-s per million rows).
    """
    plan.validate()
    active = staged_fields(plan)
    values = [f"{_value(plan, f)} AS v_{f}" for f in active]
    if "occurred_at" in plan.defaults:
        default = sql_literal(plan.defaults["occurred_at"])
        values[0] = f"coalesce({_value(plan, 'occurred_at')}, {default}) AS v_occurred_at"
    ids = [i for i in IDENTIFIER_FIELDS if i in active]
    time_parse, time_layer = _time_sql(plan, "v_occurred_at")
    parsed = list(time_parse)
    parsed += [f"{_num_sql(f'v_{s}')} AS n_{s}" for s in SCORE_FIELDS if s in active]
    parsed += [f"{_num_sql(f'v_{n}')} AS {n}" for n in NUMBER_FIELDS if n in active]
    parsed += [f"{_identifier_steps(plan, i)[0].replace('{x}', f'v_{i}')} AS {i}" for i in ids]
    out = ["row_number", "seq", "occurred_at"]
    for f in active[1:]:
        if f == "text" or _is_plain(f):
            continue  # computed by the writer (`written_sql`)
        if f == "nps":
            out.append("TRY_CAST(n_nps AS SMALLINT) AS nps")
        elif f in SCORE_FIELDS:
            out.append(f"n_{f} AS {f}")
        else:
            out.append(f)  # an identifier or a number
    mapped = set(plan.mapping.values())
    unmapped = [f"{sql_literal(c)}, {_cell(n)}" for n, c in enumerate(plan.columns) if c not in mapped]
    attributes = f"json_object({', '.join(unmapped)})" if unmapped else "NULL"
    first = [f"{ROW} AS row_number", f"{SEQ} AS seq"]
    first += [f"{_q(c)} AS {_cell(n)}" for n, c in enumerate(plan.columns) if c not in mapped] + values
    # the content hash covers every canonical field (inactive ones are empty) so ids never depend on
    # which fields a profile happens to map
    content = _content_sql(active)
    problems = _problem_sql(plan, active)
    bad = " OR ".join(f"({cond}) IS TRUE" for cond, _ in problems)
    listed = ", ".join(f"CASE WHEN {cond} THEN {reason} END" for cond, reason in problems)
    src = sql_literal(plan.source)
    key = "v_source_key" if "source_key" in active else "NULL"
    layers = [
        f"SELECT {', '.join(first)} FROM src",
        f"SELECT *, {', '.join(parsed)} FROM {{prev}}",
        time_layer,
        *_identifier_layers(plan, ids),
        f"SELECT {', '.join(out)}, {key} AS key, {attributes} AS attributes, "
        f"{content} AS content, CASE WHEN {bad} THEN list_filter([{listed}], lambda x: x IS NOT NULL) END "
        f"AS problems, {_is_event_sql(active)} AS is_event FROM {{prev}}",
    ]
    ctes = ",\n".join(f"l{n} AS ({layer.replace('{prev}', f'l{n - 1}')})" for n, layer in enumerate(layers))
    return f"""
WITH {ctes}
SELECT * EXCLUDE (content, key),
  CASE WHEN is_event
    THEN md5({src} || chr(30) || coalesce(key, CAST(seq AS VARCHAR) || chr(31) || content))
    ELSE md5({src} || chr(30) || coalesce(key, content)) END AS id,
  md5(content || chr(30) || coalesce(CAST(attributes AS VARCHAR), '')) AS row_hash
FROM l{len(layers) - 1}
"""


def _content_sql(active: list[str]) -> str:
    """Every canonical field's value (empty when inactive) joined by chr(31), as one `concat` whose runs
    of separators are constants: the same string as concat_ws over all fields, ~0.2 CPU-s per million
    rows cheaper (concat_ws walked every empty field of every row)."""
    parts: list[str] = []
    pending = 0  # separators owed before the next value
    for n, f in enumerate(CANONICAL_FIELDS):
        if n:
            pending += 1
        if f in active:
            if pending:
                parts.append(f"repeat(chr(31), {pending})")
                pending = 0
            parts.append(f"coalesce(CAST(v_{f} AS VARCHAR), '')")
    if pending:
        parts.append(f"repeat(chr(31), {pending})")
    return f"concat({', '.join(parts)})"


def _is_event_sql(active: list[str]) -> str:
    """Routing: kind 'event', or an event type with neither text nor any score (over the values layer)."""
    kind = "v_kind" if "kind" in active else "NULL"
    event_type = "v_event_type" if "event_type" in active else "NULL"
    staged = {"text": "v_text", "nps": "TRY_CAST(n_nps AS SMALLINT)"}
    empty = "".join(f" AND {staged.get(f, f'n_{f}')} IS NULL" for f in ("text", *SCORE_FIELDS) if f in active)
    return f"(lower(coalesce({kind}, '')) = 'event' OR ({event_type} IS NOT NULL{empty}))"
