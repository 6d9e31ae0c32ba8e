"""Document visibility from the corpus access file and `Visibility:` header lines.

`corpus/access.toml` (TOML, read with the standard library's tomllib)::

    # Documents are public unless a rule restricts them. Paths are globs relative to the corpus.
    [[restrict]]
    paths = ["confidential/**", "*self-assessment*"]
    channels = ["C0123ABCD"]      # Slack channel ids whose members may see them
    users = ["U0456EFGH"]         # Slack user ids who may see them in a DM

A text document may also restrict itself with a header line at its top, next to `Title:` /
`Source:`:  ``Visibility: restricted channels=C0123ABCD users=U0456EFGH`` (ids may also be
listed bare: C…/G… are channels, U…/W… users, as Slack shows them, with digits). A document matched by several rules is visible
to the union of their audiences. Visibility is bookkeeping, not content: changing it never
re-embeds anything.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..access import PUBLIC, Visibility
from ..errors import ConfigError

_HEADER_LINE = re.compile(r"^\s*([A-Za-z][\w -]{0,30}?)\s*:\s*(.*?)\s*$")
_ID = re.compile(r"^[A-Z][A-Z0-9]+$")
_BARE_ID = re.compile(r"^[CGUW][A-Z0-9]*\d[A-Z0-9]*$")  # bare ids need a digit: not "NDA"


@dataclass(frozen=True, slots=True)
class Rule:
    patterns: tuple[str, ...]
    channels: frozenset[str]
    users: frozenset[str]

    def matches(self, rel_path: str) -> bool:
        return any(_glob_match(rel_path, p) for p in self.patterns)


def _glob_match(rel_path: str, pattern: str) -> bool:
    """fnmatch on the posix relative path; 'dir/**' also matches everything below dir, and a
    pattern without '/' matches the file name at any depth (like .gitignore)."""
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/**"):
        base = pattern[:-3]
        return rel_path == base or rel_path.startswith(base + "/") or fnmatch.fnmatchcase(
            rel_path, pattern)
    if "/" not in pattern:
        return fnmatch.fnmatchcase(rel_path.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(rel_path, pattern)


@dataclass(frozen=True, slots=True)
class AccessRules:
    rules: tuple[Rule, ...] = ()
    source: str | None = None  # the file they came from, for messages

    @classmethod
    def load(cls, path: Path) -> "AccessRules":
        """Rules from `path`; no file means everything is public. A malformed file is an error
        (silently treating a confidential folder as public would be worse than stopping)."""
        if not path.is_file():
            return cls()
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix it before ingesting") from None
        rules = []
        for n, entry in enumerate(data.get("restrict", []), start=1):
            paths = entry.get("paths", entry.get("path", []))
            if isinstance(paths, str):
                paths = [paths]
            if not isinstance(entry, dict) or not paths:
                raise ConfigError(f"{path}: [[restrict]] entry {n} needs `paths` (a list of globs)")
            rules.append(Rule(tuple(str(p) for p in paths), _ids(entry.get("channels")),
                              _ids(entry.get("users"))))
        return cls(tuple(rules), str(path))

    def visibility(self, rel_path: str, header: str | None = None) -> Visibility:
        """The visibility of the document at `rel_path` (posix, relative to the corpus)."""
        matched = [r for r in self.rules if r.matches(rel_path)]
        from_header = parse_visibility_header(header) if header else None
        if not matched and (from_header is None or not from_header.restricted):
            return PUBLIC
        channels = frozenset().union(*(r.channels for r in matched))
        users = frozenset().union(*(r.users for r in matched))
        if from_header is not None and from_header.restricted:
            channels |= from_header.channels
            users |= from_header.users
        return Visibility(channels, users, restricted=True)


def _ids(value: object) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    return frozenset(str(v).strip() for v in value if str(v).strip())  # type: ignore[union-attr]


def parse_visibility_header(value: str) -> Visibility:
    """'public' | 'restricted channels=C1,C2 users=U1' | 'C1 U1' -> Visibility."""
    text = value.strip()
    if not text or text.lower() in {"public", "open", "everyone"}:
        return PUBLIC
    channels: set[str] = set()
    users: set[str] = set()
    for token in re.split(r"[\s,;]+", text):
        key, _, rest = token.partition("=")
        ids = [rest] if rest else [key]
        target = {"channels": channels, "channel": channels, "users": users,
                  "user": users}.get(key.lower()) if rest else None
        for ident in ids:
            ident = ident.strip().lstrip("#@")
            if not (_ID if target is not None else _BARE_ID).match(ident):
                continue  # words like "restricted" / "confidential"
            if target is not None:
                target.add(ident)
            elif ident[0] in "CG":
                channels.add(ident)
            elif ident[0] in "UW":
                users.add(ident)
    return Visibility(frozenset(channels), frozenset(users), restricted=True)


def read_visibility_header(path: Path) -> str | None:
    """The value of a `Visibility:` line among the header lines at the top of a text file."""
    if path.suffix.lower() not in {".txt", ".md"}:
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    lines = head.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and lines[start].strip() == "---":  # markdown front matter
        start += 1
    for line in lines[start : start + 12]:
        match = _HEADER_LINE.match(line)
        if not match:
            return None
        if match.group(1).strip().lower() == "visibility":
            return match.group(2)
    return None
