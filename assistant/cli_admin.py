"""Commands for the person who runs the bot: what it knows (`sources`), how it is set up
(`status`), taking a document out (`remove`) and checking the installation (`doctor`).

A thin edge: the facts come from the service (`Assistant.sources`, `.remove`, `.store`) and the
checks from `doctor.py`; this module only prints them, as a table or `--json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click

from .access import Visibility
from .cli_memory import audience_options, make_audience


def visibility_label(visibility: Visibility) -> str:
    """'public', or 'restricted: C0123, U0456' (the channels and users who may see it)."""
    if not visibility.restricted:
        return "public"
    who = sorted(visibility.channels) + sorted(visibility.users)
    return "restricted: " + (", ".join(who) if who else "nobody")


def _short_path(path: str) -> str:
    """A path relative to the current folder when it is inside it (shorter to read)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def register(main: click.Group, *, assistant_factory: Callable[..., Any],
             index_option: Callable[..., Any], fail_cleanly: Callable[..., Any]) -> None:
    """Attach sources, status, remove and doctor to the CLI group."""

    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON.")
    @index_option
    @audience_options
    @fail_cleanly
    def sources(as_json: bool, index_dir: Path | None, as_channel: str | None,
                as_user: str | None) -> None:
        """The documents in the index: title, file, chunks, who may see them, file date."""
        overview = assistant_factory(index_dir=index_dir).sources(
            audience=make_audience(as_channel, as_user))
        if as_json:
            _dump({"built": overview.built.isoformat() if overview.built else None,
                   "embedder": overview.embedder, "chunks": overview.chunks,
                   "documents": [{"doc": d.doc_id, "title": d.title, "files": list(d.files),
                                  "chunks": d.chunks, "url": d.url,
                                  "visibility": d.visibility.to_json(),
                                  "modified": d.modified.isoformat() if d.modified else None,
                                  "added": d.added.isoformat() if d.added else None}
                                 for d in overview.documents]})
            return
        if not overview.documents:
            click.echo("The index holds no documents (for this audience).")
            return
        rows = [(d.title, d.doc_id, str(d.chunks), visibility_label(d.visibility),
                 d.added.strftime("%Y-%m-%d %H:%M") if d.added else "",
                 d.modified.strftime("%Y-%m-%d %H:%M") if d.modified else "")
                for d in overview.documents]
        _table(rows, ("title", "document", "chunks", "visibility", "added", "file date"))
        built = overview.built.strftime("%Y-%m-%d %H:%M") if overview.built else "unknown"
        click.echo(f"\n{len(overview.documents)} documents, {overview.chunks} chunks; index "
                   f"built {built} with {overview.embedder}.")

    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
    @index_option
    @fail_cleanly
    def status(as_json: bool, index_dir: Path | None) -> None:
        """The index (version, embedder, counts, last ingest) and the settings that matter;
        secrets are only said to be set or not."""
        from .doctor import index_status, settings_status

        assistant = assistant_factory(index_dir=index_dir)
        index = index_status(assistant)
        settings = settings_status(assistant.settings)
        if as_json:
            _dump({"index": index, "settings": settings})
            return
        click.echo("Index")
        for key, value in index.items():
            click.echo(f"  {key.replace('_', ' ')}: {_shown(value)}")
        click.echo("Settings (environment variable: value)")
        for name, entry in settings.items():
            origin = "" if entry["set"] else "  (default)"
            click.echo(f"  {name}: {_shown(entry['value'])}{origin}")

    @main.command()
    @click.argument("path")
    @index_option
    @fail_cleanly
    def remove(path: str, index_dir: Path | None) -> None:
        """Take a document out of the index: PATH is a file, a folder (every document under
        it) or a document id as `sources` lists it. The file itself is not deleted."""
        assistant = assistant_factory(index_dir=index_dir)
        removed = assistant.remove(path)
        names = ", ".join(_short_path(f.file_key) for f in removed.files)
        click.echo(f"removed {len(removed.files)} document(s) ({removed.chunks} chunks): {names}")
        corpus = assistant.settings.corpus_dir.resolve()
        still = [f.file_key for f in removed.files
                 if Path(f.file_key).exists() and Path(f.file_key).is_relative_to(corpus)]
        if still:
            click.echo(f"note: {len(still)} of them still exist in the corpus dir {corpus}; the "
                       "next `remix-assistant ingest` adds them back unless you delete or move "
                       "them", err=True)

    @main.command()
    @click.option("--offline", is_flag=True,
                  help="Skip the checks that call Slack or the LLM endpoint.")
    @click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
    @index_option
    @fail_cleanly
    def doctor(offline: bool, as_json: bool, index_dir: Path | None) -> None:
        """Check the installation: Python, the embedder loading offline, the index, the access
        file, the Slack tokens (and Slack's auth.test) and the LLM endpoint; one line each, with
        what to do. Exit status 1 if any check fails."""
        from .doctor import run_checks

        assistant = assistant_factory(index_dir=index_dir)
        failed = False
        results = []
        for check in run_checks(assistant, offline=offline):
            failed |= check.status == "FAIL"
            if as_json:
                results.append(check.to_json())
            else:
                click.echo(check.line())
        if as_json:
            _dump(results)
        if failed:
            raise SystemExit(1)


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    widths = [min(50, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [(c[: w - 1] + "…") if len(c) > w else c.ljust(w) for c, w in zip(row, widths)]
        click.echo("  ".join(cells).rstrip())
