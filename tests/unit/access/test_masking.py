"""PII masking keeps shapes and never the full identifier; the permission matrix and scopes."""

from __future__ import annotations

import pytest

from cxloop.access import MATRIX, Permission, Principal, RecordMasker, Role, mask_email, mask_identifier, mask_phone
from cxloop.errors import Forbidden
from cxloop.text.pii import PiiRedactor


@pytest.mark.parametrize(("value", "masked"), [
    ("13800000001", "138****0001"),
    ("+86 150-0000-1111", "+86 1**-****-1111"),
    ("010-6552", "***-****"),
])
def test_phone_keeps_shape(value: str, masked: str) -> None:
    assert mask_phone(value) == masked
    assert len(mask_phone(value)) == len(value)


def test_email_and_identifiers() -> None:
    assert mask_email("alice@x.cn") == "a***@x.cn"
    assert mask_identifier("jd:alice2026") == "jd:al*****26"
    assert mask_identifier("abc") == "***"


def test_record_masker_masks_fields_text_and_raw() -> None:
    masker = RecordMasker(PiiRedactor())
    row = {"phone": "13800000002", "email": "b@x.cn", "text": "电话13800000002打不通",
           "raw": '{"手机": "13800000002", "内容": "寄到北京市朝阳区建国路88号"}', "product": "X5"}
    out = masker.row(row)
    assert out["phone"] == "138****0002" and out["email"] == "b***@x.cn" and out["product"] == "X5"
    assert "13800000002" not in str(out) and "[PHONE]" in out["text"]
    assert "建国路88号" not in out["raw"] and "[ADDRESS]" in out["raw"]


def test_matrix_and_principal() -> None:
    viewer = Principal("ann", Role.viewer)
    assert viewer.can(Permission.records_read) and not viewer.can(Permission.ingest_write)
    with pytest.raises(Forbidden):
        viewer.require(Permission.users_manage)
    assert MATRIX[Role.admin] == frozenset(Permission)
    assert not any(Permission.ingest_read in MATRIX[r] for r in (Role.partner, Role.viewer, Role.agent))
    assert Principal("sf", Role.partner, partner="顺丰").scope.partner == "顺丰"
    assert Principal("qa", Role.agent, department="quality").scope.department == "quality"
    assert not Principal("li", Role.admin, department="cx").scope.narrowed  # admins see every department
    assert Principal("x", Role.viewer).masked and not Principal("y", Role.analyst, pii=True).masked
