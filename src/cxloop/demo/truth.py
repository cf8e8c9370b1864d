"""Measuring the planted truths on the rows actually written (bad rows excluded, as ingest rejects them).

NPS = % promoters (9-10) - % detractors (0-6), Reichheld's definition, over the rows that carry a score.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxloop.demo.records import Frame
from cxloop.demo.sources import source_index
from cxloop.demo.writer import BAD_DATE, BAD_SCORE, EMPTY

__all__ = ["gamed_agent_truth", "nps", "nps_fix_truth"]


def nps(scores: np.ndarray) -> float | None:
    """Net promoter score in [-100, 100] of the non-missing scores; None for no scores."""
    s = scores[~np.isnan(scores)]
    if len(s) == 0:
        return None
    return round(float(((s >= 9).mean() - (s <= 6).mean()) * 100), 2)


def _valid(f: Frame) -> np.ndarray:
    return ~np.isin(f["bad"], [BAD_DATE, BAD_SCORE, EMPTY])


def _mean(values: np.ndarray) -> float | None:
    v = values[~np.isnan(values)]
    return round(float(v.mean()), 3) if len(v) else None


def gamed_agent_truth(f: Frame, planted: dict[str, Any]) -> dict[str, Any]:
    """Begging share and CSAT of the gamed agent vs peers: in chat (begged) and in the SMS callback survey."""
    agent = planted["_agent"]
    ok = _valid(f)
    chat = ok & (f["src"] == source_index("chat"))
    survey = ok & (f["src"] == source_index("csat_survey"))
    mine, peers = chat & (f["agent"] == agent), chat & (f["agent"] != agent)
    return {
        "agent_id": planted["agent_id"], "team": planted["team"], "channel": "chat",
        "begging_phrases_family": ["五星好评", "打10分", "非常满意", "给5分", "好评", "满分评价", "选满意"],
        "chats": int(mine.sum()),
        "begging_share": round(float(f["beg"][mine].mean()), 4) if mine.any() else 0.0,
        "peers_begging_share": round(float(f["beg"][peers].mean()), 4) if peers.any() else 0.0,
        "chat_csat_mean": _mean(f["csat"][mine]), "peers_chat_csat_mean": _mean(f["csat"][peers]),
        "callback_survey_csat_mean": _mean(f["csat"][survey & (f["agent"] == agent)]),
        "peers_callback_survey_csat_mean": _mean(f["csat"][survey & (f["agent"] != agent)]),
    }


def nps_fix_truth(f: Frame, planted: dict[str, Any], product: int, topic: int) -> dict[str, Any]:
    """NPS and mention share of the pain point on the product, before and after the fix date."""
    rows = _valid(f) & (f["src"] == source_index("nps_survey")) & (f["prod"] == product)
    before = rows & (f["ts"] < planted["_fix_ts"])
    after = rows & (f["ts"] >= planted["_fix_ts"])
    mention = f["topic"] == topic

    def share(sel: np.ndarray) -> float:
        return round(float(mention[sel].mean()), 4) if sel.any() else 0.0

    out = {k: v for k, v in planted.items() if not k.startswith("_")}
    out.update({
        "source": "nps_survey",
        "responses_before": int(before.sum()), "responses_after": int(after.sum()),
        "nps_before": nps(f["nps"][before]), "nps_after": nps(f["nps"][after]),
        "mention_share_before": share(before), "mention_share_after": share(after),
        "nps_mentioners_before": nps(f["nps"][before & mention]),
        "nps_non_mentioners_before": nps(f["nps"][before & ~mention]),
        "other_products_nps_before": nps(f["nps"][_valid(f) & (f["src"] == source_index("nps_survey"))
                                                  & (f["prod"] != product) & (f["ts"] < planted["_fix_ts"])]),
        "other_products_nps_after": nps(f["nps"][_valid(f) & (f["src"] == source_index("nps_survey"))
                                                 & (f["prod"] != product) & (f["ts"] >= planted["_fix_ts"])]),
    })
    return out
