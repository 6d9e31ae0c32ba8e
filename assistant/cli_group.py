"""The `remix-assistant` command group's manners, in one place for every command (those of
cli.py, cli_memory.py, cli_admin.py and the Slack ones alike):

* an error is one line on stderr and a non-zero exit, never a traceback: our own errors say
  what to do; a file that cannot be read or written names the file and the reason; anything
  unexpected is named as a bug, with `ASSISTANT_TRACEBACK=1` to see where it happened;
* the command list shows each command's whole first sentence, wrapped, never cut with "...";
* every `--help` ends with an example (`EXAMPLES`), so a newcomer can copy one and start.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

import click
from pydantic import ValidationError

from .errors import AssistantError

PROG = "remix-assistant"

# One or two lines a newcomer can paste; keyed by the command path below the group.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("remix-assistant ask \"Which regions lead the Mining industry partnership?\"",
         "remix-assistant doctor          # is everything in place?"),
    "ingest": ("remix-assistant ingest                 # the corpus dir (ASSISTANT_CORPUS_DIR)",
               "remix-assistant ingest ~/Documents/remix --strict"),
    "watch": ("remix-assistant watch                  # index what changes in the corpus dir",
              "ASSISTANT_WATCH_CORPUS=1 remix-assistant slack   # the bot does it too"),
    "ask": ("remix-assistant ask \"When did Phase 1 of REMIX end?\"",
            "remix-assistant ask --continue \"and how many regions took part?\"",
            "remix-assistant ask --batch questions.txt --json > answers.jsonl"),
    "eval": ("remix-assistant eval tests/data/samples/qa.jsonl --corpus tests/data/samples",),
    "calibrate": ("remix-assistant calibrate tests/data/dev/qa.jsonl tests/data/samples/qa.jsonl",),
    "bench": ("remix-assistant bench --corpus tests/data/dev --qa tests/data/dev/qa.jsonl",),
    "events": ("remix-assistant events --from 2020-01 --to 2020-06",
               "remix-assistant events --status planned --json"),
    "regions": ("remix-assistant regions --role leading",
                "remix-assistant regions --json"),
    "glossary": ("remix-assistant glossary CoMMER",),
    "draft": ("remix-assistant draft --list",
              "remix-assistant draft past-events --period 2020-01..2020-06",
              "remix-assistant draft report --format docx --out report.docx"),
    "slack": ("SLACK_BOT_TOKEN=xoxb-... SLACK_APP_TOKEN=xapp-... remix-assistant slack",),
    "feedback": ("remix-assistant feedback export --out feedback.jsonl",),
    "feedback export": ("remix-assistant feedback export --out feedback.jsonl",),
    "sources": ("remix-assistant sources", "remix-assistant sources --as-channel C0123ABCD --json"),
    "status": ("remix-assistant status", "remix-assistant status --json"),
    "remove": ("remix-assistant remove corpus/old-minutes.pdf",),
    "doctor": ("remix-assistant doctor", "remix-assistant doctor --offline   # no Slack/LLM calls"),
}


def one_line(exc: BaseException) -> str:
    """The one line a user sees for an error raised by a command."""
    if isinstance(exc, AssistantError):
        return f"error: {exc}"
    if isinstance(exc, ValidationError):
        from .config import Settings, env_name

        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        if where in Settings.model_fields:
            where = env_name(where)
        return f"error: invalid setting {where}: {first.get('msg')}"
    if isinstance(exc, OSError):
        return f"error: {_os_error(exc)}"
    return (f"error: unexpected {type(exc).__name__}: {exc} — this is a bug; please report it "
            "(run again with ASSISTANT_TRACEBACK=1 to see where it happened)")


def _os_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else "a file"
    reason = exc.strerror or str(exc)
    advice = {
        errno.ENOENT: "check the path (a folder that does not exist is not created)",
        errno.EACCES: "check its permissions, or choose another place",
        errno.EROFS: "the file system is read-only: choose another place",
        errno.ENOSPC: "free some disk space",
        errno.EISDIR: "give a file name, not a folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
    }.get(exc.errno or 0, "check the path")
    return f"{where}: {reason}: {advice}"


class AssistantGroup(click.Group):
    """A click group that turns every error into one line and gives every command an example."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("ASSISTANT_TRACEBACK", "").strip() not in ("", "0"):
                raise
            click.echo(one_line(exc), err=True)
            sys.exit(1)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's whole first sentence, wrapped by the formatter instead of cut."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def add_examples(command: click.Command, path: str = "") -> None:
    """Give a command (and a subgroup's commands) its example epilog, whoever defined it; an
    epilog the command already has is kept."""
    lines = EXAMPLES.get(path)
    if lines and not command.epilog:
        title = "Examples:" if len(lines) > 1 else "Example:"
        command.epilog = "\b\n" + title + "\n" + "\n".join(f"  {line}" for line in lines)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_examples(sub, f"{path} {name}".strip())
