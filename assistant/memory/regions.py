"""Regions: coded list lines ("Kainuu (FI) FI1D3", "Lapland (FI), FI1D7"), tables with a NUTS
column, the answer to "the list of leading regions", and running text that explicitly lists
partner regions ("partner regions – Lapland, North Karelia and Kainuu – ...").

Names are kept as written ("Cenrto Portugal"): the memory reports the documents, it does not
correct them. Elsewhere in running text a region is taken only by its official NUTS name
("Cornwall", from "Cornwall and Isles of Scilly"; "Kainuu"; "Dolnośląskie", or the name the
document gives it in brackets: "Dolnośląskie (Lower Silesia)"), as role "mentioned": a
capitalised word is not enough (precision first), and a name that is official in two countries
("Centro") or only a compass point ("North") is not taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.memory.models import Region, RegionRole
from assistant.memory.nuts import country_code, country_names, is_nuts, nuts_country
from assistant.memory.query import fold
from assistant.memory.tables import column, row_cells
from assistant.memory.units import SourceLocator, Unit

_NAME = r"[^\W\d_][^()\n:;,]{0,60}?"
_CODED_RES = (
    re.compile(rf"^\W*(?P<name>{_NAME})\s*\((?P<cc>[A-Z]{{2}})\)\s*[,:–-]?\s*"
               r"(?P<nuts>[A-Z]{2}[0-9A-Z]{0,3})\s*[.;]?$"),
    re.compile(rf"^\W*(?P<name>{_NAME})\s*\((?P<nuts>[A-Z]{{2}}\d[0-9A-Z]{{0,2}})\)\s*[.;]?$"),
    re.compile(rf"^\W*(?P<name>{_NAME})\s*[,:–-]\s*(?P<nuts>[A-Z]{{2}}\d[0-9A-Z]{{0,2}})\s*[.;]?$"),
)
_EXAMPLE_RE = re.compile(r"^\W*(?:e\.\s?g\.|eg\b|for example|example|i\.e\.)", re.IGNORECASE)
_ROLE_RES: tuple[tuple[re.Pattern[str], RegionRole], ...] = (
    (re.compile(r"\blead(?:ing)?\s+regions?\b|\bregions?\s+(?:leading|in the lead)\b", re.IGNORECASE),
     "leading"),
    (re.compile(r"\b(?:participating|partner|member|involved)\s+regions?\b", re.IGNORECASE),
     "participating"),
)
_LIST_CUE_RE = re.compile(
    r"\b(?P<cue>partner|participating|member|leading|lead)\s+regions?\b\s*"
    r"(?:[:–—(-]\s*|(?:are|include|including|such as|namely)\s*:?\s*)?", re.IGNORECASE)
_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\band\b|\bja\b|\bund\b)\s*")
_CONNECTORS = frozenset(["y", "de", "del", "la", "las", "los", "of", "the", "and", "upon", "am", "an", "der", "von"])
_NOT_NAMES = frozenset(["the", "eu", "europe", "european", "in", "and", "of", "this", "these", "their", "its", "our", "regions", "region", "mining", "s3", "the", "partnership", "project"])


@dataclass(frozen=True, slots=True)
class _Found:
    name: str
    country: str | None
    nuts: str | None
    role: RegionRole


def extract_regions(units: list[Unit], locator: SourceLocator) -> list[Region]:
    out: list[Region] = []
    for unit in units:
        if unit.kind == "heading":
            continue
        for found in _from_unit(unit):
            source = locator.ref(unit)
            if source is not None:
                out.append(Region(name=found.name, source=source, country=found.country,
                                  nuts=found.nuts, role=found.role))
    return _dedupe(out)


def _from_unit(unit: Unit) -> list[_Found]:
    found = _cued(unit)
    named = {fold(f.name) for f in found}
    return found + [f for f in _official_names_in(unit.text) if fold(f.name) not in named]


def _cued(unit: Unit) -> list[_Found]:
    """Regions the unit's form says are regions: a code, a region table, a role cue."""
    if unit.kind == "table_row":
        return _from_row(unit)
    coded = _coded(unit)
    if coded is not None:
        return [coded]
    if unit.kind == "qa" and unit.first:
        answer = _answer_list(unit)
        if answer:
            return answer
    return _from_running_text(unit)


# -- official names in running text --------------------------------------------------------------

_WORD = re.compile(r"[^\W_][\w'’-]*")
_NAME_CONNECTORS = frozenset(["y", "de", "del", "la", "and", "of", "the", "upon", "am", "an",
                              "der", "i", "e"])
_EXONYM = re.compile(r"\s*\(\s*(?P<name>[^\W\d_][^()\n]{2,40}?)\s*\)")
_GENERIC = frozenset("north south east west northern southern eastern western central centre "
                     "center middle island islands norte sur centro este oeste nord sud ost "
                     "mitte".split())
_MIN_LETTERS = 4
_LONGEST_NAME = 6  # words


@lru_cache(maxsize=1)
def _official_names_table() -> dict[str, str]:
    """Folded official NUTS names (levels 1-3; a label's first part before ' and ') -> country,
    for names official in one country only and not just a compass word. Empty without the
    NUTS data (then only cued regions are found)."""
    from assistant.memory.nuts_table import NutsDataError, load_nuts_table

    try:
        table = load_nuts_table()
    except NutsDataError:
        return {}
    countries: dict[str, set[str]] = {}
    for unit in [*table.current.values(), *table.previous.values()]:
        if unit.level < 1 or not unit.code[2:].strip("Z"):
            continue
        for form in unit.names():
            plain = re.sub(r"\([^)]*\)", " ", form)
            for name in {plain, re.split(r"\s+and\s+|,", plain)[0]}:
                key = fold(name)
                if (len(key.replace(" ", "")) < _MIN_LETTERS or country_code(name.strip())
                        or set(key.split()) <= _GENERIC):
                    continue
                countries.setdefault(key, set()).add(unit.country)
    return {key: next(iter(found)) for key, found in countries.items() if len(found) == 1}


def _official_names_in(text: str) -> list[_Found]:
    """Official names written in running text, longest first ("Castilla y León", not "León")."""
    names = _official_names_table()
    if not names:
        return []
    out: list[_Found] = []
    for run in _capitalised_runs(text):
        i = 0
        while i < len(run):
            for j in range(min(len(run), i + _LONGEST_NAME), i, -1):
                if run[j - 1].group().lower() in _NAME_CONNECTORS:
                    continue
                written = text[run[i].start():run[j - 1].end()].strip("'’-")
                country = names.get(fold(written))
                if country is None:
                    continue
                exonym = _EXONYM.match(text, run[j - 1].end())
                name = _readable(exonym.group("name")) if exonym else ""
                out.append(_Found(name if _is_exonym(name) else _readable(written), country,
                                  None, "mentioned"))
                i = j - 1
                break
            i += 1
    return out


def _capitalised_runs(text: str) -> list[list[re.Match[str]]]:
    """Runs of capitalised words separated only by spaces, with connectors inside a run
    ("Cornwall and Isles of Scilly"); a comma or bracket ends a run."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    last_end = -1
    for word in _WORD.finditer(text):
        joined = current and text[last_end:word.start()].isspace()
        capital = word.group()[0].isupper()
        if capital or (joined and word.group().lower() in _NAME_CONNECTORS):
            if not joined:
                if current:
                    runs.append(current)
                current = []
            current.append(word)
        elif current:
            runs.append(current)
            current = []
        last_end = word.end()
    if current:
        runs.append(current)
    return runs


def _is_exonym(name: str) -> bool:
    """A bracketed name, not an acronym or code: 'Lower Silesia', not 'ICE', 'PP2', 'ICAMCyL'."""
    return _is_name(name) and all(
        w.lower() in _CONNECTORS or (w[:1].isupper() and w[1:].replace("-", "").islower())
        for w in name.split())


def _readable(name: str) -> str:
    """'LOWER SILESIA' -> 'Lower Silesia' (a heading's capitals are not the name's spelling)."""
    return name.title() if name.isupper() and len(name) > 3 else name


def _role(text: str, default: RegionRole) -> RegionRole:
    for pattern, role in _ROLE_RES:
        if pattern.search(text):
            return role
    return default


def _coded(unit: Unit) -> _Found | None:
    """"Kainuu (FI) FI1D3": the form's own format, so the line is trusted as a region."""
    if _EXAMPLE_RE.match(unit.text):
        return None
    for pattern in _CODED_RES:
        match = pattern.match(unit.text)
        if match is None:
            continue
        nuts = match.group("nuts")
        cc = match.groupdict().get("cc")
        country = nuts_country(cc) if cc else nuts[:2]
        if not is_nuts(nuts, country):
            continue
        name = match.group("name").strip(" -–,")
        if not _is_name(name):
            continue
        return _Found(name, country, nuts, _role(unit.lead or unit.context, "mentioned"))
    return None


def _from_row(unit: Unit) -> list[_Found]:
    cells = row_cells(unit.text)
    nuts = column(cells, frozenset({"nuts", "nuts code", "nuts 2", "nuts2", "nuts 3", "nuts3",
                                    "nuts id", "code"}))
    name = column(cells, frozenset({"region", "name", "region name", "partner region", "región",
                                    "alue", "maakunta"}))
    if not nuts or not name or not is_nuts(nuts.strip()):
        return []
    country = column(cells, frozenset({"country", "país", "maa", "land"}))
    code = country_code(country) if country else nuts.strip()[:2]
    return [_Found(name.strip(), code, nuts.strip(), _role(unit.context, "mentioned"))]


def _answer_list(unit: Unit) -> list[_Found]:
    """"Please provide the list of leading regions: North Karelia Finland and Lapland, Finland"."""
    question, sep, answer = unit.text.partition(":")
    if not sep or not re.search(r"\bregions?\b", question, re.IGNORECASE):
        return []
    role = _role(question, "")  # type: ignore[arg-type]
    if not role:
        return []
    return [_Found(n, c, None, role) for n, c in parse_names(answer)]


def _from_running_text(unit: Unit) -> list[_Found]:
    out: list[_Found] = []
    for match in _LIST_CUE_RE.finditer(unit.text):
        role: RegionRole = "leading" if match.group("cue").lower().startswith("lead") else "partner"
        names = parse_names(unit.text[match.end():], strict=True)
        if len(names) >= 2 or (names and unit.text[match.end() - 2:match.end()].strip() in ":–—("):
            out.extend(_Found(n, c, None, role) for n, c in names)
    return out


def parse_names(text: str, *, strict: bool = False) -> list[tuple[str, str | None]]:
    """"North Karelia Finland and Lapland, Finland" -> [("North Karelia", "FI"), ("Lapland",
    "FI")]. Stops at the first piece that is not a capitalised name (running text goes on
    "... have joined forces"); a trailing "in Finland" gives the country to all."""
    text = re.split(r"\s+[–—(]|\)|[.!?](?:\s|$)", text.strip(), maxsplit=1)[0]
    tail_country = None
    tail = re.search(r"\s+in\s+(?P<c>[A-ZÀ-Þ][\w ]+?)\s*$", text)
    if tail and country_code(tail.group("c")):
        tail_country = country_code(tail.group("c"))
        text = text[:tail.start()]
    names: list[list] = []
    for piece in _SPLIT_RE.split(text):
        piece = piece.strip()
        if not piece:
            continue
        code = country_code(piece)
        if code and names and names[-1][1] is None:
            names[-1][1] = code
            continue
        name, code = _strip_country(piece)
        if not _is_name(name):
            if strict:
                # running text: the list ends where the names end ("... and Västerbotten have")
                head = _leading_name(piece)
                if head:
                    names.append([head, None])
                    after = re.match(r"\s+in\s+(\w+)", piece[len(head):])
                    code = country_code(after.group(1)) if after else None
                    if code:
                        names = [[n, c or code] for n, c in names]
                break
            continue
        names.append([name, code])
    return [(n, c or tail_country) for n, c in names]


def _strip_country(piece: str) -> tuple[str, str | None]:
    paren = re.fullmatch(r"(.+?)\s*\(([A-Z]{2})\)", piece)
    if paren and country_code(paren.group(2)):
        return paren.group(1).strip(), country_code(paren.group(2))
    lowered = piece.lower()
    for country in country_names():
        if lowered.endswith(" " + country):
            return piece[: -len(country)].strip(" ,"), country_code(country)
    return piece, None


def _leading_name(piece: str) -> str | None:
    words = piece.split()
    taken: list[str] = []
    for word in words:
        if word[:1].isupper() or (taken and word.lower() in _CONNECTORS):
            taken.append(word)
        else:
            break
    while taken and taken[-1].lower() in _CONNECTORS:
        taken.pop()
    name = " ".join(taken)
    return name if taken and _is_name(name) else None


def _is_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 5 or name.lower() in _NOT_NAMES or country_code(name):
        return False
    if not words[0][:1].isupper():
        return False
    return all(w[:1].isupper() or w.lower() in _CONNECTORS or re.match(r"[a-z]{1,2}['’][A-Z]", w)
               for w in words)


def _dedupe(regions: list[Region]) -> list[Region]:
    """One item per (name, role); a coded mention beats an uncoded one."""
    best: dict[tuple[str, str], Region] = {}
    for region in regions:
        key = (region.name.lower(), region.role)
        if key not in best or (best[key].nuts is None and region.nuts is not None):
            best[key] = region
    return list(best.values())
