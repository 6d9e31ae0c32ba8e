"""Click commands attached to the main CLI: ``slack`` (run the bot) and ``feedback export``.

Heavy imports (the retrieval service, bolt) happen inside the commands so ``--help`` stays fast,
and every ``AssistantError`` becomes click's one-line ``Error: …`` with a non-zero exit.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from assistant.errors import AssistantError


def _settings_error(e: ValidationError) -> str:
    first = e.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
    return f"Invalid setting {where}: {first.get('msg', 'invalid value')}."


@click.command("slack")
@click.option("--http", "http_mode", is_flag=True,
              help="Serve the Events API over HTTP instead of Socket Mode.")
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP mode: bind address.")
@click.option("--port", default=3000, show_default=True, type=int, help="HTTP mode: port.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None,
              help="Index directory (default: settings.index_dir).")
def slack_command(http_mode: bool, host: str, port: int, index_dir: Path | None) -> None:
    """Run the Slack bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)."""
    from assistant.config import load_settings
    from assistant.slack import runner

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for chatty in ("faiss", "faiss.loader", "bm25s"):  # library start-up noise, not bot events
            logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        settings = load_settings(index_dir=index_dir)
        launch = runner.resolve_launch(settings, http=http_mode)  # fail fast, before the index

        from assistant.feedback import FeedbackStore
        from assistant.service import Assistant
        from assistant.slack.app import build_app

        service = Assistant.from_settings(settings)
        if service.ensure_index() is not None:  # first start: build from the corpus dir
            click.echo("index built from the corpus", err=True)
        app = build_app(service=service, settings=settings, feedback=FeedbackStore.open(settings.data_dir),
                        answer_concurrency=settings.slack_answer_concurrency)
        if settings.watch_corpus:  # files dropped into the corpus dir are indexed as they come
            from assistant.watching import CorpusWatcher

            CorpusWatcher(service=service, settle=settings.watch_settle_seconds,
                          full_walk=settings.watch_full_walk_seconds,
                          log=logging.getLogger("assistant.watch").info).start()
        runner.serve(app, launch, host=host, port=port)
    except AssistantError as e:
        raise click.ClickException(str(e)) from None
    except ValidationError as e:
        raise click.ClickException(_settings_error(e)) from None
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)


@click.group("feedback")
def feedback_group() -> None:
    """Feedback collected from Slack (👍 / 👎 on answers)."""


@feedback_group.command("export")
@click.option("--out", default="-", show_default=True,
              help="JSONL file to write, or - for stdout.")
@click.option("--include-restricted", is_flag=True,
              help="Also export answers that cite restricted documents (or documents no longer "
                   "in the index). Every line says its visibility either way.")
def export_command(out: str, include_restricted: bool) -> None:
    """Export feedback as QA evaluation lines (fill in "must" by hand)."""
    from assistant.config import load_settings
    from assistant.feedback import FILENAME, FeedbackStore, doc_visibility
    from assistant.service import Assistant

    try:
        settings = load_settings()
        if not (Path(settings.data_dir) / FILENAME).exists():
            click.echo(f"No feedback recorded yet in {settings.data_dir}.", err=True)
            return
        store = FeedbackStore.open(settings.data_dir)
        try:
            visibility = doc_visibility(Assistant(settings=settings).reader().files().values())
        except AssistantError as e:  # no index: no document's visibility is known
            click.echo(f"Cannot read document visibility ({e}); answers citing documents count "
                       "as restricted.", err=True)
            visibility = {}
        n = store.export_qa_jsonl(sys.stdout if out == "-" else Path(out), visibility=visibility,
                                  include_restricted=include_restricted)
        withheld = len(store.rows()) - n
    except AssistantError as e:
        raise click.ClickException(str(e)) from None
    except ValidationError as e:
        raise click.ClickException(_settings_error(e)) from None
    click.echo(f"Exported {n} feedback line(s){'' if out == '-' else f' to {out}'}"
               + (f"; left out {withheld} citing restricted or unknown documents "
                  "(--include-restricted to add them)" if withheld else "") + ".", err=True)
