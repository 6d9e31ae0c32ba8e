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

import codecs
import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Pattern, Sequence

from ..access import PUBLIC, Visibility
from ..errors import ConfigError, LoadError
from .loaders import _UTF_BOMS, _normalise_newlines, decode_bytes
from .text_structure import HeaderError, IncompleteHead, split_header

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


_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True, slots=True)
class _FolderRules:
    """The rules as they apply to the files of one folder, decided once for the folder.

    `always`: rules that match every file in it (`confidential/**` for any folder below
    `confidential`); `by_name` / `by_path`: (rule index, compiled glob) pairs still to test
    against a file's name or its relative path. When both are empty, every file of the folder
    shares one visibility per `Visibility:` header, cached in `by_header`."""

    always: tuple[int, ...]
    by_name: tuple[tuple[int, Pattern[str]], ...]
    by_path: tuple[tuple[int, Pattern[str]], ...]
    by_header: dict[str | None, Visibility] = field(default_factory=dict)


def _compiled(pattern: str) -> Pattern[str]:
    return re.compile(fnmatch.translate(pattern))  # what fnmatchcase matches, compiled once


def _folder_rules(rules: tuple[Rule, ...], folder: str) -> _FolderRules:
    """Split every pattern into 'decided by `folder`' and 'test per file', with the same
    meaning as `_glob_match` on `folder/name` (a test checks the two agree on random globs)."""
    always: list[int] = []
    by_name: list[tuple[int, Pattern[str]]] = []
    by_path: list[tuple[int, Pattern[str]]] = []
    for i, rule in enumerate(rules):
        for raw in rule.patterns:
            pattern = raw.strip().lstrip("/")
            if pattern.endswith("/**"):
                base = pattern[:-3]
                # rel.startswith(base + "/"): a file name holds no "/", so only the folder decides
                if folder == base or folder.startswith(base + "/"):
                    always.append(i)
                    break
                parent, _, leaf = base.rpartition("/")
                if parent == folder:  # rel == base: the file named like the folder's glob base
                    by_name.append((i, re.compile(re.escape(leaf) + r"\Z")))
                if _MAGIC.search(base):  # a literal base matches by the prefix test alone
                    by_path.append((i, _compiled(pattern)))
            elif "/" not in pattern:
                by_name.append((i, _compiled(pattern)))
            else:
                by_path.append((i, _compiled(pattern)))
    return _FolderRules(tuple(always), tuple(by_name), tuple(by_path))


@dataclass(frozen=True, slots=True)
class AccessRules:
    """The rules of one access file. `visibility` resolves each folder's rules once (cached),
    so an ingest that re-applies them to every file of a large corpus costs a dictionary
    look-up per file where the folder decides, and a compiled-glob test per file otherwise."""

    rules: tuple[Rule, ...] = ()
    source: str | None = None  # the file they came from, for messages
    _folders: dict[str, _FolderRules] = field(default_factory=dict, compare=False, repr=False)
    _headers: dict[str, Visibility] = field(default_factory=dict, compare=False, repr=False)

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
        folder, _, name = rel_path.rpartition("/")
        rules = self._folders.get(folder)
        if rules is None:
            rules = self._folders[folder] = _folder_rules(self.rules, folder)
        if not rules.by_name and not rules.by_path:  # the folder decides: one value per header
            found = rules.by_header.get(header)
            if found is None:
                found = rules.by_header[header] = self._combine(rules.always, header)
            return found
        matched = set(rules.always)
        matched.update(i for i, glob in rules.by_name if glob.match(name))
        matched.update(i for i, glob in rules.by_path if glob.match(rel_path))
        return self._combine(sorted(matched), header)

    def visibility_uncached(self, rel_path: str, header: str | None = None) -> Visibility:
        """`visibility` rule by rule, glob by glob: the reference the cached form must equal."""
        return self._combine([i for i, r in enumerate(self.rules) if r.matches(rel_path)], header)

    def _combine(self, matched: Sequence[int], header: str | None) -> Visibility:
        """The union of the matched rules' audiences and the header's (restricted if any)."""
        from_header = self._header(header) if header else None
        if not matched and (from_header is None or not from_header.restricted):
            return PUBLIC
        channels = frozenset().union(*(self.rules[i].channels for i in matched))
        users = frozenset().union(*(self.rules[i].users for i in matched))
        if from_header is not None and from_header.restricted:
            channels |= from_header.channels
            users |= from_header.users
        return Visibility(channels, users, restricted=True)

    def _header(self, header: str) -> Visibility:
        found = self._headers.get(header)
        if found is None:
            found = self._headers[header] = parse_visibility_header(header)
        return found


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
    for token in re.split(r"[\s,;\[\]{}\"']+", text):  # also YAML `[C1, U2]`
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


TEXT_SUFFIXES = frozenset({".txt", ".md"})  # the files whose header lines the text loader reads
_HEAD_BYTES = 64 * 1024  # enough for any real header; more is read only when it is not


def read_visibility_header(path: Path) -> str | None:
    """The `Visibility:` value of a text file's header, or None.

    Read with the text loader's own decoding and header parser (`decode_bytes`,
    `split_header`), so whatever the loader strips as metadata is what decides visibility:
    UTF-16/32 with a BOM, CR or CRLF line ends, long front matter. Raises LoadError when the
    header mentions visibility but cannot be applied (the file then fails, never goes public),
    OSError when the file cannot be read. Unchanged files are re-read on every ingest (the
    access file may have changed), so only the head of a large file is read when it suffices.
    """
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return None
    with path.open("rb") as fh:
        data = fh.read(_HEAD_BYTES)
        more = fh.read(1)
        if more:
            head = _decoded_head(data, path)
            if head is not None:
                try:
                    return _visibility_value(head, path, partial=True)
                except IncompleteHead:
                    pass
            data += more + fh.read()
    return _visibility_value(_normalise_newlines(decode_bytes(data, path)[0]), path)


def _decoded_head(data: bytes, path: Path) -> str | None:
    """The complete lines at the start of a file's first bytes, decoded like the whole file
    would be (None when that cannot be done safely: then the whole file is read)."""
    for bom, encoding in _UTF_BOMS:
        if data.startswith(bom):
            try:  # an incremental decoder keeps a character cut at the end for later
                text = codecs.getincrementaldecoder(encoding)().decode(data, final=False)
            except UnicodeDecodeError:
                return None
            return _normalise_newlines(text).rsplit("\n", 1)[0]
    cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
    if cut < 0:
        return None
    return _normalise_newlines(decode_bytes(data[: cut + 1], path)[0])


def _visibility_value(text: str, path: Path, *, partial: bool = False) -> str | None:
    try:
        meta, _ = split_header(text, partial=partial)
    except HeaderError as err:
        raise LoadError(str(path), str(err)) from None
    return meta.get("visibility")
