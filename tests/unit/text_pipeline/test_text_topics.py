from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cxloop.errors import InputError
from cxloop.text.taxonomy import Taxonomy, Topic, load_default_taxonomy, read_taxonomy_file
from cxloop.text.topics import RuleTopicTagger, assign_topics, clause_spans


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_default_taxonomy()


def test_default_taxonomy_is_a_two_level_owned_tree(taxonomy: Taxonomy) -> None:
    assert 30 <= len(taxonomy) <= 60
    parents = [t for t in taxonomy.topics if t.parent_id is None]
    children = [t for t in taxonomy.topics if t.parent_id is not None]
    assert len(parents) >= 8 and len(children) >= 30
    assert all(taxonomy.get(c.parent_id).parent_id is None for c in children)  # type: ignore[union-attr]
    assert all(t.owner_department and t.name_zh and t.name_en for t in taxonomy.topics)
    assert all(t.keywords and t.examples for t in children)
    for required in ("quality.battery", "quality.screen", "quality.noise", "quality.overheating",
                     "logistics.delay", "service.wait", "service.attitude", "warranty.policy",
                     "invoice.issuing", "price.refund", "software.app", "installation.appointment"):
        assert required in taxonomy


def test_every_default_example_is_tagged_with_its_topic(taxonomy: Taxonomy) -> None:
    tagger = RuleTopicTagger(taxonomy)
    for topic in taxonomy.topics:
        for example in topic.examples:
            assert topic.topic_id in tagger.hits(example), (topic.topic_id, example)


def test_ascii_keywords_need_word_boundaries(taxonomy: Taxonomy) -> None:
    tagger = RuleTopicTagger(taxonomy)
    assert "quality.overheating" in tagger.hits("the phone gets hot when charging")
    assert "quality.overheating" not in tagger.hits("photoshop is installed")  # 'hot' inside a word
    assert "software.app" in tagger.hits("App一打开就闪退")


def test_regex_topics(taxonomy: Taxonomy) -> None:
    assert "service.wait" in RuleTopicTagger(taxonomy).hits("热线排队了 45 分钟")


def test_clause_split_at_punctuation_and_contrast_words() -> None:
    text = "屏幕很好但是电池不行。The camera is great but the battery drains"
    assert [text[a:b].strip() for a, b in clause_spans(text)] == [
        "屏幕很好", "但是电池不行", "The camera is great", "but the battery drains"]


def test_aspect_sentiment_per_topic(taxonomy: Taxonomy, models: dict[str, Any]) -> None:
    texts = ["屏幕很好，但是电池续航不行", "客服态度差", "今天天气不错"]
    sentiment = models["sentiment_model"]
    labels, scores = sentiment.predict(texts)
    out = assign_topics(texts, ["zh"] * 3, list(labels), scores, tagger=RuleTopicTagger(taxonomy),
                        sentiment_model=sentiment)
    first = {t["topic_id"]: t["sentiment"] for t in out[0].topics}
    assert first == {"quality.screen": "pos", "quality.battery": "neg"}
    assert out[0].topic_id == "quality.battery"  # two keyword hits (电池, 续航) beat one
    assert {a["span"] for a in out[0].aspects} == {"屏幕很好", "但是电池续航不行"}
    assert out[1].topic_id == "service.attitude" and out[1].topics[0]["sentiment"] == "neg"
    assert out[2].topic_id is None and out[2].topics == []


class FixedClassifier:
    version = "clf-test"

    def __init__(self, labels: list[str], confidences: list[float]) -> None:
        self.labels, self.confidences = labels, confidences

    def predict(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.labels[: len(texts)]), np.array(self.confidences[: len(texts)])


def test_classifier_topics_merge_with_rules(taxonomy: Taxonomy) -> None:
    texts = ["充电器坏了", "东西一般般", "随便说说", "手机电池不行"]
    clf = FixedClassifier(["Charging", "quality.appearance", "service.wait", "quality.battery"],
                          [0.9, 0.8, 0.3, 0.95])
    out = assign_topics(texts, ["zh"] * 4, ["neu"] * 4, np.zeros(4), tagger=RuleTopicTagger(taxonomy),
                        classifier=clf)
    assert out[0].topics[0]["method"] == "rule+classifier" and out[0].confidence == 0.9
    assert out[1].topic_id == "quality.appearance" and out[1].topics[0]["method"] == "classifier"
    assert out[2].topic_id is None  # below the confidence threshold; no rule matched either
    assert out[3].topic_id == "quality.battery" and out[3].confidence == 0.95


def test_taxonomy_files_and_validation(tmp_path: Path, taxonomy: Taxonomy) -> None:
    toml = tmp_path / "taxonomy.toml"
    toml.write_text(
        '[[topics]]\ntopic_id = "quality.smell"\nparent_id = "quality"\nname_zh = "异味"\nname_en = "Odour"\n'
        'keywords = ["异味", "smell"]\nowner_department = "Quality"\n', encoding="utf-8")
    topics = read_taxonomy_file(toml)
    merged = taxonomy.merged(topics)
    assert merged.get("quality.smell").origin == "workspace"  # type: ignore[union-attr]
    assert "quality.smell" in RuleTopicTagger(merged).hits("一股塑料异味")
    csv = tmp_path / "t.csv"
    csv.write_text("topic_id,parent_id,name_zh,name_en,keywords\nx,nope,某,Some,a|b\n", encoding="utf-8")
    with pytest.raises(InputError, match="parent 'nope'"):
        taxonomy.merged(read_taxonomy_file(csv))
    with pytest.raises(InputError, match="twice"):
        Taxonomy([Topic("a", "甲", "A"), Topic("a", "甲", "A")])
    assert taxonomy.fingerprint() != merged.fingerprint()
    assert Counter(t.origin for t in merged.topics)["workspace"] == 1
