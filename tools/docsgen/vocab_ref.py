"""The default taxonomy and the event vocabulary, from the shipped data and `cxloop.model.events`."""

from __future__ import annotations


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def taxonomy_markdown() -> str:
    """One row per topic of the shipped default taxonomy, children under their parent."""
    from cxloop.text.taxonomy import load_default_taxonomy

    topics = load_default_taxonomy().topics
    out = [f"{len(topics)} topics.", "", "| topic_id | parent | 中文 | English | owner department | keywords |",
           "| --- | --- | --- | --- | --- | --- |"]
    for t in sorted(topics, key=lambda t: (t.parent_id or t.topic_id, t.parent_id is not None, t.topic_id)):
        keywords = ", ".join(t.keywords[:8]) + (" …" if len(t.keywords) > 8 else "")
        out.append(f"| `{t.topic_id}` | {f'`{t.parent_id}`' if t.parent_id else ''} | {_cell(t.name_zh)} | "
                   f"{_cell(t.name_en)} | {_cell(t.owner_department or '')} | {_cell(keywords)} |")
    return "\n".join([*out, ""])


def events_markdown() -> str:
    """The event types and outcomes the metrics read, with the journey stage each maps to by default."""
    from cxloop.journeys.config import StageMap
    from cxloop.model import events

    stages = StageMap().event_type
    groups = [("IVR", events.IVR_EVENTS), ("assisted contact", events.CONTACT_EVENTS),
              ("journey", events.JOURNEY_EVENTS)]
    out = ["| event_type | group | default journey stage |", "| --- | --- | --- |"]
    out += [f"| `{name}` | {group} | {stages.get(name, '')} |" for group, names in groups for name in sorted(names)]
    out += ["", "Outcomes (`outcome` field of records and events): "
            + ", ".join(f"`{o}`" for o in sorted(events.OUTCOMES)) + ".", "", "```text",
            (events.__doc__ or "").strip(), "```", ""]
    return "\n".join(out)
