"""Score begging in conversations: a phrase model over an agent's own lines, not a list of sentences.

Begging is asking the customer for a *particular* (top) score, or paying for one. A neutral survey
invitation ("稍后请对本次服务进行评价") is not begging; "麻烦给个五星好评" is. The model is a small slot
grammar whose slots are cue classes, so that unseen combinations match:

- REQUEST ... TOP-SCORE within 12 characters: a request cue (给/打/点/选/评/麻烦/记得/帮忙/拜托/请/求/please...)
  followed by an unambiguous top score (五星, 满分, 10分, 好评, 非常满意, five stars, 10/10...);
- VERB + WEAK-SCORE: an ambiguous score word (满意, 5分, 十分) right after a scoring verb (打/给/选/点/评), so
  "您满意吗" (a question) and "十分抱歉" (an adverb) do not match, "选满意" and "打十分" do; in English
  "rate/give (me|us) (a) 10|5";
- INDUCEMENT: a top score tied to a reward within 8 characters (好评返现, 五星送红包, 返现...好评).

Only the agent's turns are read when the text carries speaker labels (客服：/坐席：/agent:), so a customer's
own "五星好评" is never held against the agent; an unlabelled text (a call summary) is read whole.
Extra cues from `integrity.begging_request_cues` / `begging_score_cues` extend the REQUEST and TOP-SCORE
classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["AGENT_LABELS", "BeggingModel", "agent_turns"]

AGENT_LABELS = ("客服", "坐席", "客服专员", "人工客服", "agent", "staff", "advisor")
_TURN = re.compile(r"(?:^|[|\n])\s*([^|\n:：]{1,12})\s*[:：]([^|\n]*)")
_REQUEST = ["给", "打", "点", "选", "评", "留", "麻烦", "记得", "帮忙", "帮我", "拜托", "请", "求", "务必", "一定",
            "please", "pls", "plz", "kindly", "rate", "give"]
_STRONG = ["五星", "5星", "五颗星", "满分", "10分(?!钟)", "好评", "非常满意", "全五星", r"five[\s-]?stars?",
           r"5[\s-]?stars?", "full marks", r"10\s*/\s*10", "10 out of 10", "very satisfied", "highest score"]
_WEAK = ["满意", "5分(?!钟)", "五分(?!钟)", "十分"]
_VERB = "(?:打|给|选|点|评)"
_RATE_EN = r"\b(?:rate|score|give)\s+(?:(?:me|us)\s+)?(?:an?\s+)?(?:10|ten|5|five)\b"
_REWARD = r"(?:返现|返钱|红包|有礼|送礼|优惠券|返\d+元|cash\s?back|refund)"


def _alt(parts: Iterable[str]) -> str:
    return "(?:" + "|".join(parts) + ")"


@dataclass(frozen=True)
class BeggingModel:
    """The compiled grammar; `extra_request` / `extra_score` add cue words (matched literally)."""

    extra_request: tuple[str, ...] = ()
    extra_score: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        request = _alt([*_REQUEST, *map(re.escape, self.extra_request)])
        strong = _alt([*_STRONG, *map(re.escape, self.extra_score)])
        grammar = "|".join([
            f"{request}[^。！？!?|]{{0,12}}?{strong}",
            f"{_VERB}\\s*[个一]?\\s*{_alt(_WEAK)}",
            _RATE_EN,
            f"{strong}[^。！？!?|]{{0,8}}?{_REWARD}",
            f"{_REWARD}[^。！？!?|]{{0,8}}?{strong}",
        ])
        object.__setattr__(self, "_regex", re.compile(grammar, re.IGNORECASE))

    def phrases(self, text: str | None) -> list[str]:
        """The begging phrases in the agent's turns of `text` (empty when none)."""
        if not text:
            return []
        regex: re.Pattern[str] = self._regex  # type: ignore[attr-defined]
        return [m.group(0).strip() for m in regex.finditer(agent_turns(text))]

    def scan(self, texts: Sequence[str | None]) -> list[list[str]]:
        return [self.phrases(t) for t in texts]


def agent_turns(text: str) -> str:
    """The agent's lines of a labelled transcript joined by ' | ', or the whole text when unlabelled."""
    turns = _TURN.findall(text)
    if not turns:
        return text
    labels = tuple(a.lower() for a in AGENT_LABELS)
    mine = [body.strip() for label, body in turns if label.strip().lower().startswith(labels)]
    return " | ".join(mine)
