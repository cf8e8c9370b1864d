"""The customer population and their identifiers (phones, e-mails, platform accounts, openids, serials).

Identifier values are unique by construction: each is derived from an affine permutation of the customer
index (`(a * i + b) mod m` with gcd(a, m) = 1 is a bijection), so no two customers collide by chance and
the planted identity truths stay exact. Display forms (+86, dashes, full-width digits, upper-case
e-mails) are chosen per row by `show_phone` / `show_email`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxloop.demo.vocab import PRODUCTS, REGIONS

__all__ = ["Customers", "make_customers", "show_email", "show_phone", "unique_ints"]

_PHONE_PREFIXES = np.array([130, 131, 132, 135, 136, 137, 138, 139, 150, 151, 152, 155, 158, 159, 166, 177,
                            180, 182, 185, 186, 187, 188, 189, 191, 198, 199], dtype=np.int64)
_SURNAMES = np.array(["zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
                      "ma", "zhu", "hu", "guo", "he", "lin", "luo", "gao"], dtype=object)
_GIVEN = np.array(["wei", "fang", "na", "min", "jing", "lei", "qiang", "jun", "yan", "tao", "ming", "chao",
                   "xiu", "hui", "lin", "hao", "yu", "xin", "jie", "ting"], dtype=object)
_DOMAINS = np.array(["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com"],
                    dtype=object)
_NICK_A = np.array(["数码", "爱吃", "快乐的", "小", "老", "阿", "追风", "安静的", "北京", "深圳"], dtype=object)
_NICK_B = np.array(["小王", "猫咪", "少年", "大叔", "鱼", "柠檬", "程序员", "宝妈", "阿杰", "同学"], dtype=object)
_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def unique_ints(n: int, modulus: int, rng: np.random.Generator, start: int = 0) -> np.ndarray:
    """`n` distinct ints in [0, modulus) for indices start..start+n, via an affine permutation."""
    if start + n > modulus:
        raise ValueError(f"cannot draw {start + n} distinct values below {modulus}")
    while True:
        a = int(rng.integers(modulus // 3, modulus - 1)) | 1
        if np.gcd(a, modulus) == 1:
            break
    b = int(rng.integers(0, modulus))
    i = np.arange(start, start + n, dtype=np.int64)
    return (a * i + b) % modulus


def _random_strings(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> np.ndarray:
    codes = alphabet[rng.integers(0, len(alphabet), size=(n, length))]
    return np.array(codes.view(f"S{length}").ravel().astype(str), dtype=object)


@dataclass
class Customers:
    """Column arrays, one row per customer (index = customer number)."""

    phone: np.ndarray  # int64, 11-digit mobile number
    phone2: np.ndarray  # int64, second number or 0
    email: np.ndarray  # object
    jd: np.ndarray  # object, JD account
    tmall: np.ndarray  # object, Tmall member name
    openid: np.ndarray  # object, WeChat openid
    app_uid: np.ndarray  # object, app user id
    weibo: np.ndarray  # object, Weibo nickname
    device: np.ndarray  # object, serial of the main product
    product: np.ndarray  # int8, index into PRODUCTS
    region: np.ndarray  # int8, index into REGIONS
    weight: np.ndarray  # float64, contact propensity (sums to 1)

    def __len__(self) -> int:
        return len(self.phone)


def make_customers(n: int, rng: np.random.Generator, spare: int = 0) -> tuple[Customers, np.ndarray]:
    """`n` customers with unique identifiers, a main product, a region and a heavy-tailed activity,
    plus `spare` further phone numbers distinct from all of theirs (second numbers to plant)."""
    numbers = _PHONE_PREFIXES[rng.integers(0, len(_PHONE_PREFIXES), n + spare)] * 10**8 + unique_ints(
        n + spare, 10**8, rng)
    phone, spare_phones = numbers[:n], numbers[n:]
    num = unique_ints(n, 10**7, rng).astype(str).astype(object)
    email = (_SURNAMES[rng.integers(0, len(_SURNAMES), n)] + _GIVEN[rng.integers(0, len(_GIVEN), n)]
             + num + "@" + _DOMAINS[rng.integers(0, len(_DOMAINS), n)])
    jd = "jd_" + _random_strings(rng, n, 6, _HEX) + unique_ints(n, 10**7, rng).astype(str).astype(object)
    tmall = "tb" + unique_ints(n, 10**9, rng).astype(str).astype(object) + "_" + (
        rng.integers(2012, 2025, n).astype(str).astype(object))
    openid = "o" + _random_strings(rng, n, 27, _B64)
    app_uid = "u" + (10**9 + unique_ints(n, 10**9, rng)).astype(str).astype(object)
    weibo = (_NICK_A[rng.integers(0, len(_NICK_A), n)] + _NICK_B[rng.integers(0, len(_NICK_B), n)] + "_"
             + unique_ints(n, 10**7, rng).astype(str).astype(object))
    weights = np.array([p.weight for p in PRODUCTS])
    product = rng.choice(len(PRODUCTS), size=n, p=weights / weights.sum()).astype(np.int8)
    prefixes = np.array([p.serial_prefix for p in PRODUCTS], dtype=object)
    week = (2520 + rng.integers(0, 40, n)).astype(str).astype(object)  # YYWW of manufacture
    device = prefixes[product] + week + _random_strings(rng, n, 1, _B64[:26]) + (
        unique_ints(n, 10**6 if n < 10**6 else 10**8, rng).astype(str).astype(object))
    rw = np.array([w for _, w in REGIONS])
    region = rng.choice(len(REGIONS), size=n, p=rw / rw.sum()).astype(np.int8)
    act = rng.lognormal(0.0, 0.7, n)
    customers = Customers(phone, np.zeros(n, dtype=np.int64), email, jd, tmall, openid, app_uid, weibo, device,
                          product, region, act / act.sum())
    return customers, spare_phones


_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def show_phone(numbers: np.ndarray, rng: np.random.Generator, variety: float) -> np.ndarray:
    """Phone numbers as a person or a system typed them: plain, +86, dashes, spaces, full-width.

    `variety` is the share of rows not in the plain 11-digit form.
    """
    s = numbers.astype(str).astype(object)
    style = np.where(rng.random(len(s)) < variety, rng.integers(1, 6, len(s)), 0)
    out = s.copy()
    for code in range(1, 6):
        sel = style == code
        if not sel.any():
            continue
        v = s[sel]
        if code == 1:
            out[sel] = "+86 " + v
        elif code == 2:
            out[sel] = np.array([f"{x[:3]}-{x[3:7]}-{x[7:]}" for x in v], dtype=object)
        elif code == 3:
            out[sel] = np.array([f"{x[:3]} {x[3:7]} {x[7:]}" for x in v], dtype=object)
        elif code == 4:
            out[sel] = np.array([x.translate(_FULL) for x in v], dtype=object)
        else:
            out[sel] = "0086" + v
    return out


def show_email(emails: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """E-mails as typed: some with capitals or a stray space (identity must normalise them)."""
    out = emails.copy()
    sel = rng.random(len(out)) < 0.08
    out[sel] = np.array([e.capitalize() for e in out[sel]], dtype=object)
    sel2 = rng.random(len(out)) < 0.03
    out[sel2] = " " + out[sel2] + " "
    return out
