"""Golden tests for every PII pattern, and near misses that must stay as they are."""

from __future__ import annotations

import pytest

from cxloop.errors import ConfigError
from cxloop.text.pii import PiiRedactor, is_valid_id_card, luhn_valid


def _luhn_complete(prefix: str) -> str:
    """`prefix` plus the Luhn check digit."""
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


def _id_complete(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(a) * b for a, b in zip(first17, weights, strict=True)) % 11]


CARD16 = _luhn_complete("622202020000000")
CARD19 = _luhn_complete("621700123456789012")
ID_X = "11010519491231002X"  # the GB 11643 standard's own example, check character X
ID_DIGIT = _id_complete("44030619900101123")

REDACTED = [
    # mobile
    ("我的手机13812345678", "我的手机[PHONE]"),
    ("call me at +86 138 1234 5678 please", "call me at [PHONE] please"),
    ("电话0086-15912345678", "电话[PHONE]"),
    ("号码：199-1234-5678。", "号码：[PHONE]。"),
    # landlines, 400/800
    ("座机0755-86012345转", "座机[PHONE]转"),
    ("打(010)62345678找我", "打[PHONE]找我"),
    ("电话 021 55551234-805", "电话 [PHONE]"),
    ("客服热线400-810-5555太难打", "客服热线[PHONE]太难打"),
    ("800 820 8820", "[PHONE]"),
    # ID cards
    (f"身份证{ID_X}", "身份证[ID]"),
    (f"身份证号 {ID_X.lower()}", "身份证号 [ID]"),
    (f"证件{ID_DIGIT}已提供", "证件[ID]已提供"),
    # bank cards (Luhn)
    (f"卡号{CARD16}", "卡号[CARD]"),
    (f"card {CARD16[:4]} {CARD16[4:8]} {CARD16[8:12]} {CARD16[12:]}", "card [CARD]"),
    (f"退到{CARD19}这张卡", "退到[CARD]这张卡"),
    # e-mail
    ("邮箱zhang.san@qq.com谢谢", "邮箱[EMAIL]谢谢"),
    ("mail j.doe+cx@example.co.uk now", "mail [EMAIL] now"),
    # order numbers (default pattern keeps the cue word)
    ("订单号：2023112312345678 没收到", "订单号：[ORDER] 没收到"),
    ("order no. SO-20231123-0001 is late", "order no. [ORDER] is late"),
    # addresses
    ("收货地址广东省深圳市南山区科技园路18号3栋", "收货地址[ADDRESS]"),
    ("我住在深圳市南山区科技园路18号3栋2单元501室", "我住在[ADDRESS]"),
    ("送到北京市朝阳区建国路88号", "送到[ADDRESS]"),
    ("我家在阳光小区3栋2单元", "我家在[ADDRESS]"),
    ("在人民路5号门店买的", "在[ADDRESS]门店买的"),
]

KEPT = [
    "路由器坏了，信号很差",  # 路 without a number
    "价格12345678901元",  # 11 digits starting 12: not a mobile
    "编号10012345678",  # starts 10
    "138123456789",  # 12 digits: not a mobile
    "1381234567",  # 10 digits
    "2023年12月1日买的，等了3天",
    "iPhone 15 Pro 256G 才用了400天",
    "400元的耳机",
    "11010519491231002Y",  # ID with an impossible check character
    "110105194912310021",  # valid layout, wrong check digit (and not Luhn)
    "6222020200000000001",  # 19 digits failing Luhn
    "序列号1234567812345678",  # 16 digits failing Luhn
    "email me at the office",  # no address
    "user@localhost",  # no top-level domain
    "我住在阳光小区",  # estate without a building number
    "3号线地铁站",  # a metro line, not a house number
    "市场部说区别不大",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_each_pattern_is_redacted(text: str, expected: str) -> None:
    assert PiiRedactor().redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_near_misses_are_kept(text: str) -> None:
    assert PiiRedactor().redact(text) == text


def test_batch_equals_one_by_one_and_keeps_empty() -> None:
    texts = [t for t, _ in REDACTED] + KEPT + ["", "没有数字"]
    assert PiiRedactor()(texts) == [PiiRedactor().redact(t) for t in texts]
    assert PiiRedactor()([""]) == [""]


def test_checksums() -> None:
    assert is_valid_id_card(ID_X) and is_valid_id_card(ID_DIGIT)
    assert not is_valid_id_card(ID_X[:-1] + "1")
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def test_configured_order_patterns_replace_group_or_whole() -> None:
    redactor = PiiRedactor(order_patterns=[r"JD\d{10,12}", r"工单\s*([A-Z]{2}\d{6})"])
    assert redactor.redact("京东单JD123456789012到了吗") == "京东单[ORDER]到了吗"
    assert redactor.redact("工单 WO123456 未处理") == "工单 [ORDER] 未处理"
    # the default pattern is replaced, not added to
    assert redactor.redact("订单号：2023112312345678") == "订单号：2023112312345678"


def test_invalid_order_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="order_patterns"):
        PiiRedactor(order_patterns=["([unclosed"])


def test_addresses_can_be_left_alone() -> None:
    assert PiiRedactor(redact_addresses=False).redact("送到北京市朝阳区建国路88号") == "送到北京市朝阳区建国路88号"
