from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import homogeneity_score

from cxloop.errors import InputError
from cxloop.text.discovery import DiscoveryOptions, class_tfidf, discover_topics
from cxloop.text.faq import FaqMatcher, read_faq_file
from cxloop.text.pipeline import ENRICHMENT_SCHEMA, enrich_batch
from cxloop.text.stages import PipelineSpec, build_context
from cxloop.text.taxonomy import load_default_taxonomy

GROUPS = {
    "hinge": ["折叠屏铰链{}处有咔咔声", "铰链{}松动合不上", "转轴铰链{}发出咔咔响", "折叠铰链{}坏了合不拢"],
    "sticker": ["贴纸{}起泡翘边", "背面贴纸{}掉色起泡", "贴纸起泡{}很难看", "机身贴纸{}翘起来了"],
    "smell": ["耳机盒{}有股胶水味", "胶水味{}很刺鼻", "一打开{}全是胶水味", "包装里{}胶水味熏人"],
}


def _corpus(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    texts, gold = [], []
    fillers = ["", "真的", "今天", "刚买", "第二次", "又", "现在", "昨天"]
    for name, templates in GROUPS.items():
        for i in range(60):
            texts.append(templates[i % 4].format(fillers[rng.integers(len(fillers))]))
            gold.append(name)
    return texts, gold


@pytest.mark.slow
def test_discovery_recovers_planted_groups_with_keyword_labels() -> None:
    texts, gold = _corpus(np.random.default_rng(3))
    words = ("铰链", "咔咔", "贴纸", "起泡", "胶水味", "刺鼻")
    tokenize = lambda batch: [[w for w in words if w in t] for t in batch]  # noqa: E731
    result = discover_topics(texts, tokenizer=tokenize, options=DiscoveryOptions(k_max=8, seed=1))
    assert homogeneity_score(gold, result.labels) > 0.95  # no cluster mixes two defects
    assert 3 <= result.k <= 8
    labels = " ".join(c.label for c in result.proposed)
    assert "铰链" in labels and "贴纸" in labels and "胶水味" in labels
    for cluster in result.proposed:
        assert cluster.size >= 5 and cluster.examples and cluster.cluster_id.startswith("cand-")


@pytest.mark.slow
def test_discovery_fixed_k_and_empty_input() -> None:
    texts, _ = _corpus(np.random.default_rng(0))
    assert discover_topics(texts, options=DiscoveryOptions(k=3)).k == 3
    assert discover_topics([]).clusters == []


def test_discovery_clusters_what_posts_say_not_whom_they_address() -> None:
    """Posts to support accounts carry the addressee's handle and links; clusters follow the complaint."""
    rng = np.random.default_rng(5)
    topics = {
        "late": ["flight delayed {} hours again", "my flight is late and still waiting {}", "delayed departure {}"],
        "bags": ["lost my luggage {} at the airport", "bag never arrived {} lost luggage", "baggage missing {}"],
        "refund": ["still no refund {} for the cancelled ticket", "want my money back {} refund please",
                   "refund request ignored {}"],
    }
    handles = ["@AcmeAir", "@BlueSkies", "@RedJet"]
    texts, gold, addressee = [], [], []
    for name, templates in topics.items():
        for i in range(60):
            handle = handles[int(rng.integers(3))]
            link = " https://t.co/x" + str(i) if i % 3 == 0 else ""
            texts.append(f"{handle} " + templates[i % 3].format(["", "today", "again", "seriously"][i % 4]) + link)
            gold.append(name)
            addressee.append(handle)
    result = discover_topics(texts, options=DiscoveryOptions(k_max=8, seed=0))
    assert homogeneity_score(gold, result.labels) > 0.9
    assert homogeneity_score(addressee, result.labels) < 0.2


def test_topic_terms_and_cleaning() -> None:
    from cxloop.text.discovery import clean_texts, topic_terms

    cleaned = clean_texts(["@United RT my Flight was cancelled &amp; https://t.co/abc 航班取消了"])[0]
    assert "@" not in cleaned and "http" not in cleaned and "amp" not in cleaned
    terms = topic_terms(cleaned)
    assert {"flight", "cancelled", "航班", "取消"} <= set(terms) and "rt" not in terms and "my" not in terms


def test_class_tfidf_prefers_distinctive_terms() -> None:
    docs = [[["手机", "铰链", "咔咔"], ["手机", "铰链"]], [["手机", "贴纸"], ["手机", "贴纸", "起泡"]]]
    top = class_tfidf(docs, top_n=2)
    assert top[0][0] == "铰链" and top[1][0] == "贴纸"


def test_enrich_batch_golden(models: dict[str, object]) -> None:
    ctx = build_context(PipelineSpec(taxonomy=tuple(load_default_taxonomy().rows())), **models)  # type: ignore[arg-type]
    texts = ["屏幕很好，但是电池续航不行，电话13812345678", "The battery drains fast", None, "天气不错"]
    batch = pa.record_batch({"record_id": ["a", "b", "c", "d"], "row_hash": ["1", "2", "3", "4"],
                             "text": pa.array(texts, pa.string())})
    out = enrich_batch(batch, ctx)
    assert out.schema == ENRICHMENT_SCHEMA
    rows = out.to_pylist()
    assert rows[0]["text_redacted"] == "屏幕很好,但是电池续航不行,电话[PHONE]"
    assert rows[0]["language"] == "zh" and rows[1]["language"] == "en"
    assert rows[0]["topic_id"] == "quality.battery"
    assert {t["topic_id"]: t["sentiment"] for t in json.loads(rows[0]["topics"])} == {
        "quality.battery": "neg", "quality.screen": "pos"}
    assert rows[1]["sentiment"] == "neg" and rows[1]["emotion"] == "anger"
    assert rows[1]["topic_id"] == "quality.battery"
    assert rows[2]["sentiment"] == "neu" and rows[2]["tokens"] == [] and rows[2]["topic_id"] is None
    assert rows[3]["sentiment"] == "pos" and rows[3]["topic_id"] is None
    assert "13812345678" not in json.dumps(rows, ensure_ascii=False)
    assert set(ctx.timings) == {"normalize", "pii", "language", "segment", "sentiment", "emotion", "topics"}
    assert rows[0]["model_version"] == ctx.version and "sent-lex-test" in ctx.version


class TokenMatcher:
    """A stand-in matcher: share of the text's characters found in the best question."""

    version = "tok-test"
    no_match_threshold = 0.5

    def fit(self, items: list[tuple[str, list[str]]]) -> None:
        self.items = items

    def top_k(self, texts: list[str], k: int) -> list[list[tuple[str, float]]]:
        out = []
        for text in texts:
            scored = [(fid, max(len(set(text) & set(q)) / max(len(set(text)), 1) for q in qs))
                      for fid, qs in self.items]
            out.append(sorted(scored, key=lambda x: -x[1])[:k])
        return out


def test_faq_file_and_no_match(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("faq_id,question,variants,answer,product\n"
                    "F1,怎么开发票,如何开票|发票在哪里开,在订单页申请,\n"
                    "F2,保修期多久,保修几年,一年,phone\n", encoding="utf-8")
    entries = read_faq_file(path)
    assert entries[0].variants == ("如何开票", "发票在哪里开") and entries[1].product == "phone"
    matches = FaqMatcher(entries, TokenMatcher()).match(["发票怎么开", "屏幕碎了"], k=2)
    assert matches[0].faq_id == "F1" and matches[0].score is not None and len(matches[0].candidates) == 2
    assert matches[1].faq_id is None
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"faq_id": "X"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="question is empty"):
        read_faq_file(bad)


@pytest.mark.slow
def test_rare_vocabulary_view_finds_a_small_issue_under_boilerplate() -> None:
    """Agents' boilerplate dominates character n-grams; dropping frequent words surfaces the new issue."""
    from cxloop.text.segment import Segmenter

    rng = np.random.default_rng(5)
    replies = ["您好,请提供一下订单号", "理解您的心情,马上为您处理", "亲,这边帮您查询一下", "很抱歉给您带来不便"]
    issues = [f"{p}{s}" for p in ("手机", "耳机", "电视", "手表", "平板", "路由器")
              for s in ("用着还行", "有点贵", "不太会用", "颜色好看", "想问问活动", "包装一般", "说明书看不懂")]
    defect = ["耳机仓触点发绿了", "仓里触点长了铜绿", "触点上全是绿锈", "仓内触点有绿斑", "触点发绿还发黑"]
    texts, truth = [], []
    for i in range(6000):
        is_defect = i % 200 == 0  # 0.5% of the texts
        issue = defect[i % 5] if is_defect else issues[rng.integers(len(issues))]
        texts.append(f"客户:{issue} | 客服:{replies[rng.integers(4)]} | 客户:好")
        truth.append(is_defect)
    seg = Segmenter()
    tokens = seg(texts, ["zh"] * len(texts))
    result = discover_topics(texts, tokens=tokens, options=DiscoveryOptions(max_df=0.01, seed=0))
    found = [c for c in result.proposed if "触点" in c.keywords[:3]]
    assert found, [c.label for c in result.proposed]
    members = np.flatnonzero(result.labels == result.clusters.index(found[0]))
    assert np.mean(np.asarray(truth)[members]) > 0.9 and members.size >= 20
