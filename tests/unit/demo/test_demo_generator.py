"""The demo generator: deterministic per seed, files readable as declared, ground truth true to the files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxloop.config import SourceProfile
from cxloop.demo.generator import DemoResult, generate_demo
from cxloop.demo.phrases import BEGGING, DEFECT
from cxloop.errors import UsageError

TZ_WEEK = "Asia/Shanghai"


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _phone(value: str) -> str:
    digits = re.sub(r"\D", "", value.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    return re.sub(r"^(0086|86)(?=1\d{10}$)", "", digits)


def _when(frame: pd.DataFrame, column: str, date_format: str | None) -> pd.Series:
    values = frame[column].str.replace(r"\+08:00$", "", regex=True)
    if date_format:
        return pd.to_datetime(values, format=date_format, errors="coerce")
    chinese = values.str.replace(r"(\d+)年(\d+)月(\d+)日", r"\1-\2-\3", regex=True).str.replace(".", "-", regex=False)
    return pd.to_datetime(chinese.str.replace("/", "-", regex=False), format="mixed", errors="coerce")


def test_same_seed_same_bytes_other_seed_other_bytes(demo: DemoResult, tmp_path: Path) -> None:
    seed = demo.truth["seed"]
    again = generate_demo(tmp_path / "again", records=demo.truth["records"], seed=seed)
    assert _bytes(again.folder) == _bytes(demo.folder)
    assert again.truth == demo.truth
    other = generate_demo(tmp_path / "other", records=demo.truth["records"], seed=seed + 100)
    differing = [n for n, b in _bytes(other.folder).items() if _bytes(demo.folder)[n] != b]
    assert len(differing) == len(demo.files)


def test_every_source_has_a_file_a_valid_profile_and_mapped_columns(demo: DemoResult, frames) -> None:
    assert len(demo.files) == 13
    assert {p.suffix for p in demo.files.values()} == {".csv", ".xlsx", ".jsonl"}
    assert demo.truth["files"]["hotline"]["encoding"] == "gbk"
    with pytest.raises(UnicodeDecodeError):
        demo.files["hotline"].read_bytes().decode("utf-8")
    for source, prof in demo.profiles.items():
        profile = SourceProfile.model_validate(prof)
        frame = frames[source]
        assert set(profile.map.values()) <= set(frame.columns), source
        assert len(frame) == demo.truth["files"][source]["rows"], source
        if profile.kind != "event":
            assert frame[profile.map["text"]].str.len().gt(0).mean() > 0.5, source


def test_each_record_file_has_bad_rows_and_duplicates(demo: DemoResult) -> None:
    for source, info in demo.truth["files"].items():
        if source.endswith("_events"):
            continue
        assert info["expected_rejects"] > 0, source
        assert info["duplicates"] > 0, source
        assert info["expected_rejects"] == info["bad_date"] + info["bad_score"] + info["empty"]


def test_dates_follow_each_channel_style(demo: DemoResult, frames) -> None:
    styles = {"hotline": r"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}$",
              "tmall_reviews": r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$",
              "chat": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$",
              "field_service": r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"}
    for source, pattern in styles.items():
        column = demo.truth["files"][source]["date_column"]
        share = frames[source][column].str.match(pattern).mean()
        assert 0.95 < share < 1.0, (source, share)  # all but the deliberately bad dates


def test_planted_defect_is_in_its_week_on_its_product(demo: DemoResult, frames) -> None:
    truth = demo.truth["emerging_defect"]
    stems = "|".join(truth["wording_stems"])
    start, end = pd.Timestamp(truth["week_start"]), pd.Timestamp(truth["week_end"]) + pd.Timedelta(days=1)
    found = 0
    for source, frame in frames.items():
        prof = demo.profiles[source]
        if prof["kind"] == "event":
            continue
        hits = frame[frame[prof["map"]["text"]].str.contains(stems)]
        when = _when(hits, prof["map"]["occurred_at"], prof.get("date_format"))
        assert (hits[prof["map"]["product"]] == truth["product"]).all(), source
        assert when.between(start, end, inclusive="left").all(), source
        found += len(hits)
        assert len(hits) == truth["by_source"].get(source, 0), source
    assert found == truth["expected_count"] >= 40


def test_defect_wording_is_not_in_the_shipped_taxonomy(demo: DemoResult) -> None:
    path = Path(__file__).resolve().parents[3] / "src" / "cxloop" / "text" / "data" / "default_taxonomy.json"
    if not path.is_file():
        pytest.skip("no shipped taxonomy")
    import json

    keywords = [k.lower() for t in json.loads(path.read_text(encoding="utf-8"))["topics"] for k in t["keywords"]]
    assert keywords
    wording = [*DEFECT["colloquial"], *DEFECT["formal"], *DEFECT["terms"], *DEFECT["stems"]]
    clashes = [(k, w) for w in wording for k in keywords if k in w.lower()]
    assert clashes == []


def test_repeat_callers_contact_five_times_or_more(demo: DemoResult, frames) -> None:
    phones: dict[str, int] = {}
    for source, frame in frames.items():
        prof = demo.profiles[source]
        if prof["kind"] == "event" or "phone" not in prof["map"]:
            continue
        for value, count in frame[prof["map"]["phone"]].map(_phone).value_counts().items():
            phones[value] = phones.get(value, 0) + int(count)
    repeaters = demo.truth["repeat_contacts"]
    assert len(repeaters) >= 8
    for r in repeaters:
        assert r["contacts"] >= 5
        assert phones[r["phone"]] >= r["contacts"]
        assert r["identifiers"]["phone"] == [r["phone"]]
    case_log = frames["case_events"].drop_duplicates()
    reopened = case_log[case_log["事件编码"] == "reopened"]["服务单号"].value_counts()
    for r in repeaters:
        assisted = sum(n for s, n in r["by_source"].items() if s != "app_feedback")  # app feedback opens no case
        assert sum(r["by_source"].values()) == r["contacts"]
        assert reopened.get(r["case_id"], 0) == assisted - 1


def test_two_phone_customers_are_linked_by_one_email(demo: DemoResult, frames) -> None:
    pairs = demo.truth["two_phone_customers"]
    assert len(pairs) >= 6
    seen: set[tuple[str, str]] = set()
    for source in ("chat", "app_feedback"):
        prof, frame = demo.profiles[source], frames[source]
        emails = frame[prof["map"]["email"]].str.strip().str.lower()
        seen |= set(zip(frame[prof["map"]["phone"]].map(_phone), emails, strict=True))
    for pair in pairs:
        assert pair["phones"][0] != pair["phones"][1]
        for phone in pair["phones"]:
            assert (phone, pair["email"]) in seen


def test_ivr_lost_node_recomputed_from_the_log(demo: DemoResult, frames) -> None:
    truth = demo.truth["ivr_lost_node"]
    log = frames["ivr_events"].drop_duplicates()
    nodes = log[log["event"] == "ivr_node"]
    visits = nodes.groupby("node")["call_id"].nunique()
    last = nodes.groupby("call_id")["node"].last()
    abandoned = set(log.loc[log["event"] == "ivr_abandon", "call_id"])
    lost = last[last.index.isin(abandoned)].value_counts()
    rate = lost.get(truth["node"], 0) / visits[truth["node"]]
    assert rate == pytest.approx(truth["lost_rate"], abs=1e-4)
    assert truth["lost_rate"] > 2 * truth["other_nodes_max"]
    assert truth["lost_rate"] > 3 * truth["other_nodes_mean"]


def test_gamed_agent_begs_and_gets_inflated_chat_scores(demo: DemoResult, frames) -> None:
    truth = demo.truth["gamed_agent"]
    chat = frames["chat"]
    begging = chat["会话内容"].str.contains("|".join(re.escape(b) for b in BEGGING))
    mine = chat["客服工号"] == truth["agent_id"]
    assert begging[mine].mean() > 0.5 > 0.02 > begging[~mine].mean()
    scores = pd.to_numeric(chat["会话评价"], errors="coerce")
    assert scores[mine & scores.between(1, 5)].mean() > scores[~mine & scores.between(1, 5)].mean() + 0.5
    assert truth["chat_csat_mean"] > truth["callback_survey_csat_mean"]


def test_pain_point_fix_raises_nps(demo: DemoResult, frames) -> None:
    truth = demo.truth["pain_point_fix"]
    survey = frames["nps_survey"]
    score = pd.to_numeric(survey["推荐意愿(0-10)"], errors="coerce")
    when = _when(survey, "提交时间", None)
    ok = score.between(0, 10) & when.notna() & (survey["购买产品"] == truth["product"])
    fix = pd.Timestamp(truth["fix_date"])

    def nps(sel: pd.Series) -> float:
        s = score[sel]
        return round(float(((s >= 9).mean() - (s <= 6).mean()) * 100), 2)

    assert nps(ok & (when < fix)) == truth["nps_before"]
    assert nps(ok & (when >= fix)) == truth["nps_after"]
    assert truth["nps_after"] > truth["nps_before"] + 10
    assert truth["mention_share_before"] > 2 * truth["mention_share_after"]
    assert truth["nps_mentioners_before"] < truth["nps_non_mentioners_before"]


def test_switchboard_number_is_shared_by_many_devices(demo: DemoResult, frames) -> None:
    truth = demo.truth["switchboard"]
    hotline = frames["hotline"]
    calls = hotline[hotline["主叫号码"] == truth["number"]]
    assert len(calls) == truth["calls"]
    assert calls["设备SN"].nunique() == truth["distinct_customers"] >= 20


def test_scores_mostly_agree_with_text_tone(demo: DemoResult, frames) -> None:
    reviews = frames["jd_reviews"]
    rating = pd.to_numeric(reviews["评分"], errors="coerce")
    complaint = reviews["评价内容"].str.contains("差评|失望|不会再买|太慢|没到|拉胯|掉线|断连")
    assert rating[complaint].mean() < rating[~complaint].mean() - 1.0
    assert np.isclose(rating.between(1, 5).mean(), 1, atol=0.03)


def test_too_few_records_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="at least"):
        generate_demo(tmp_path, records=10, seed=1)


def test_bad_scores_are_outside_their_own_scale(demo: DemoResult, frames) -> None:
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}
    for source, prof in demo.profiles.items():
        fields = [f for f in scales if f in prof["map"]]
        if not fields:
            continue
        bad = pd.Series(False, index=frames[source].index)
        for field in fields:
            cell = frames[source][prof["map"][field]]
            value = pd.to_numeric(cell, errors="coerce")
            lo, hi = scales[field]
            bad |= (cell != "") & ~value.between(lo, hi)
        assert int(bad.sum()) == demo.truth["files"][source]["bad_score"] > 0, source
