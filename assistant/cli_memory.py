"""CLI commands over the structured memory and drafting: events, regions, glossary, draft.

Every listed row carries a [n] pointing at the numbered sources printed below the list, the
same shape as an answer's citations.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import click

from .access import Audience
from .memory.models import DateSpan, Definition, Event, Period, Region, SourceRef, Term
from .memory import query
from .memory.query import fold, grouped
from .progress import working
from .sources import SourceBook

if TYPE_CHECKING:  # the NUTS check (rapidfuzz, Eurostat's tables) loads only for `regions`
    from .memory.nuts_check import CodeCheck
    from .memory.region_groups import RegionGroup


def audience_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--as-channel/--as-user: see only what that Slack channel or user (DM) may see."""
    fn = click.option("--as-user", default=None, metavar="USER_ID",
                      help="Answer as in a DM with this Slack user (restricted documents filtered).")(fn)
    fn = click.option("--as-channel", default=None, metavar="CHANNEL_ID",
                      help="Answer as in this Slack channel (restricted documents filtered).")(fn)
    return fn


def make_audience(as_channel: str | None, as_user: str | None) -> Audience:
    if as_channel is None and as_user is None:
        return Audience.everyone()
    if as_channel is None:
        return Audience(user=as_user, is_dm=True)
    return Audience.slack(channel=as_channel, user=as_user)


def echo_sources(book: SourceBook, echo: Callable[[str], None] = click.echo) -> None:
    """The numbered sources under a listing, as under an answer."""
    citations = book.citations()
    if not citations:
        return
    echo("\nSources:")
    for c in citations:
        echo(f"  [{c.n}] {c.label()}  ({c.doc_id})")
        if c.url:
            echo(f"      {c.url}")


def parse_bound(text: str | None, *, end: bool) -> date | None:
    """--from/--to: see `assistant.memory.query.parse_bound`; a bad date is a usage error."""
    if text is None:
        return None
    try:
        return query.parse_bound(text, end=end)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _when(span: DateSpan | None) -> str:
    return span.iso() if span is not None else "(no date)"


def _print_table(rows: Iterable[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    rows = list(rows)
    widths = [min(60, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    click.echo(line.rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo("  ".join(_fit(cell, w) for cell, w in zip(row, widths)).rstrip())


def _fit(cell: str, width: int) -> str:
    return (cell[: width - 1] + "…") if len(cell) > width else cell.ljust(width)


def event_json(event: Event) -> dict[str, Any]:
    span = event.date
    return {
        "title": event.title,
        "date": None if span is None else {
            "text": span.text, "iso": span.iso(), "precision": span.precision,
            "start": span.start.isoformat() if span.start else None,
            "end": span.end.isoformat() if span.end else None,
        },
        "place": event.place, "online": event.online, "status": event.status, "notes": event.notes,
        "source": _source_json(event.source),
    }


def _source_json(ref: SourceRef) -> dict[str, Any]:
    return {"doc": ref.doc_id, "title": ref.title, "page": ref.page, "section": ref.section,
            "quote": ref.quote, "url": ref.url, "chunk": ref.chunk_id}


def _place(event: Event) -> str:
    if event.place:
        return event.place
    return "online" if event.online else ""


def print_events(events: list[Event]) -> None:
    if not events:
        click.echo("No events found in the documents for that range.")
        return
    sources = SourceBook()
    _print_table(((_when(e.date), e.title, _place(e), e.status, f"[{sources.cite_ref(e.source)}]")
                  for e in events), ("date", "event", "place", "status", "source"))
    echo_sources(sources)


def _cite_all(sources: SourceBook, refs: list[SourceRef]) -> str:
    return "".join(f"[{n}]" for n in sorted({sources.cite_ref(r) for r in refs}))


def print_regions(groups: list[RegionGroup], checks: list[CodeCheck | None] | None = None) -> None:
    """The regions table, one row per region however it is spelt (other spellings after
    "also:"); a code the NUTS check questions is marked "(check)" (or "(note)" for a NUTS 2021
    code) and explained under the table, with the official code and name."""
    if not groups:
        click.echo("No regions found in the documents.")
        return
    sources = SourceBook()
    checks = checks or [None] * len(groups)
    _print_table(((_name_cell(g), g.country or "", _code_cell(g, c), ", ".join(g.roles),
                   _cite_all(sources, g.sources)) for g, c in zip(groups, checks)),
                 ("region", "country", "NUTS", "role", "source"))
    findings = dict.fromkeys(f"  {f.severity}: {f.message}" for c in checks if c
                             for f in c.findings)
    if findings:
        from .memory.nuts_table import IN_FORCE, load_nuts_table

        click.echo(f"\nNUTS check ({IN_FORCE} in force, NUTS 2021 codes noted; "
                   f"{load_nuts_table().source}):")
        for line in findings:
            click.echo(line)
    echo_sources(sources)


def _name_cell(group: RegionGroup) -> str:
    others = group.spellings[1:]
    return group.name + (f" (also: {', '.join(others)})" if others else "")


def _code_cell(group: RegionGroup, check: CodeCheck | None) -> str:
    codes = ", ".join(group.codes)
    if check is None or not check.findings:
        return codes
    return f"{codes} ({'check' if check.flagged else 'note'})"


def region_checks(groups: list[RegionGroup]) -> list[CodeCheck | None]:
    """The NUTS check of each region: every mention's code checked (two regions of one
    document sharing a code included), findings gathered per region; without the NUTS data,
    a warning and no checks."""
    from dataclasses import replace

    from .memory.nuts_check import check_regions
    from .memory.nuts_table import NutsDataError

    mentions = [m for g in groups for m in g.mentions]
    try:
        checked = check_regions(mentions)
    except NutsDataError as exc:
        click.echo(f"warning: {exc}", err=True)
        return [None] * len(groups)
    of = {id(m): c for m, c in zip(mentions, checked)}
    out: list[CodeCheck | None] = []
    for group in groups:
        found = [of[id(m)] for m in group.mentions if of.get(id(m)) is not None]
        if not found:
            out.append(None)
            continue
        main = next((c for c in found if c.code == group.nuts), found[0])
        findings = tuple(dict.fromkeys(f for c in found for f in c.findings))
        out.append(replace(main, findings=findings))
    return out


def region_groups(regions: list[Region], role: str | None) -> list[RegionGroup]:
    """Regions merged across spellings, leading first, then by role and name; `role` keeps
    those that hold it ("mentioned": named by the documents in no other role)."""
    from .memory.region_groups import ROLE_ORDER, group_regions

    groups = group_regions(sorted(regions, key=lambda r: ROLE_ORDER.index(r.role)))
    if role:
        groups = [g for g in groups if role in g.roles]
    return sorted(groups, key=lambda g: (ROLE_ORDER.index(g.role), fold(g.name)))


def region_json(group: RegionGroup, check: CodeCheck | None) -> dict[str, Any]:
    return {"name": group.name, "spellings": group.spellings, "country": group.country,
            "nuts": group.nuts, "codes": group.codes, "role": group.role, "roles": group.roles,
            "nuts_check": check.to_json() if check else None,
            "source": _source_json(group.sources[0]),
            "sources": [_source_json(s) for s in group.sources]}


def print_terms(terms: list[Term], definitions: list[Definition] | None = None) -> None:
    definitions = definitions or []
    if not terms and not definitions:
        click.echo("No matching acronyms found in the documents.")
        return
    sources = SourceBook()
    for t, refs in grouped(terms, lambda t: (t.acronym, fold(t.expansion))):
        click.echo(f"{t.acronym} — {t.expansion} {_cite_all(sources, refs)}")
    for d, refs in grouped(definitions, lambda d: (d.term, fold(d.sentence))):
        click.echo(f"{d.term}: “{d.sentence}” {_cite_all(sources, refs)}")
    echo_sources(sources)


def check_writable(out: Path) -> None:
    """--out names a file we can create: its folder exists and is writable (a usage error
    now, not a traceback after the work is done)."""
    folder = out.absolute().parent
    if out.is_dir():
        raise click.BadParameter(f"{out} is a folder: give a file name", param_hint="--out")
    if not folder.is_dir():
        raise click.BadParameter(f"the folder {folder} does not exist: create it or write "
                                 "elsewhere", param_hint="--out")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise click.BadParameter(f"cannot write to {out} (permission denied): choose another "
                                 "place", param_hint="--out")


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def register(main: click.Group, *, assistant_factory: Callable[..., Any],
             index_option: Callable[..., Any], fail_cleanly: Callable[..., Any]) -> None:
    """Attach the memory and drafting commands to the CLI group."""

    def ready(index_dir: Path | None):
        assistant = assistant_factory(index_dir=index_dir)
        if not assistant.store.exists() and assistant.settings.corpus_dir.is_dir():
            click.echo(f"no index yet: building it from {assistant.settings.corpus_dir} "
                       "(first run only; see README, \"First run\")", err=True)
        if assistant.ensure_index() is not None:
            click.echo(f"index built from {assistant.settings.corpus_dir}", err=True)
        return assistant

    @main.command()
    @click.option("--from", "start", default=None, help="First day (2020-01-01, 2020-01, 2020, 'spring 2020').")
    @click.option("--to", "end", default=None, help="Last day, same forms as --from.")
    @click.option("--status", type=click.Choice(["past", "planned", "unknown"]), default=None,
                  help="Only events the documents report as past (held) or planned, or "
                       "'unknown': events whose document does not say whether they had taken "
                       "place when it was written (e.g. a dated mention with no reporting "
                       "period).")
    @click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
    @index_option
    @audience_options
    @fail_cleanly
    def events(start: str | None, end: str | None, status: str | None, as_json: bool,
               index_dir: Path | None, as_channel: str | None, as_user: str | None) -> None:
        """Meetings, workshops and other events found in the documents, in date order."""
        first, last = parse_bound(start, end=False), parse_bound(end, end=True)
        found = ready(index_dir).events(start=first, end=last,
                                        audience=make_audience(as_channel, as_user))
        if status:
            found = [e for e in found if e.status == status]
        if as_json:
            _dump([event_json(e) for e in found])
        else:
            print_events(found)

    @main.command()
    @click.option("--role", type=click.Choice(["leading", "participating", "partner", "mentioned"]),
                  default=None, help="Only regions in this role.")
    @click.option("--json", "as_json", is_flag=True, help="Print the regions as JSON.")
    @index_option
    @audience_options
    @fail_cleanly
    def regions(role: str | None, as_json: bool, index_dir: Path | None, as_channel: str | None,
                as_user: str | None) -> None:
        """Regions named in the documents, with country, NUTS code and role; one row per
        region however it is spelt, and codes that the official NUTS classification questions
        are marked and explained.

        Roles: leading and participating (the report form's lists and region tables), partner
        (running text that lists partner regions), mentioned (named by its official NUTS name
        and in no other role)."""
        found = ready(index_dir).memory(audience=make_audience(as_channel, as_user)).regions
        groups = region_groups(found, role)
        checks = region_checks(groups)
        if as_json:
            _dump([region_json(g, c) for g, c in zip(groups, checks)])
        else:
            print_regions(groups, checks)

    @main.command()
    @click.argument("term", required=False)
    @click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
    @index_option
    @audience_options
    @fail_cleanly
    def glossary(term: str | None, as_json: bool, index_dir: Path | None, as_channel: str | None,
                 as_user: str | None) -> None:
        """Acronyms and their expansions as the documents define them (optionally one TERM)."""
        memory = ready(index_dir).memory(audience=make_audience(as_channel, as_user))
        terms, definitions = memory.terms, memory.definitions
        if term:
            wanted = term.casefold()
            terms = [t for t in terms if t.acronym.casefold() == wanted] or [
                t for t in terms if wanted in t.expansion.casefold()]
            definitions = [d for d in definitions if d.term.casefold() == wanted]
        terms = sorted(terms, key=lambda t: (t.acronym.casefold(), t.expansion.casefold()))
        definitions = sorted(definitions, key=lambda d: d.term.casefold())
        if as_json:  # definitions follow the acronyms, with the defining sentence
            _dump([{"acronym": t.acronym, "expansion": t.expansion,
                    "source": _source_json(t.source)} for t in terms]
                  + [{"acronym": d.term, "expansion": d.expansion, "definition": d.sentence,
                      "category": d.category, "source": _source_json(d.source)}
                     for d in definitions])
        else:
            print_terms(terms, definitions)

    @main.command()
    @click.argument("section", required=False)
    @click.option("--list", "list_sections", is_flag=True, help="Name the sections and stop.")
    @click.option("--period", default=None, help="Reporting period, e.g. 2020-01..2020-06 "
                  "(default: the latest reporting period found in the documents).")
    @click.option("--format", "fmt", type=click.Choice(["md", "docx", "json"]), default="md",
                  show_default=True)
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Write to FILE (required for docx unless stdout is redirected).")
    @click.option("--review/--clean", default=True, show_default=True,
                  help="docx: put each cited passage and each note for the coordinator in a "
                       "Word comment (--clean: no comments, the copy to hand in).")
    @click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  default=None, help="docx: fill this Word file (its styles, header and footer; "
                  "the report replaces a paragraph reading {{report}}).")
    @index_option
    @audience_options
    @fail_cleanly
    def draft(section: str | None, list_sections: bool, period: str | None, fmt: str,
              out: Path | None, review: bool, template: Path | None, index_dir: Path | None,
              as_channel: str | None, as_user: str | None) -> None:
        """Draft a section of the six-monthly partnership monitoring report, every line cited.

        Notes for the coordinator (the period chosen, text carried over from the last report,
        events to confirm) go to stderr, and into Word comments in a --review docx; never into
        the report's text."""
        from docx.opc.exceptions import PackageNotFoundError

        from .drafting import SECTIONS, coordinator_notes, render_docx, render_markdown

        if list_sections or not section:
            width = max(len(n) for n in SECTIONS)
            for name, spec in SECTIONS.items():
                click.echo(f"{name.ljust(width)}  {spec.description}")
            return
        try:
            chosen = Period.parse(period) if period else None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
        if template is not None and fmt != "docx":
            raise click.UsageError("--template fills a Word file: use it with --format docx")
        if out is not None:  # before the drafting, which takes a while
            check_writable(out)
        assistant = ready(index_dir)
        with working(f"drafting {section}", quiet=fmt == "json"):
            result = assistant.draft(section, period=chosen,
                                     audience=make_audience(as_channel, as_user))
        for note in coordinator_notes(result):
            click.echo(f"note: {note}", err=True)
        if fmt == "docx":
            if template is not None and template.suffix.lower() != ".docx":
                raise click.BadParameter("the template must be a .docx file",
                                         param_hint="--template")
            try:
                data = render_docx(result, review=review, template=template)
            except (KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
                raise click.BadParameter(f"{template} is not a Word document python-docx can "
                                         f"open ({exc.__class__.__name__})",
                                         param_hint="--template") from None
            if out is None and sys.stdout.isatty():
                raise click.UsageError("--format docx writes binary: give --out FILE")
            if out is not None:
                out.write_bytes(data)
                click.echo(f"wrote {out}", err=True)
            else:
                sys.stdout.buffer.write(data)
            return
        text = (json.dumps(result.to_json(), ensure_ascii=False, indent=2) if fmt == "json"
                else render_markdown(result, notes=False))
        if out is not None:
            out.write_text(text + "\n", encoding="utf-8")
            click.echo(f"wrote {out}", err=True)
        else:
            click.echo(text)
