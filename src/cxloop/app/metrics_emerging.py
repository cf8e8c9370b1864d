"""Emerging issues on a workspace: where a replay starts, and what each issue is called.

Helpers of `metrics_service.detect_emerging` (kept apart so that module stays small); they take what
the engine returned and the workspace's own tables, and run no engine query themselves.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from cxloop.app.workspace import Workspace
from cxloop.metrics import emerging as em
from cxloop.metrics.query import parse_query
from cxloop.metrics.timeframe import local_date, resolve_window

__all__ = ["label_issues", "replay_start"]


def replay_start(ws: Workspace, first: datetime | None, since: str, day: date, opt: em.EmergingOptions) -> date:
    """First day of a replay ending on `day`: `since` (a date, `30d` or `all`) as a window start, never
    before the first day with a full baseline after the data's `first` record (earlier days would
    compare the data with the empty days before it)."""
    if first is None:
        return day
    tz = ws.settings.timezone
    earliest = local_date(first, tz) + timedelta(days=opt.window_days + opt.baseline_days - 1)
    window = resolve_window(parse_query("nps", since=since, asof=day.isoformat()), None, tz)
    begin = local_date(window.start, tz) if window.start is not None else earliest
    return min(max(begin, earliest), day)


def label_issues(ws: Workspace, taxonomy: pd.DataFrame, issues: list[dict[str, Any]]) -> None:
    """Name each issue: the taxonomy topic's name and owner (`taxonomy`: topic_id, owner_department,
    name_en), a cluster's c-TF-IDF label (from the workspace's topic candidates), or "uncovered text"."""
    owners = taxonomy.astype(object).where(taxonomy.notna(), None)  # no NaN in the JSON
    by_topic = owners.set_index("topic_id").to_dict("index")
    labels = dict(ws.con.execute("SELECT cluster_id, label FROM topic_candidates").fetchall())
    for issue in issues:
        info = by_topic.get(issue["topic"], {}) if issue["kind"] == "topic" else {}
        issue["owner_department"] = info.get("owner_department")
        issue["topic_name"] = info.get("name_en")
        if issue["kind"] == "topic":
            issue["label"] = info.get("name_en") or issue["series"]
        elif issue["kind"] == "cluster":
            issue["label"] = labels.get(issue["series"], issue["series"])
        else:
            issue["label"] = "uncovered text (no topic, no cluster)"
