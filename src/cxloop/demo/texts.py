"""Writing the texts: each source's register (review, call summary, chat transcript, WeChat message...)
assembled from the topic's paraphrased phrase bank plus openers, closers, emoji and English fragments.

Per row only indices are drawn (numpy); strings are joined by object-array concatenation. Topic index
`DEFECT_TOPIC` (one past the last regular topic) selects the planted defect's wording.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cxloop.demo.noise import EMOJI, concat, expand_bank, pick
from cxloop.demo.phrases import BEGGING, DEFECT, HANDLING, TOPICS
from cxloop.demo.vocab import BRAND, PRODUCTS

__all__ = ["DEFECT_TOPIC", "TextBanks", "write_texts"]

DEFECT_TOPIC = len(TOPICS)

OPENERS = ("买了一个月了，", "给家里老人买的，", "第二次回购了，", "618入手的，", "用了一周来评价：", "说实话，",
           "收到货了，", "朋友推荐买的，", "开箱当天就发现，", "")
CLOSERS = {
    "neg": ("，差评！", "，希望改进", "，不会再买了", "。失望", "。", "！！", "，请尽快处理"),
    "neu": ("。", "，还行吧", "，谢谢", "？", "，麻烦回复一下"),
    "pos": ("，推荐购买！", "，五星好评", "。满意", "！", "，会回购的", "，赞"),
}
GREETINGS = ("在吗？", "你好，", "您好，", "客服在吗，", "hi，", "请问一下，")
REPLIES = ("您好，很抱歉给您带来不便", "亲，这边帮您查询一下", "您好，请提供一下订单号", "好的，已为您登记",
           "理解您的心情，马上为您处理", "稍等，正在为您核实", "您好，建议您先重启试一下")
FOLLOWUPS = ("好的谢谢", "还要等多久？", "行吧", "那我再等等", "ok", "能快点吗", "好")
SMS_POS = ("满意", "很好", "师傅很专业", "处理及时", "服务不错", "👍", "谢谢")
REPAIR_ACTIONS = ("已更换配件，测试正常", "已检修，故障排除", "已寄回工厂检测", "需返厂维修，已开单",
                  "清洁保养后恢复正常", "未复现故障，已告知观察", "已更换整机")

_VAL = ("neg", "neu", "pos")


class TextBanks:
    """Expanded (paraphrased, noisy) phrase banks, flattened with per-topic offsets."""

    def __init__(self, rng: np.random.Generator) -> None:
        coll = [expand_bank(t.colloquial, rng) for t in TOPICS] + [expand_bank(DEFECT["colloquial"], rng)]
        formal = [expand_bank(t.formal, rng, noisy=False) for t in TOPICS] + [
            expand_bank(DEFECT["formal"], rng, noisy=False)]
        self.coll, self.coll_start, self.coll_len = _flatten(coll)
        self.formal, self.formal_start, self.formal_len = _flatten(formal)
        self.alias, self.alias_start, self.alias_len = _flatten([list(p.aliases) for p in PRODUCTS])
        self.code = np.array([p.code for p in PRODUCTS], dtype=object)

    def core(self, rng: np.random.Generator, topic: np.ndarray, *, formal: bool = False) -> np.ndarray:
        bank, start, length = (
            (self.formal, self.formal_start, self.formal_len) if formal else
            (self.coll, self.coll_start, self.coll_len))
        idx = start[topic] + (rng.random(len(topic)) * length[topic]).astype(np.int64)
        return bank[idx]

    def product_alias(self, rng: np.random.Generator, prod: np.ndarray) -> np.ndarray:
        idx = self.alias_start[prod] + (rng.random(len(prod)) * self.alias_len[prod]).astype(np.int64)
        return self.alias[idx]


def _flatten(groups: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.array([len(g) for g in groups], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.array([s for g in groups for s in g], dtype=object), starts, lengths


def _maybe(rng: np.random.Generator, n: int, share: float, values: np.ndarray) -> np.ndarray:
    return np.where(rng.random(n) < share, values, "")


def _choice(rng: np.random.Generator, bank: tuple[str, ...], n: int) -> np.ndarray:
    return pick(bank, rng.integers(0, len(bank), n))


def _by_valence(rng: np.random.Generator, banks: dict[str, tuple[str, ...]], tval: np.ndarray) -> np.ndarray:
    out = np.empty(len(tval), dtype=object)
    for v, name in enumerate(_VAL):
        sel = tval == v
        out[sel] = _choice(rng, banks[name], int(sel.sum()))
    return out


Rows = dict[str, np.ndarray]
Writer = Callable[[np.random.Generator, TextBanks, Rows], np.ndarray]


def _review(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    return concat(_maybe(rng, n, 0.3, _choice(rng, OPENERS, n)),
                  _maybe(rng, n, 0.35, b.product_alias(rng, r["prod"]) + "，"),
                  b.core(rng, r["topic"]), _by_valence(rng, CLOSERS, r["tval"]),
                  _maybe(rng, n, 0.3, _by_valence(rng, EMOJI, r["tval"])))


def _summary(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    return concat("【", b.code[r["prod"]], "】", b.core(rng, r["topic"], formal=True), "，",
                  _choice(rng, HANDLING, n), "。")


def _chat(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    beg = np.where(r["beg"], " " + _choice(rng, BEGGING, n), "")
    return concat("客户：", _maybe(rng, n, 0.3, _choice(rng, GREETINGS, n)), b.core(rng, r["topic"]),
                  _maybe(rng, n, 0.15, _by_valence(rng, EMOJI, r["tval"])), " | 客服：",
                  _choice(rng, REPLIES, n), beg, " | 客户：", _choice(rng, FOLLOWUPS, n))


def _message(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    return concat(_maybe(rng, n, 0.3, _choice(rng, GREETINGS, n)), b.core(rng, r["topic"]),
                  _maybe(rng, n, 0.25, _by_valence(rng, EMOJI, r["tval"])))


def _app(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    return concat(_maybe(rng, n, 0.3, "【" + b.product_alias(rng, r["prod"]) + "】"), b.core(rng, r["topic"]),
                  _maybe(rng, n, 0.15, _by_valence(rng, EMOJI, r["tval"])))


def _verbatim(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    text = concat(_maybe(rng, n, 0.2, b.product_alias(rng, r["prod"]) + "："), b.core(rng, r["topic"]))
    return np.where((r["tval"] > 0) & (rng.random(n) < 0.15) & (r["plant"] == 0), "", text)


def _sms(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    text = np.where(r["tval"] == 2, _choice(rng, SMS_POS, n), b.core(rng, r["topic"]))
    return np.where((rng.random(n) < 0.4) & (r["plant"] == 0), "", text)


def _post(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    tag = np.array([BRAND + p.code.replace(" ", "") for p in PRODUCTS], dtype=object)[r["prod"]]
    return concat(_maybe(rng, n, 0.6, np.full(n, "@星澜科技 ", dtype=object)), b.core(rng, r["topic"]),
                  " #", tag, "# ", _maybe(rng, n, 0.6, _by_valence(rng, EMOJI, r["tval"])))


def _repair(rng: np.random.Generator, b: TextBanks, r: Rows) -> np.ndarray:
    n = len(r["topic"])
    return concat(b.core(rng, r["topic"], formal=True), "；处理结果：", _choice(rng, REPAIR_ACTIONS, n))


WRITERS: dict[str, Writer] = {
    "review": _review, "summary": _summary, "chat": _chat, "message": _message, "app": _app,
    "verbatim": _verbatim, "sms": _sms, "post": _post, "repair": _repair,
}


def write_texts(rng: np.random.Generator, banks: TextBanks, style: str, rows: Rows) -> np.ndarray:
    """Texts for `rows` (columns topic, tval, prod, beg, plant) in a source's `style`."""
    return WRITERS[style](rng, banks, rows)
