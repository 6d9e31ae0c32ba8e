"""Region codes as the documents write them, checked against the official NUTS classification.

The memory keeps a document's code as written ("Kainuu (FI) FI1D3"): the coordinator decides
what goes in the report. This module says where that code disagrees with the classification,
with the official code and name beside it, and is careful to say only what the data shows:

* a code in neither NUTS 2024 (in force) nor NUTS 2021 -> "check", with the unit whose official
  name matches the document's name, when exactly one does (EL24 -> Sterea Elláda is EL64);
* a code whose official name is another region, where the document's name matches a unit of
  its own -> "check" (FI1D3 is Pohjois-Karjala, not Kainuu; Kainuu is FI1D8);
* one code given to two regions of one list -> "check", naming the code's official name;
* a NUTS 2021 code that NUTS 2024 changed -> a softer "note" with the new code: a report about
  2020 was written before NUTS 2024, when such a code may well have been right.

Official labels are in the national language and English reports write exonyms ("Lapland" for
Lappi, "North Karelia" for Pohjois-Karjala), so a name that matches no label is never taken as
wrong: the check then only says "official name for FI1D7: Lappi". Names are compared word by
word after folding case and accents, rapidfuzz's edit distance forgiving about one typo in five
letters ("Stereia Ellada" ~ "Sterea Elláda", "Cenrto" ~ "Centro", but "Lapland" is not "Åland").
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz.distance import OSA

from .models import Region
from .nuts import country_code
from .nuts_table import NutsTable, NutsUnit, load_nuts_table

FindingKind = Literal["not_in_nuts", "other_region", "shared_code", "superseded"]
Severity = Literal["check", "note"]

MATCH = 80.0  # a name matches a label at or above this score (0-100)
_WORD_MATCH = 80.0  # one word matches another at or above this ratio; short words must be equal
_SHORT_WORD = 3
_CONTAINED_PENALTY = 10.0  # "Asturias" in "Principado de Asturias" scores below a full match
_TIE = 5.0  # a second unit scoring this close makes the name ambiguous: no suggestion
# Letters that Unicode decomposition leaves whole but a document may write without the mark.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                                "œ": "oe", "ı": "i"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One thing for the coordinator to check about a code, in one line."""

    kind: FindingKind
    severity: Severity
    message: str
    official_code: str | None = None
    official_name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "message": self.message,
                "official_code": self.official_code, "official_name": self.official_name}


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeCheck:
    """A written code beside what the classification says it is."""

    name: str
    code: str
    unit: NutsUnit | None  # the unit the code stands for (None: in neither version)
    name_matches: bool
    in_force: str
    findings: tuple[Finding, ...] = ()

    @property
    def flagged(self) -> bool:
        """True when something needs checking (a NUTS 2021 note alone does not)."""
        return any(f.severity == "check" for f in self.findings)

    @property
    def current_code(self) -> str | None:
        """The code's unit in the version in force (FI1D3 -> FI1DC; None if it has none)."""
        if self.unit is None:
            return None
        return self.unit.code if self.unit.in_force else self.unit.successor

    def with_finding(self, finding: Finding) -> CodeCheck:
        return dataclasses.replace(self, findings=self.findings + (finding,))

    def to_json(self) -> dict[str, Any]:
        unit = self.unit
        return {"code": self.code, "flagged": self.flagged, "in_force": self.in_force,
                "official_name": unit.label if unit else None,
                "official_name_latin": unit.latin if unit else None,
                "version": unit.version if unit else None,
                "current_code": self.current_code,
                "name_matches": self.name_matches,
                "findings": [f.to_json() for f in self.findings]}


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenCode:
    """A region name and the code a document gives it; `listed_in` names the list (a
    document, a draft table) within which two regions must not share a code."""

    name: str
    code: str | None
    listed_in: str = ""


def check_regions(regions: Sequence[Region], table: NutsTable | None = None,
                  ) -> list[CodeCheck | None]:
    """One check per region (None where it has no code); shared codes within each document."""
    return check_codes([WrittenCode(name=r.name, code=r.nuts, listed_in=r.source.doc_id)
                        for r in regions], table)


def check_codes(written: Sequence[WrittenCode], table: NutsTable | None = None,
                ) -> list[CodeCheck | None]:
    table = table or load_nuts_table()
    checks = [check_code(w.name, w.code, table) if w.code and len(w.code) > 2 else None
              for w in written]
    return _with_shared_codes(written, checks)


def check_code(name: str, code: str, table: NutsTable) -> CodeCheck:
    """What the classification says of `code` given to the region called `name`."""
    code = code.strip().upper()
    unit = table.lookup(code)
    level = len(code) - 2
    said = f"{name} {code}:"
    if unit is None:
        match = best_unit(name, table, country=code[:2], level=level)
        message = f"{said} {code} is in neither {table.in_force} (in force) nor NUTS 2021"
        message += (f"; {match.display()} is {match.code}" if match
                    else f"; no {code[:2]} region's official name matches '{name}'")
        return CodeCheck(name=name, code=code, unit=None, name_matches=False,
                         in_force=table.in_force, findings=(Finding(
                             kind="not_in_nuts", severity="check", message=message + " — check.",
                             official_code=match.code if match else None,
                             official_name=match.display() if match else None),))
    matches = matches_unit(name, unit)
    check = CodeCheck(name=name, code=code, unit=unit, name_matches=matches,
                      in_force=table.in_force)
    if not matches:
        match = best_unit(name, table, country=unit.country, level=level)
        if match is not None and match.code not in (code, unit.successor):
            return check.with_finding(Finding(
                kind="other_region", severity="check",
                message=(f"{said} {code} is {unit.display()}{_era(unit)}, not {name}; "
                         f"{match.display()} is {match.code}{_level_note(match, level)} — check."),
                official_code=match.code, official_name=match.display()))
    if not unit.in_force:
        return check.with_finding(_superseded(name, unit, table, matches))
    return check


def _era(unit: NutsUnit) -> str:
    """' in NUTS 2021 (FI1DC since 2024)' for a unit the version in force changed."""
    if unit.in_force:
        return ""
    later = f"{unit.successor} since 2024" if unit.successor else "gone since 2024"
    return f" in {unit.version} ({later})"


def _level_note(unit: NutsUnit, level: int) -> str:
    return "" if unit.level == level else f" (a NUTS {unit.level} region)"


def _superseded(name: str, unit: NutsUnit, table: NutsTable, matches: bool) -> Finding:
    who = unit.display() if matches else f"official name: {unit.display()}"
    if unit.successor:
        new = table.lookup(unit.successor)
        after = f"{table.in_force} (in force since 1 January 2024) has {unit.successor}"
        if new is not None and not _same(new.label, unit.label):
            after += f" ({new.display()})"
    else:
        after = (f"it is not in {table.in_force}"
                 + (f" ({unit.change.lower()})" if unit.change else ""))
    return Finding(kind="superseded", severity="note",
                   message=f"{name} {unit.code}: {unit.code} is the {unit.version} code ({who}), "
                           f"valid 2021-2023; {after}.",
                   official_code=unit.successor, official_name=unit.display())


def _with_shared_codes(written: Sequence[WrittenCode],
                       checks: list[CodeCheck | None]) -> list[CodeCheck | None]:
    """Two regions of one list given one code: each gets a finding naming the other."""
    lists: dict[tuple[str, str], list[int]] = {}
    for i, (w, check) in enumerate(zip(written, checks)):
        if check is not None:
            lists.setdefault((w.listed_in, check.code), []).append(i)
    out = list(checks)
    for (_, code), members in lists.items():
        first = checks[members[0]]
        assert first is not None
        unit = first.unit
        regions = _distinct_regions([written[i].name for i in members], unit)
        if len(regions) < 2:
            continue
        official = (f"official name for {code}: {unit.display()}" if unit
                    else f"{code} is in neither {first.in_force} nor NUTS 2021")
        both = "both " if len(regions) == 2 else ""
        message = (f"{code} is given to {both}{_and(regions)}; {official} — check which region "
                   f"it belongs to.")
        for i in members:
            out[i] = out[i].with_finding(Finding(  # type: ignore[union-attr]
                kind="shared_code", severity="check", message=message,
                official_code=code if unit else None,
                official_name=unit.display() if unit else None))
    return out


def _distinct_regions(names: list[str], unit: NutsUnit | None) -> list[str]:
    """The names that stand for different regions: spellings that match each other, or that
    both match the code's official name, are one region ("Castilla y León", "Castilla y'Leon")."""
    distinct: list[str] = []
    for name in dict.fromkeys(names):
        same = any(name_score(name, other) >= MATCH
                   or (unit is not None and matches_unit(name, unit) and matches_unit(other, unit))
                   for other in distinct)
        if not same:
            distinct.append(name)
    return distinct


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- names -----------------------------------------------------------------------------------

def matches_unit(name: str, unit: NutsUnit) -> bool:
    return unit_score(name, unit) >= MATCH


def unit_score(name: str, unit: NutsUnit) -> float:
    return max((name_score(name, form) for form in unit.names()), default=0.0)


def best_unit(name: str, table: NutsTable, *, country: str, level: int) -> NutsUnit | None:
    """The one unit in force in `country` whose official name matches `name`, preferring the
    written code's level; None when none matches or two match about as well."""
    scored = [(unit_score(name, u), u) for u in table.units_of(country)]
    scored = [(s, u) for s, u in scored if s >= MATCH]
    if not scored:
        return None
    same_level = [(s, u) for s, u in scored if u.level == level]
    pool = sorted(same_level or scored, key=lambda su: -su[0])
    best_score, best = pool[0]
    rivals = [u for s, u in pool[1:] if s > best_score - _TIE and u.code != best.code]
    return None if rivals else best


def name_score(name: str, label: str) -> float:
    """0-100: how well a document's region name matches an official name, word by word.

    Every word of one must match a word of the other (a typo allowed in words longer than
    three letters); a name contained in the other ("Asturias" in "Principado de Asturias")
    scores a little below a full match; anything less is 0. A country name in the document's
    name ("Cenrto Portugal") and bracketed words ("Centro (PT)") are ignored."""
    theirs = _words(_unbracketed(label))
    mine = _without_countries(_words(_unbracketed(name)), keep=theirs)
    if not mine or not theirs:
        return 0.0
    mine_scores = [max(_word_score(a, b) for b in theirs) for a in mine]
    theirs_scores = [max(_word_score(b, a) for a in mine) for b in theirs]
    mine_in = min(mine_scores) >= _WORD_MATCH
    theirs_in = min(theirs_scores) >= _WORD_MATCH
    if mine_in and theirs_in:
        return sum(mine_scores + theirs_scores) / (len(mine_scores) + len(theirs_scores))
    if mine_in or theirs_in:
        side = mine_scores if mine_in else theirs_scores
        return sum(side) / len(side) - _CONTAINED_PENALTY
    return 0.0


def _word_score(a: str, b: str) -> float:
    """Edit-distance similarity (a transposition is one edit: "Cenrto" ~ "Centro"); words of
    three letters or fewer, or with different first letters, must be equal ("Lapland" is not
    "Åland")."""
    if a == b:
        return 100.0
    if len(a) <= _SHORT_WORD or len(b) <= _SHORT_WORD or a[0] != b[0]:
        return 0.0
    return OSA.normalized_similarity(a, b) * 100.0


def _words(text: str) -> list[str]:
    """Case, accents and punctuation folded: 'Castilla y'León' -> ['castilla', 'y', 'leon']."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN_LETTERS))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return [w for w in re.split(r"[\W_]+", plain) if w]


def _unbracketed(text: str) -> str:
    return re.sub(r"\([^)]*\)", " ", text)


def _without_countries(words: list[str], *, keep: list[str]) -> list[str]:
    """Country names dropped, unless the official name has them too ('Prov. Luxembourg')."""
    kept = [w for w in words if w in keep or country_code(w) is None]
    return kept or words


def _same(a: str, b: str) -> bool:
    return _words(a) == _words(b)
