"""Per-record strings for the exports: identifiers as shown, ids of sessions, cases and orders, labels.

Runs once over the whole (sorted) frame; each source's layout then slices the arrays it needs.
"""

from __future__ import annotations

import numpy as np

from cxloop.demo.events import Derived
from cxloop.demo.phrases import TOPICS
from cxloop.demo.planted import SWITCHBOARD
from cxloop.demo.population import Customers, show_email, show_phone
from cxloop.demo.records import Frame
from cxloop.demo.sources import SOURCES
from cxloop.demo.staff import Staff
from cxloop.demo.strings import format_codes
from cxloop.demo.vocab import DEPARTMENTS, PRODUCTS, REGIONS

__all__ = ["derive_strings"]

# How varied typed phone numbers are per source (0: a system records plain digits).
_PHONE_VARIETY = {"chat": 0.3, "wechat": 0.3, "app_feedback": 0.3, "nps_survey": 0.1, "field_service": 0.15}
_SESSION_PREFIX = {"hotline": "CALL", "chat": "CS", "wechat": "WXS"}
_ORDER_PREFIX = {"jd_reviews": "JD", "tmall_reviews": "TM", "nps_survey": "OA"}
_CASE_SOURCES = ("hotline", "chat", "wechat", "field_service", "csat_survey")


def _blank(n: int) -> np.ndarray:
    return np.full(n, "", dtype=object)


def _shown(flag: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(flag, values, "")


def _phones(rng: np.random.Generator, f: Frame, c: Customers, bounds: dict[str, slice]) -> np.ndarray:
    number = np.where(f["phone_mode"] == 1, c.phone2[f["cust"]], c.phone[f["cust"]])
    out = _blank(len(number))
    for name, sl in bounds.items():
        out[sl] = show_phone(number[sl], rng, _PHONE_VARIETY.get(name, 0.0))
    out[f["phone_mode"] == 2] = SWITCHBOARD
    out[f["phone_mode"] == 3] = "未知"
    return _shown(f["show_phone"], out)


def _per_source_codes(bounds: dict[str, slice], prefixes: dict[str, str], width: int, base: int,
                      n: int) -> np.ndarray:
    out = _blank(n)
    for name, prefix in prefixes.items():
        sl = bounds[name]
        count = sl.stop - sl.start
        out[sl] = format_codes(prefix, base + np.arange(count), width).to_numpy(zero_copy_only=False)
    return out


def derive_strings(rng: np.random.Generator, f: Frame, c: Customers, staff: Staff,
                   bounds: dict[str, slice]) -> tuple[dict[str, np.ndarray], Derived]:
    """Object columns (per frame row) every layout draws from, and the subset events need."""
    n = len(f["src"])
    cust = f["cust"]
    agent = f["agent"]
    has_agent = agent >= 0
    safe_agent = np.maximum(agent, 0)
    strings: dict[str, np.ndarray] = {
        "phone": _phones(rng, f, c, bounds),
        "email": _shown(f["show_email"], show_email(c.email[cust], rng)),
        # A serial belongs to the customer's own product: rows about another product show none.
        "device": _shown(f["show_device"] & (f["prod"] == c.product[cust]), c.device[cust]),
        "agent": _shown(has_agent, staff.agent_id[safe_agent]),
        "team": _shown(has_agent, staff.team[safe_agent]),
        "partner": _shown(has_agent, staff.partner[safe_agent]),
        "product": np.array([p.code for p in PRODUCTS], dtype=object)[f["prod"]],
        "title": np.array([p.title for p in PRODUCTS], dtype=object)[f["prod"]],
        "region": np.array([r for r, _ in REGIONS], dtype=object)[c.region[cust]],
    }
    for ident in ("openid", "app_uid", "jd", "tmall", "weibo"):
        strings[ident] = _shown(f["show_" + ident], getattr(c, ident)[cust])
    dept = np.array([DEPARTMENTS[t.department] for t in TOPICS] + [DEPARTMENTS["quality"]], dtype=object)
    stage = np.array([t.stage for t in TOPICS] + ["use"], dtype=object)
    strings["department"] = dept[f["topic"]]
    strings["stage"] = stage[f["topic"]]
    strings["session"] = _per_source_codes(bounds, _SESSION_PREFIX, 10, 1, n)
    strings["order"] = _per_source_codes(bounds, _ORDER_PREFIX, 12, 202600000000, n)
    case_no = np.where(f["case"] >= 0, f["case"], 10_000_000 + np.arange(n))
    case_rows = np.zeros(n, dtype=bool)
    for name in _CASE_SOURCES:
        case_rows[bounds[name]] = True
    case = format_codes("SR", case_no, 8).to_numpy(zero_copy_only=False)
    strings["case"] = np.where(case_rows, case, "")
    derived = Derived(phone=strings["phone"], plain_phone=c.phone[cust].astype(str).astype(object),
                      session=strings["session"], case=strings["case"], order=strings["order"],
                      agent=strings["agent"], product=strings["product"], region=strings["region"])
    return strings, derived


def source_bounds(f: Frame) -> dict[str, slice]:
    """Row ranges of each source in a frame sorted by source."""
    edges = np.searchsorted(f["src"], np.arange(len(SOURCES) + 1))
    return {s.name: slice(int(edges[i]), int(edges[i + 1])) for i, s in enumerate(SOURCES)}
