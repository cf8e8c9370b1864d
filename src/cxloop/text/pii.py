"""PII redaction for Chinese and English customer text.

Each kind of identifier is one compiled regex; candidates that carry a checksum are validated before they
are replaced: 18-digit resident ID numbers by the GB 11643-1999 ISO 7064 MOD 11-2 check character, bank
card numbers (16-19 digits) by the Luhn algorithm (ISO/IEC 7812-1). Patterns run in a fixed order, most
specific first (e-mail, configured order numbers, ID card, bank card, mobile, landline, 400/800, address),
and each replacement is a bracketed tag with no digits, so a later pattern never re-matches a tag.
Texts with no digit and no '@' skip every digit-based pattern (the common case in feedback).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cxloop.errors import ConfigError
from cxloop.settings.text import DEFAULT_ORDER_PATTERNS

__all__ = [
    "DEFAULT_ORDER_PATTERNS",
    "PII_VERSION",
    "PiiRedactor",
    "is_valid_id_card",
    "luhn_valid",
]

PII_VERSION = "pii1"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)
_BANK_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){15,18}\d(?![\d-])")
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])(?:\(0\d{2,3}\)\s?|0\d{2,3}[ -]?)[2-9]\d{6,7}(?:-\d{1,5})?(?![\d-])")
_SERVICE_NUMBER = re.compile(r"(?<![\d-])[48]00[ -]?\d{3}[ -]?\d{4}(?![\d-])")
_PROVINCES = (
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|"
    "云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门"
)
_ADDRESS = re.compile(
    rf"(?:(?:{_PROVINCES})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?)?"
    r"(?:[\u4e00-\u9fa5]{2,4}?市)?(?:[\u4e00-\u9fa5]{1,4}?(?:区|县|镇))?"
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}?(?:路|街|大道|大街|巷|胡同|弄)\s?\d{1,5}(?:-\d{1,5})?\s?号"
    r"(?:\s?[\dA-Za-z-]{1,6}\s?(?:号楼|栋|幢|座|楼|单元|层|室|号))*"
    r"|[\u4e00-\u9fa5]{2,8}?(?:小区|花园|公寓|大厦|家园|苑)\s?\d{1,4}\s?(?:号楼|栋|幢|座)"
    r"(?:\s?\d{1,4}\s?(?:单元|层|楼|室|号))*"
)
# Lead-in words ("我住在", "收货地址") are kept: the leftmost match can swallow them.
_ADDRESS_LEAD = re.compile(r"^(?:[我你他她家住在于到往寄送是的为:：址]|地址|收货|送货|小区里?)+")


def _address_sub(match: re.Match[str]) -> str:
    whole = match.group(0)
    lead = _ADDRESS_LEAD.match(whole)
    if lead and lead.end() < len(whole):
        return whole[: lead.end()] + "[ADDRESS]"
    return "[ADDRESS]"


_HAS_SIGNAL = re.compile(r"[\d@]")


def is_valid_id_card(number: str) -> bool:
    """GB 11643-1999 check character of an 18-character resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_valid(digits: str) -> bool:
    """The Luhn mod-10 check used by bank card numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _id_sub(match: re.Match[str]) -> str:
    return "[ID]" if is_valid_id_card(match.group(0)) else match.group(0)


def _card_sub(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "[CARD]" if 16 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _order_sub(match: re.Match[str]) -> str:
    if match.re.groups == 0:
        return "[ORDER]"
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    return whole[: start - offset] + "[ORDER]" + whole[end - offset :]


Replacement = str | Callable[[re.Match[str]], str]


@dataclass
class PiiRedactor:
    """Replace identifiers in texts with tags: [EMAIL] [ORDER] [ID] [CARD] [PHONE] [ADDRESS].

    `order_patterns` (workspace `[text.pii] order_patterns`) are regexes; with a capturing group only the
    group is replaced (so "订单号 12345678" keeps its cue word), else the whole match.
    """

    order_patterns: Sequence[str] = field(default_factory=lambda: list(DEFAULT_ORDER_PATTERNS))
    redact_addresses: bool = True
    version: str = PII_VERSION

    def __post_init__(self) -> None:
        compiled: list[tuple[re.Pattern[str], Replacement]] = [(_EMAIL, "[EMAIL]")]
        for pattern in self.order_patterns:
            try:
                compiled.append((re.compile(pattern, re.IGNORECASE), _order_sub))
            except re.error as exc:
                raise ConfigError(
                    f"text.pii.order_patterns: {pattern!r} is not a valid regular expression: {exc}",
                    field="text.pii.order_patterns",
                ) from exc
        compiled += [
            (_ID_CARD, _id_sub),
            (_BANK_CARD, _card_sub),
            (_MOBILE, "[PHONE]"),
            (_SERVICE_NUMBER, "[PHONE]"),
            (_LANDLINE, "[PHONE]"),
        ]
        if self.redact_addresses:
            compiled.append((_ADDRESS, _address_sub))
        self._steps = compiled

    def redact(self, text: str) -> str:
        """One text with every detected identifier replaced by its tag."""
        if not text or not _HAS_SIGNAL.search(text):
            return text
        for regex, replacement in self._steps:
            text = regex.sub(replacement, text)
        return text

    def __call__(self, texts: Sequence[str]) -> list[str]:
        redact, signal = self.redact, _HAS_SIGNAL.search
        return [redact(t) if t and signal(t) else t for t in texts]
