"""Text encodings of exports: strict UTF-8 (with or without BOM) first, else GB18030 (a superset of GBK)."""

from __future__ import annotations

import codecs

from cxloop.errors import InputError

__all__ = ["decode_bytes"]


def _check_known(encoding: str, file: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise InputError(
            f"{file}: unknown encoding {encoding!r}; use auto, utf-8, utf-8-sig, gbk or gb18030",
            file=file,
        ) from exc


def decode_bytes(data: bytes, encoding: str, file: str) -> tuple[str, str]:
    """Decode a whole export; return (text, encoding used). Undecodable input is one InputError."""
    if encoding.lower() != "auto":
        name = _check_known(encoding, file)
        try:
            text = data.decode(name)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{file}: cannot decode as {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                file=file,
            ) from exc
        return text.removeprefix("\ufeff"), name
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{file}: unreadable encoding: not UTF-8 (byte 0x{data[utf8_error.start]:02x} at offset "
                f"{utf8_error.start}) nor GB18030 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "pass --encoding",
                file=file,
            ) from exc
