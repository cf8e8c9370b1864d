"""`cxloop enrich`, `cxloop topics ...`, `cxloop faq ...` and `cxloop eval discover`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cxloop.app import Workspace
from cxloop.app import text_catalog_service as catalog
from cxloop.app.lake_service import enrich_any
from cxloop.cli.output import EngineOpt, FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace

BackendOpt = Annotated[
    str, typer.Option("--backend", help="Features: tfidf, embeddings (needs cxloop[embeddings]) or auto.")
]

topics_app = typer.Typer(help="The topic taxonomy and discovered topic candidates. 话题体系与新话题发现。",
                         no_args_is_help=True)
faq_app = typer.Typer(help="Standard questions (FAQ) and matching. 标准问题库与匹配。", no_args_is_help=True)


@cli_command
def enrich(
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes (default: one per core; "
                                             "a run of one batch stays in this process).")] = None,
    backend: BackendOpt = "auto",
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Records per batch.")] = None,
    engine: EngineOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Enrich new and changed records: PII, language, sentiment, emotion, topics, FAQ. 文本理解。"""
    with Workspace.open(find_workspace(workspace)) as ws, Progress(
        TextColumn("enrich"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("enrich", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        data = enrich_any(ws, engine=engine, jobs=jobs, backend=backend, batch_size=batch_size, progress=progress)
    rows = [{"key": k, "value": v} for k, v in data.items() if k != "stage_seconds"]
    rows += [{"key": f"seconds:{k}", "value": v} for k, v in data.get("stage_seconds", {}).items()]
    emit(data, fmt, rows=rows, title="cxloop enrich")


@topics_app.command("list")
@cli_command
def topics_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The taxonomy: id, parent, names, owner, keywords and records per primary topic."""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = catalog.list_topics(ws)
    rows = [{k: t[k] for k in ("topic_id", "parent_id", "name_zh", "name_en", "owner_department", "origin",
                                "records")} | {"keywords": ", ".join(t["keywords"][:6])} for t in data]
    emit(data, fmt, rows=rows, title="topics")


@topics_app.command("import")
@cli_command
def topics_import(
    file: Annotated[Path, typer.Argument(help="Taxonomy file: .toml ([[topics]]), .json or .csv.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add or replace taxonomy topics from a file."""
    with Workspace.open(find_workspace(workspace)) as ws:
        emit(catalog.import_topics(ws, file), fmt)


@topics_app.command("suggest")
@cli_command
def topics_suggest(
    k: Annotated[int | None, typer.Option("--k", help="Number of clusters (default: chosen by silhouette).")]
    = None,
    min_size: Annotated[int | None, typer.Option("--min-size", help="Smallest cluster proposed.")] = None,
    max_df: Annotated[float, typer.Option("--max-df", help="Drop words in more than this share of the "
                                          "texts (0 or 1: keep all, cluster character n-grams).")] = 0.01,
    backend: BackendOpt = "tfidf",
    llm: Annotated[bool, typer.Option("--llm", help="Name and summarise the candidates with the LLM endpoint "
                                      "of [text.llm] in cxloop.toml (extra cxloop[llm]).")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Cluster texts no topic covers into candidate topics (c-TF-IDF keywords, examples). 新话题发现。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = catalog.suggest_topics(ws, backend=backend, k=k, min_cluster_size=min_size,
                                      max_df=max_df if 0 < max_df < 1 else None, llm=llm)
    rows = [{"cluster_id": c["cluster_id"], "size": c["size"], "label": c["label"],
             **({"name_en": c["name_en"], "name_zh": c["name_zh"]} if llm else {}),
             "keywords": ", ".join(c["keywords"]), "example": (c["examples"] or [""])[0][:60]}
            for c in data["candidates"]]
    emit(data, fmt, rows=rows, title=f"topic candidates ({data['uncovered']} uncovered texts)")
    for note in data.get("notes", []):
        if fmt is not OutputFormat.json:
            sys.stderr.write(f"note: {note}\n")


@topics_app.command("accept")
@cli_command
def topics_accept(
    cluster_id: Annotated[str, typer.Argument(help="A cluster id from 'cxloop topics suggest'.")],
    name_zh: Annotated[str | None, typer.Option("--name-zh", help="Chinese name (default: the LLM's).")] = None,
    name_en: Annotated[str | None, typer.Option("--name-en", help="English name (default: the LLM's).")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner department.")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent topic id.")] = None,
    topic_id: Annotated[str | None, typer.Option("--topic-id", help="Id of the new topic.")] = None,
    keyword: Annotated[list[str] | None, typer.Option("--keyword", help="Keyword (repeat); default: the "
                                                      "cluster's top c-TF-IDF terms.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Turn a candidate into a taxonomy topic; the next enrich tags it. 采纳新话题。"""
    with Workspace.open(find_workspace(workspace)) as ws:
        data = catalog.accept_topic(ws, cluster_id, name_zh=name_zh, name_en=name_en, owner=owner,
                                    parent_id=parent, topic_id=topic_id, keywords=keyword)
    emit(data, fmt)


@faq_app.command("import")
@cli_command
def faq_import(
    file: Annotated[Path, typer.Argument(help="CSV/TSV/JSONL: faq_id, question, variants, answer, product.")],
    replace: Annotated[bool, typer.Option("--replace", help="Drop the current FAQ first.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Import standard questions."""
    with Workspace.open(find_workspace(workspace)) as ws:
        emit(catalog.import_faq(ws, file, replace=replace), fmt)


@faq_app.command("list")
@cli_command
def faq_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The standard questions."""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = catalog.list_faq(ws)
    rows = [{**r, "variants": len(r["variants"] or [])} for r in data]
    emit(data, fmt, rows=rows, title="FAQ")


@faq_app.command("match")
@cli_command
def faq_match(
    text: Annotated[list[str], typer.Argument(help="Text(s) to match.")],
    k: Annotated[int, typer.Option("--k", help="Candidates per text.")] = 3,
    backend: BackendOpt = "auto",
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Top-k standard questions for texts, with the calibrated no-match. 标准问匹配。"""
    with Workspace.open(find_workspace(workspace), read_only=True) as ws:
        data = catalog.match_faq(ws, text, k=k, backend=backend)
    rows = [{"text": r["text"], "faq_id": r["faq_id"] or "(no match)", "score": r["score"],
             "question": r["question"]} for r in data]
    emit(data, fmt, rows=rows, title="FAQ matches")


@cli_command
def eval_discover(
    data: Annotated[Path, typer.Option("--data", help="CSV/TSV/JSONL with a text and a label column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="Column with the text.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column with the gold label.")] = "label",
    label_map: Annotated[str | None, typer.Option("--label-map", help="e.g. 0=neg,1=pos")] = None,
    backend: BackendOpt = "auto",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Cluster labelled texts without their labels; NMI (95% bootstrap interval) and ARI against the gold
    labels. 无监督聚类评测（NMI/ARI）。"""
    result: dict[str, Any] = catalog.eval_discover(data, text_col=text_col, label_col=label_col,
                                                   label_map=label_map, backend=backend)
    emit(result, fmt, title="eval discover")


def _eval_group(app: typer.Typer) -> typer.Typer:
    """The shared `cxloop eval` group (cli/eval_cmds.py) or, where it is absent, one of our own."""
    try:
        from cxloop.cli.eval_cmds import eval_app
    except ImportError:
        eval_app = typer.Typer(help="Evaluate the text models on labelled data.", no_args_is_help=True)
        app.add_typer(eval_app, name="eval")
    return eval_app


def register(app: typer.Typer) -> None:
    app.command("enrich")(enrich)
    app.add_typer(topics_app, name="topics")
    app.add_typer(faq_app, name="faq")
    _eval_group(app).command("discover")(eval_discover)
