"""The optional LLM endpoint: name discovered topic candidates and summarise them (off by default).

Any OpenAI-compatible chat-completions server works (OpenAI, Azure OpenAI, vLLM, Ollama, LM Studio, a
company gateway): configure it in cxloop.toml and call `cxloop topics suggest --llm`:

    [text.llm]
    base_url = "http://localhost:11434/v1"   # the server's OpenAI-compatible root
    model = "qwen2.5:7b-instruct"
    api_key_env = "OPENAI_API_KEY"           # the environment variable holding the key (optional)
    timeout_s = 30

The client is the `openai` package (extra `cxloop[llm]`). Only a candidate's keywords and a few redacted
example texts leave the machine. One failing candidate is a note, not an error; an unreachable endpoint
stops the naming (the candidates stay stored, unnamed) and is reported as a note too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cxloop.app.workspace import Workspace
from cxloop.errors import ConfigError, UsageError
from cxloop.settings.text import LlmSettings
from cxloop.text.naming import CandidateName, NamingError, naming_messages, parse_naming

__all__ = ["LlmSettings", "NamedCandidate", "llm_settings", "name_candidates"]

INSTALL_HINT = "LLM naming needs the openai client: pip install 'cxloop[llm]'"


@dataclass(frozen=True)
class NamedCandidate:
    cluster_id: str
    name: CandidateName


def llm_settings(ws: Workspace) -> LlmSettings:
    """`[text.llm]` (validated with the workspace settings); absent is a `ConfigError` saying what to add."""
    if ws.settings.text.llm is None:
        raise ConfigError(
            "no LLM endpoint configured: add [text.llm] with base_url and model to cxloop.toml "
            "(see docs/text_pipeline.md)", file=str(ws.root / "cxloop.toml"), field="text.llm")
    return ws.settings.text.llm


def _openai() -> Any:
    try:
        import openai
    except ImportError as exc:
        raise UsageError(INSTALL_HINT) from exc
    return openai


def _client(openai: Any, cfg: LlmSettings) -> Any:
    key = os.environ.get(cfg.api_key_env, "") if cfg.api_key_env else ""
    # Local servers need no key, but the client insists on one: any non-empty string will do there.
    return openai.OpenAI(base_url=cfg.base_url, api_key=key or "unused", timeout=cfg.timeout_s, max_retries=1)


def name_candidates(
    ws: Workspace, candidates: Sequence[dict[str, Any]]
) -> tuple[list[NamedCandidate], list[str]]:
    """Ask the endpoint to name each candidate (`cluster_id`, `keywords`, `examples`): names and notes."""
    cfg = llm_settings(ws)
    openai = _openai()
    client = _client(openai, cfg)
    named: list[NamedCandidate] = []
    notes: list[str] = []
    for candidate in candidates:
        messages = naming_messages(candidate["keywords"], candidate["examples"], max_examples=cfg.max_examples)
        try:
            reply = client.chat.completions.create(model=cfg.model, messages=messages,
                                                   temperature=cfg.temperature)
            named.append(NamedCandidate(candidate["cluster_id"], parse_naming(reply.choices[0].message.content)))
        except NamingError as exc:
            notes.append(f"{candidate['cluster_id']}: the model's answer was not a name ({exc})")
        except (openai.APIConnectionError, openai.APITimeoutError, openai.AuthenticationError) as exc:
            notes.append(f"LLM endpoint {cfg.base_url} failed ({exc.__class__.__name__}: {exc}); "
                         f"{len(candidates) - len(named)} candidates left unnamed")
            break
        except openai.APIError as exc:
            notes.append(f"{candidate['cluster_id']}: LLM endpoint error ({exc.__class__.__name__}: {exc})")
    return named, notes
