"""`remix-assistant`: ingest, ask, eval, bench, slack, feedback; events, regions, glossary and
draft (cli_memory.py). A thin edge over the service.

Every option also reads from the environment through the settings model (ASSISTANT_ prefix);
an explicit option wins.
"""

from __future__ import annotations

import functools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

import click
from pydantic import ValidationError

from .cli_memory import audience_options, make_audience
from .config import load_settings
from .errors import AssistantError
from .models import Answer


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Errors a user can act on become one line on stderr and exit status 1, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssistantError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
            click.echo(f"error: invalid setting {where}: {first.get('msg')}", err=True)
            sys.exit(1)

    return wrapper


def _assistant(**overrides: Any):
    from .service import Assistant

    return Assistant.from_settings(load_settings(**overrides))


index_option = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), default=None,
    help="Index directory [env ASSISTANT_INDEX_DIR; default ./index].",
)
embedder_option = click.option(
    "--embedder", default=None, help="Embedder: minilm, e5, or a model path [env ASSISTANT_EMBEDDER]."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="remix-assistant")
def main() -> None:
    """Cited answers from the REMIX / MIREU / S3 Mining-industry partnership documents."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@embedder_option
@click.option("--strict", is_flag=True, help="Exit with status 1 if any file failed.")
@_fail_cleanly
def ingest(paths: tuple[Path, ...], index_dir: Path | None, embedder: str | None,
           strict: bool) -> None:
    """Index documents (default: the corpus directory). Only changed files are re-read."""
    assistant = _assistant(index_dir=index_dir, embedder=embedder)
    report = assistant.ingest(list(paths) or None)
    click.echo(report.summary())
    if report.ingested == 0 or (strict and report.failed):
        sys.exit(1)


def _print_answer(answer: Answer) -> None:
    click.echo(answer.text)
    if answer.citations:
        click.echo("\nSources:" if answer.answered else "\nNearest sources:")
        for c in answer.citations:
            click.echo(f"  [{c.n}] {c.label()}  ({c.doc_id})")
            click.echo(f"      “{c.quote}”")
            if c.url:
                click.echo(f"      {c.url}")


def _batch_lines(stream: TextIO) -> Iterator[tuple[str | None, str]]:
    for n, line in enumerate(stream, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                obj = json.loads(line)
                yield str(obj.get("id", n)), str(obj["question"])
            except (json.JSONDecodeError, KeyError, AttributeError):
                raise click.UsageError(
                    f"--batch line {n}: expected {{\"id\", \"question\"}} JSON or plain text"
                ) from None
        else:
            yield str(n), line


@main.command()
@click.argument("question", required=False)
@index_option
@embedder_option
@click.option("--k", "k", type=int, default=None, help="Chunks to retrieve [env ASSISTANT_K].")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--batch", type=click.File("r"), default=None,
              help="Questions from FILE ('-' = stdin), one per line or {\"id\",\"question\"}.")
@audience_options
@_fail_cleanly
def ask(question: str | None, index_dir: Path | None, embedder: str | None, k: int | None,
        as_json: bool, batch: TextIO | None, as_channel: str | None, as_user: str | None) -> None:
    """Answer QUESTION from the documents, with numbered citations."""
    if not question and batch is None:
        raise click.UsageError("give a QUESTION or --batch FILE")
    assistant = _assistant(index_dir=index_dir, embedder=embedder, k=k)
    if assistant.ensure_index() is not None:
        click.echo(f"index built from {assistant.settings.corpus_dir}", err=True)
    audience = make_audience(as_channel, as_user)
    if batch is not None:
        for qid, q in _batch_lines(batch):
            answer = assistant.ask(q, k=k, id=qid, audience=audience)
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    answer = assistant.ask(question or "", k=k, audience=audience)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)


@main.command(name="eval")
@click.argument("qa_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False,
              path_type=Path), default=None, help="Build a fresh index of DIR and evaluate on it.")
@index_option
@embedder_option
@click.option("--json", "as_json", is_flag=True, help="Print metrics and per-question rows as JSON.")
@_fail_cleanly
def eval_cmd(qa_file: Path, corpus_dir: Path | None, index_dir: Path | None,
             embedder: str | None, as_json: bool) -> None:
    """Measure hit@k, answer accuracy, refusals and latency on a QA file."""
    from .evaluation import evaluate, load_qa

    with tempfile.TemporaryDirectory(prefix="remix-eval-") as tmp:
        if corpus_dir is not None:
            assistant = _assistant(index_dir=index_dir or Path(tmp), embedder=embedder,
                                   corpus_dir=corpus_dir)
            assistant.ingest([corpus_dir], progress=False, log=lambda line: None)
        else:
            assistant = _assistant(index_dir=index_dir, embedder=embedder)
        result = evaluate(load_qa(qa_file), lambda q, qid: assistant.ask(q, id=qid))
    if as_json:
        click.echo(json.dumps({"metrics": result.metrics, "items": result.items},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(result.table())


@main.command()
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False,
              path_type=Path), default=None, help="Corpus to measure (default: the bundled one).")
@click.option("--qa", "qa_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="QA file for the naive baseline's hit@k.")
@_fail_cleanly
def bench(corpus_dir: Path | None, qa_file: Path | None) -> None:
    """Speed and memory figures beside a naive baseline, in one run."""
    from .bench import run_bench

    settings = load_settings(corpus_dir=corpus_dir)
    run_bench(settings=settings, qa_file=qa_file, echo=click.echo)


def _attach_optional_commands() -> None:
    from . import cli_memory
    from .slack.commands import feedback_group, slack_command

    main.add_command(slack_command)
    main.add_command(feedback_group)
    cli_memory.register(main, assistant_factory=_assistant, index_option=index_option,
                        fail_cleanly=_fail_cleanly)


_attach_optional_commands()
