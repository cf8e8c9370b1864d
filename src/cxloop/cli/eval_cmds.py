"""`cxloop eval sentiment|classify|match` (the evaluation contract) and `cxloop train ...`.

`eval_app` is the shared `cxloop eval` group: other modules attach their commands to it (e.g. `discover`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cxloop.app import Workspace
from cxloop.app import text_models_service as service
from cxloop.cli.output import FormatOpt, OutputFormat, WorkspaceOpt, cli_command, emit
from cxloop.config import find_workspace
from cxloop.text.datasets import shared_data_dir

__all__ = ["eval_app", "register", "train_app"]

eval_app = typer.Typer(help="Evaluate the text models on labelled data (CSV, TSV or JSONL).", no_args_is_help=True)
train_app = typer.Typer(help="Train text models: the shipped ones from public data, or a workspace's topics.",
                        no_args_is_help=True)

TextCol = Annotated[str, typer.Option("--text-col", help="Column with the text.")]
LabelCol = Annotated[str, typer.Option("--label-col", help="Column with the gold label.")]
LabelMap = Annotated[str | None, typer.Option("--label-map", help="Relabel gold values, e.g. 0=neg,1=pos.")]
Backend = Annotated[str, typer.Option("--backend", help="Features: tfidf, embeddings or auto.")]
TuneEpochs = Annotated[int, typer.Option(
    "--tune-epochs", min=0,
    help="Epochs of fine-tuning the encoder's top layer (embeddings backend; 0 = frozen encoder, faster).",
)]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Public data folder (default: shared/data).")]
Subsample = Annotated[int | None, typer.Option("--subsample", help="Train on a stratified sample of N rows.")]


def _metrics_rows(result: dict[str, object]) -> list[dict[str, object]]:
    return [{"metric": k, "value": v} for k, v in result.items()]


@cli_command
def eval_sentiment(
    data: Annotated[Path, typer.Option("--data", help="Labelled file: text and neg|pos or neg|neu|pos.")],
    lang: Annotated[str, typer.Option("--lang", help="zh, en or auto (detect per text).")] = "auto",
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    label_map: LabelMap = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Score the shipped sentiment model. 情感模型评测。"""
    result = service.eval_sentiment(data, service.Columns(text_col, label_col, None, label_map), lang)
    emit(result, fmt, rows=_metrics_rows(result), title="eval sentiment")


@cli_command
def eval_classify(
    train: Annotated[Path, typer.Option("--train", help="Labelled training file.")],
    test: Annotated[Path, typer.Option("--test", help="Labelled test file.")],
    oos_label: Annotated[
        str | None, typer.Option("--oos-label", help="Gold label of out-of-scope rows (taught as 'none').")
    ] = None,
    backend: Backend = "auto",
    tune_epochs: TuneEpochs = 8,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    label_map: LabelMap = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Train the topic/intent classifier on --train and score it on --test. 意图/主题分类评测。"""
    columns = service.Columns(text_col, label_col, None, label_map)
    result = service.eval_classify(train, test, columns, oos_label=oos_label, backend=backend,
                                   tune_epochs=tune_epochs)
    emit(result, fmt, rows=_metrics_rows(result), title="eval classify")


@cli_command
def eval_match(
    data: Annotated[Path, typer.Option("--data", help="Pairs: text_a, text_b, label (1 = same question).")],
    dev: Annotated[Path | None, typer.Option("--dev", help="Pairs to tune the threshold on.")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column with the first text.")] = "text_a",
    text_col_b: Annotated[str, typer.Option("--text-col-b", help="Column with the second text.")] = "text_b",
    label_col: LabelCol = "label",
    label_map: LabelMap = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Score the standard-question matcher on labelled pairs. 标准问匹配评测。"""
    columns = service.Columns(text_col, label_col, text_col_b, label_map)
    result = service.eval_match(data, columns, dev=dev)
    emit(result, fmt, rows=_metrics_rows(result), title="eval match")


def _models_out(out: Path | None) -> Path:
    from cxloop.text.sentiment import MODELS_DIR

    return out if out is not None else MODELS_DIR


@cli_command
def train_sentiment(
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the model files.")] = None,
    subsample: Subsample = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Reproduce the shipped zh/en sentiment models from the public data. 训练情感模型。"""
    result = service.train_sentiment_models(data_dir or shared_data_dir(), _models_out(out), subsample=subsample)
    emit(result, fmt, rows=result["models"], title="train sentiment")


@cli_command
def train_emotion(
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the model file.")] = None,
    subsample: Subsample = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Reproduce the shipped zh emotion model from the public data. 训练情绪模型。"""
    result = service.train_emotion_models(data_dir or shared_data_dir(), _models_out(out), subsample=subsample)
    emit(result, fmt, rows=result["models"], title="train emotion")


@cli_command
def train_matcher(
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the model file.")] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Reproduce the shipped question-pair model (ATEC, BQ, LCQMC). 训练标准问匹配模型。"""
    result = service.train_matcher_model(data_dir or shared_data_dir(), _models_out(out))
    rows = [{"key": k, "value": v} for k, v in result["models"][0].items()]
    emit(result, fmt, rows=rows, title="train matcher")


@cli_command
def train_topics(
    data: Annotated[Path, typer.Option("--data", help="Labelled texts: text and topic label.")],
    backend: Backend = "auto",
    tune_epochs: TuneEpochs = 8,
    text_col: TextCol = "text",
    label_col: LabelCol = "label",
    label_map: LabelMap = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Train the workspace's topic classifier (used by `cxloop enrich`). 训练主题分类器。"""
    columns = service.Columns(text_col, label_col, None, label_map)
    with Workspace.open(find_workspace(workspace)) as ws:
        result = service.train_topics(ws, data, columns, backend=backend, tune_epochs=tune_epochs)
    emit(result, fmt, title="train topics")


def register(app: typer.Typer) -> None:
    eval_app.command("sentiment")(eval_sentiment)
    eval_app.command("classify")(eval_classify)
    eval_app.command("match")(eval_match)
    train_app.command("sentiment")(train_sentiment)
    train_app.command("emotion")(train_emotion)
    train_app.command("matcher")(train_matcher)
    train_app.command("topics")(train_topics)
    app.add_typer(eval_app, name="eval")
    app.add_typer(train_app, name="train")
