"""`cxloop topics suggest --llm` against a real OpenAI-compatible HTTP server started by the test.

The server (FastAPI under uvicorn on a free loopback port) speaks `POST /v1/chat/completions` as OpenAI
does, records every request, and answers from the keywords it was sent — so the names prove the prompt
carried the candidate's keywords. The real `openai` client talks to it over HTTP.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("openai")
uvicorn = pytest.importorskip("uvicorn")

from fastapi import FastAPI, Request  # noqa: E402

from cxloop.text.naming import NamingError, naming_messages, parse_naming  # noqa: E402

_spec = importlib.util.spec_from_file_location("enrich_cli", Path(__file__).with_name("test_enrich_cli.py"))
assert _spec and _spec.loader
enrich_cli = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(enrich_cli)
standin_models = enrich_cli.standin_models  # the fixture, re-exported for this module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chat_app(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> dict[str, Any]:
        body = await request.json()
        seen.append({"body": body, "auth": request.headers.get("authorization")})
        user = body["messages"][-1]["content"]
        keywords = user.split("\n")[0].removeprefix("Keywords: ").split(", ")
        if "表带" in keywords:
            content = ("```json\n" + json.dumps({"name_zh": "表带扣断裂", "name_en": "Strap buckle breaks",
                                                 "summary": f"Customers report {keywords[0]}."},
                                                ensure_ascii=False) + "\n```")
        else:
            content = "I cannot name this."  # not JSON: a note, not an error
        return {"id": "c1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    return app


@pytest.fixture(scope="module")
def llm_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(_chat_app(seen), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test LLM server did not start"
    yield f"http://127.0.0.1:{port}/v1", seen
    server.should_exit = True
    thread.join(timeout=10)


def _configure(workspace: Path, base_url: str) -> None:
    with (workspace / "cxloop.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[text.llm]\nbase_url = "{base_url}"\nmodel = "test-model"\napi_key_env = "CX_TEST_KEY"\n'
                 "timeout_s = 5\n")


def _planted(cli: Callable[..., Any], workspace: Path) -> None:
    fillers = ["", "今天", "刚买一周", "又一次", "第二块表", "昨天", "真是", "没想到"]
    novel = [enrich_cli.NOVEL[i % 4].format(fillers[i % 8]) for i in range(48)]
    enrich_cli._insert(workspace, [*(enrich_cli.BASE * 8), *novel])
    assert cli("enrich", "--workspace", workspace, "--format", "json").code == 0


def test_suggest_llm_names_candidates_and_accept_uses_them(
    cli: Callable[..., Any], workspace: Path, standin_models: None, llm_server: tuple[str, list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base_url, seen = llm_server
    seen.clear()
    monkeypatch.setenv("CX_TEST_KEY", "sk-test-123")
    _planted(cli, workspace)
    _configure(workspace, base_url)
    out = cli("topics", "suggest", "--llm", "--workspace", workspace, "--format", "json")
    assert out.code == 0, out.stderr
    data = out.json()
    strap = [c for c in data["candidates"] if "表带" in c["keywords"]]
    others = [c for c in data["candidates"] if "表带" not in c["keywords"]]
    assert strap and all(c["name_en"] == "Strap buckle breaks" and c["name_zh"] == "表带扣断裂" for c in strap)
    assert all(c["summary"].startswith("Customers report ") for c in strap)
    assert all(c["name_en"] is None for c in others)
    assert len([n for n in data["notes"] if "not a name" in n]) == len(others)
    assert len(seen) == len(data["candidates"])  # one request per candidate
    assert all(r["auth"] == "Bearer sk-test-123" and r["body"]["model"] == "test-model" for r in seen)
    sent = json.dumps([r["body"] for r in seen], ensure_ascii=False)
    assert "13812345678" not in sent  # only redacted texts leave the machine

    accepted = cli("topics", "accept", strap[0]["cluster_id"], "--parent", "quality", "--workspace", workspace,
                   "--format", "json")
    assert accepted.code == 0, accepted.stderr
    assert accepted.json()["name_en"] == "Strap buckle breaks" and accepted.json()["name_zh"] == "表带扣断裂"
    unnamed = [c for c in others]
    if unnamed:
        refused = cli("topics", "accept", unnamed[0]["cluster_id"], "--workspace", workspace, "--format", "json")
        assert refused.code == 2 and "--name-zh" in json.loads(refused.stderr)["error"]["message"]


def test_unreachable_endpoint_keeps_candidates_unnamed(
    cli: Callable[..., Any], workspace: Path, standin_models: None
) -> None:
    _planted(cli, workspace)
    _configure(workspace, f"http://127.0.0.1:{_free_port()}/v1")  # nothing listens there
    out = cli("topics", "suggest", "--llm", "--workspace", workspace, "--format", "json")
    assert out.code == 0, out.stderr
    data = out.json()
    assert data["candidates"] and all(c["name_en"] is None for c in data["candidates"])
    assert any("failed" in n and "left unnamed" in n for n in data["notes"])


def test_llm_without_configuration_is_a_config_error(
    cli: Callable[..., Any], workspace: Path, standin_models: None
) -> None:
    _planted(cli, workspace)
    out = cli("topics", "suggest", "--llm", "--workspace", workspace, "--format", "json")
    assert out.code != 0 and out.stdout == ""
    assert "[text.llm]" in json.loads(out.stderr)["error"]["message"]


def test_naming_prompt_and_reply_parsing() -> None:
    messages = naming_messages(["绿锈", "触点"], ["耳机触点发绿 [PHONE]"] * 20, max_examples=3)
    assert messages[0]["role"] == "system" and messages[1]["content"].count("\n- ") == 3
    assert "绿锈, 触点" in messages[1]["content"]
    name = parse_naming('Sure! {"name_zh": " 触点绿锈 ", "name_en": "Contacts corrode", "summary": "x"} done')
    assert (name.name_zh, name.name_en, name.summary) == ("触点绿锈", "Contacts corrode", "x")
    for bad in (None, "no json here", '{"name_zh": ""}', '{"name_zh": "a", "name_en": ""}', "{not json}"):
        with pytest.raises(NamingError):
            parse_naming(bad)
