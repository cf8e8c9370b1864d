"""PII masking: what a principal without the `pii` privilege sees instead of identifiers.

Structured identifier fields keep their shape and lose their digits (`138****0000`, `a***@x.cn`,
`jd:al***ce`); free text and raw rows go through the workspace's `PiiRedactor` (tags such as `[PHONE]`,
`[ID]`, `[CARD]`, `[ADDRESS]`). Masking is a pure function of the value: the same input always masks the
same way, so masked values can still be compared but never reversed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cxloop.text.pii import PiiRedactor

__all__ = ["IDENTIFIER_COLUMNS", "TEXT_COLUMNS", "RecordMasker", "mask_email", "mask_identifier", "mask_phone"]

IDENTIFIER_COLUMNS = ("phone", "email", "account", "openid", "device", "customer_ref")
TEXT_COLUMNS = ("text", "raw", "attributes")

_DIGIT = re.compile(r"\d")


def mask_phone(value: str) -> str:
    """Keep the first three and the last four digits of a mobile number, star the rest (`138****0000`);
    shorter numbers keep only their shape."""
    digits = _DIGIT.findall(value)
    if len(digits) < 11:
        return _DIGIT.sub("*", value)
    keep = set(range(3)) | set(range(len(digits) - 4, len(digits)))
    seen = -1
    out = []
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen in keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_email(value: str) -> str:
    local, sep, domain = value.partition("@")
    if not sep:
        return mask_identifier(value)
    return (local[:1] + "***" if local else "***") + "@" + domain


def mask_identifier(value: str) -> str:
    """An account, openid, device serial: a namespace (`jd:`) and two characters at each end survive."""
    prefix, sep, rest = value.rpartition(":")
    body = rest if sep else value
    masked = "*" * len(body) if len(body) <= 4 else body[:2] + "*" * min(len(body) - 4, 6) + body[-2:]
    return f"{prefix}{sep}{masked}"


_FIELD_MASKS = {"phone": mask_phone, "email": mask_email}


@dataclass
class RecordMasker:
    """Masks rows (dicts) for a principal without the `pii` privilege."""

    redactor: PiiRedactor

    def identifier(self, id_type: str, value: str | None) -> str | None:
        if value is None:
            return None
        return _FIELD_MASKS.get(id_type, mask_identifier)(str(value))

    def text(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redactor.redact(value)
        if isinstance(value, Mapping):
            return {k: self.text(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.text(v) for v in value]
        return value

    def json_text(self, value: str | None) -> str | None:
        """A JSON document (raw row, attributes) stored as text: every string in it redacted."""
        if value is None:
            return None
        try:
            return json.dumps(self.text(json.loads(value)), ensure_ascii=False)
        except ValueError:
            return self.redactor.redact(value)

    def row(self, row: dict[str, Any], *, texts: Iterable[str] = TEXT_COLUMNS) -> dict[str, Any]:
        out = dict(row)
        for col in IDENTIFIER_COLUMNS:
            if out.get(col) is not None:
                out[col] = self.identifier(col, out[col])
        for col in texts:
            if col in out:
                value = out[col]
                out[col] = self.json_text(value) if isinstance(value, str) and col != "text" else self.text(value)
        return out
