"""Acronyms and their expansions: "critical raw materials (CRM)", "ERMA (European Raw Materials
Alliance)", "CoMMER - Council of Mining and Metallurgy Regions of EU".

An expansion is accepted only when the acronym's letters line up with it: the first letter is
the first word's initial, every content word is entered through its initial (small words such
as "of", "and" may be skipped or used: MDoPI), letters may also come from inside the word being
read (MIREU = MIning ... Regions of EU), and one content word may be skipped in long names.
That rejects "MIREU - sustained long-term relationship" and other dash/paren noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TypeVar

from assistant.memory.models import Organisation, Term
from assistant.memory.nuts import country_code
from assistant.memory.tables import column, row_cells
from assistant.memory.units import SourceLocator, Unit, squash

_ACR = r"[A-Z][A-Za-z0-9&]{0,8}[A-Z0-9](?:s)?"
_PAREN_ACR_RE = re.compile(rf"\((?P<acr>{_ACR})\)")
_ACR_PAREN_RE = re.compile(rf"(?<![\w-])(?P<acr>{_ACR})\s*\((?P<exp>[^()]{{3,140}})\)")
_ACR_DASH_RE = re.compile(rf"(?<![\w-])(?P<acr>{_ACR})(?:\s+[-–—]|\s*:|\s*,\s*(?:the|a)?)\s+"
                          r"(?P<exp>[^.;:()\n–—]{3,160})")
# "S3 stands for Smart Specialisation Strategy", "ABC means …", "ABC is short for …"; and the
# same words opening a bracket: "ABC (short for …)".
_SAYS_FOR = (r"(?:stands\s+for|means|refers\s+to|is\s+short\s+for|is\s+(?:an?\s+)?"
             r"(?:abbreviation|acronym)\s+(?:of|for)|(?:is|are)(?=\s+[A-Z]))")
ACR_SAYS_RE = re.compile(rf"(?<![\w-])(?P<acr>{_ACR})\s+{_SAYS_FOR}\s+(?:the\s+)?[“\"‘']?"
                         r"(?P<exp>[^.;:()\n“”\"’]{3,160})")
_PAREN_SAYS_RE = re.compile(r"^(?:short\s+for|abbreviation\s+(?:of|for)|acronym\s+(?:of|for)|"
                            r"stands\s+for|i\.\s?e\.,?)\s+(?:the\s+)?", re.IGNORECASE)
_STOP = frozenset(["of", "and", "for", "the", "in", "on", "to", "a", "an", "at", "by", "with", "de", "del", "la", "el", "los", "las", "y", "e", "und", "für", "der", "die", "das", "des", "et", "du", "à", "per", "para", "por", "pour", "da", "do", "di", "i", "och", "ja", "zur", "zum", "von", "van", "af", "för"])
_ORG_WORDS = re.compile(
    r"\b(?:universit\w*|universidad|yliopisto|agency|agencia|council|institute?|instituto|"
    r"institut|ministry|ministerio|ministerium|gmbh|oy|oyj|ltd|limited|s\.a\.|sa|ab|plc|"
    r"association|asociación|cluster|commission|comisión|centre|center|centro|survey|office|"
    r"foundation|fundación|chamber|federation|federación|authority|department|directorate|"
    r"secretariat|junta|consejería|alliance|bank|company|corporation|organi[sz]ation|"
    r"academy|school|college|society|network|partnership|platform|union)\b", re.IGNORECASE)
_MAX_WORDS = 12
_OF = frozenset({"of", "de", "del", "for", "in"})


@dataclass(frozen=True, slots=True)
class _Pair:
    acronym: str
    expansion: str
    unit: Unit


def extract_terms(units: list[Unit], locator: SourceLocator) -> tuple[list[Term], list[Organisation]]:
    """Terms, and the organisations among them (expansions with an organisation word), plus
    organisations named in partner tables."""
    pairs = [pair for unit in units for pair in _pairs(unit)]
    terms: list[Term] = []
    orgs: list[Organisation] = []
    for pair in _best_first(pairs):
        source = locator.ref(pair.unit)
        if source is None:
            continue
        terms.append(Term(acronym=pair.acronym, expansion=pair.expansion, source=source))
        if _ORG_WORDS.search(pair.expansion) and pair.expansion[:1].isupper():
            orgs.append(Organisation(name=pair.expansion, source=source, acronym=pair.acronym))
    orgs.extend(_table_orgs(units, locator))
    return terms, _dedupe_orgs(orgs)


def _pairs(unit: Unit) -> list[_Pair]:
    text = unit.text
    out: list[_Pair] = []
    for match in _PAREN_ACR_RE.finditer(text):
        acr = singular_acronym(match.group("acr"))
        words = _window_before(text[:match.start()])
        exp = _suffix_expansion(acr, words)
        if exp:
            out.append(_Pair(acr, exp, unit))
    for pattern in (_ACR_PAREN_RE, _ACR_DASH_RE, ACR_SAYS_RE):
        for match in pattern.finditer(text):
            acr = singular_acronym(match.group("acr"))
            exp = said_expansion(acr, match.group("exp"))
            if exp:
                out.append(_Pair(acr, exp, unit))
    return [p for p in out if _plausible(p.acronym)]


ACR_PATTERN = _ACR  # what an acronym looks like, shared with `definitions`


def expansion_before(acr: str, text: str) -> str | None:
    """The words at the end of `text` that "(ACR)" right after them abbreviates."""
    return _suffix_expansion(acr, _window_before(text))


def said_expansion(acr: str, text: str) -> str | None:
    """The expansion that `text` (what follows "ACR –", "ACR (", "ACR stands for") opens
    with, if the acronym's letters line up with it."""
    text = _PAREN_SAYS_RE.sub("", text.strip())
    return _prefix_expansion(acr, text) or _name_expansion(acr, text)


def singular_acronym(acr: str) -> str:
    """"DIHs" -> "DIH" (a plural s after capitals)."""
    return acr[:-1] if len(acr) > 2 and acr.endswith("s") and acr[-2].isupper() else acr


def _plausible(acr: str) -> bool:
    """Two capitals at least ("CoMMER", "M&M"), or one with a letter count ("S3", "RIS3")."""
    letters = [c for c in acr if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    counted = upper >= 1 and len(_letters(acr)) > len(letters)
    return (len(_letters(acr)) >= 2 and (upper >= 2 or counted) and upper * 2 >= len(letters)
            and not re.search(r"\d{3}", acr))


def _window_before(text: str) -> list[str]:
    """The words right before "(ACR)", back to the last clause break."""
    clause = re.split(r"[.;:,()\[\]“”\"–—]|\s-\s", text)[-1]
    return clause.split()[-_MAX_WORDS:]


def _suffix_expansion(acr: str, words: list[str]) -> str | None:
    """The shortest run of trailing words the acronym lines up with."""
    for start in range(len(words) - 1, -1, -1):
        cand = words[start:]
        if _tokens(cand[0])[0].lower() in _STOP:
            continue
        if _aligns(acr, tuple(cand)):
            return _clean(" ".join(cand))
    return None


def _prefix_expansion(acr: str, text: str) -> str | None:
    """The shortest leading words that line up, extended to the end of a short phrase
    ("... Regions" + " of EU")."""
    phrase = re.split(r"[,;(]|\s-\s", text)[0]
    words = phrase.split()[:_MAX_WORDS + 3]
    for end in range(1, min(len(words), _MAX_WORDS) + 1):
        cand = words[:end]
        if _tokens(cand[-1])[-1].lower() in _STOP:
            continue
        if _aligns(acr, tuple(cand)):
            rest = words[end:]
            if 0 < len(rest) <= 3 and all(w[:1].isupper() or w.lower() in _STOP for w in rest) \
                    and rest[-1].lower() not in _STOP:
                cand = words
            return _clean(" ".join(cand))
    return None


def _name_expansion(acr: str, text: str) -> str | None:
    """"REMIX – Smart and Green Mining Regions of EU": project names often pick letters out
    of order, so a Title Case name of 3+ capitalised words right after the acronym counts when
    it holds the acronym's first letter and at least half its letters as initials."""
    words: list[str] = []
    for word in re.split(r"[,;(]|\s[-–]\s", text)[0].split():
        if word[:1].isupper() or (words and word.lower() in _STOP):
            words.append(word)
        else:
            break
    while words and words[-1].lower() in _STOP:
        words.pop()
    capitals = [w for w in words if w[:1].isupper()]
    letters = _letters(acr)
    initials = [w[0].lower() for w in capitals]
    if len(capitals) < 3 or not letters or letters[0] not in initials:
        return None
    pool = list(initials)
    hits = 0
    for letter in letters:
        if letter in pool:
            pool.remove(letter)
            hits += 1
    return _clean(" ".join(words)) if hits * 2 >= len(letters) else None


def _clean(text: str) -> str:
    return squash(text).strip(" ,.;:'\"“”‘’")


def _tokens(word: str) -> list[str]:
    parts = [p for p in re.split(r"[-‐/]", re.sub(r"[^\w\-‐/&]", "", word)) if p]
    return parts or [""]


def _letters(acr: str) -> list[str]:
    """"S3" -> s s s (Smart Specialisation Strategy), "M&M" -> m m."""
    out: list[str] = []
    for char in acr:
        if char.isdigit() and out and 1 < int(char) <= 5:
            out.extend(out[-1] for _ in range(int(char) - 1))
        elif char.isalpha():
            out.append(char.lower())
    return out


@lru_cache(maxsize=4096)
def _aligns(acr: str, words: tuple[str, ...]) -> bool:
    tokens = [t.lower() for w in words for t in _tokens(w) if t and t != "&"]
    letters = _letters(acr)
    if any(c.isdigit() for c in acr):
        # "S3": a letter count says how many words start with it, so each letter is one
        # content word's initial, in order (not "Specialisation Strategies" for S3)
        return [t[0] for t in tokens if t not in _STOP] == letters and tokens[0] not in _STOP
    if len(tokens) < 2 or not letters or tokens[0][:1] != letters[0] or len(tokens) > len(letters) * 2 + 3:
        return False
    content = sum(t not in _STOP for t in tokens)
    budget = 1 if content >= 4 and len(letters) >= 4 else 0
    stop = [t in _STOP for t in tokens]

    @cache
    def walk(i: int, j: int, k: int, left: int) -> bool:
        if i == len(letters):
            rest = tokens[j + 1:]
            # "Instituto ... Empresarial de Castilla y León (ICE)": a trailing "of <Place>"
            return not rest or (len(letters) >= 3 and rest[0] in _OF and len(rest) <= 4)
        letter = letters[i]
        word = tokens[j]
        for p in range(k + 1, len(word)):
            if word[p] == letter and walk(i + 1, j, p, left):
                return True
        skipped = 0
        for nxt in range(j + 1, len(tokens)):
            if tokens[nxt][:1] == letter and walk(i + 1, nxt, 0, left - skipped):
                return True
            if not stop[nxt]:
                skipped += 1
                if skipped > left:
                    break
        return False

    return walk(1, 0, 0, budget)


def _best_first(pairs: list[_Pair]) -> list[_Pair]:
    """One term per (acronym, expansion); per acronym the best-supported expansion first."""
    return _most_supported(pairs)


_T = TypeVar("_T")  # _Pair or Term: anything with .acronym and .expansion


def _most_supported(items: list[_T]) -> list[_T]:
    """The first of each (acronym, expansion) in first-seen acronym order, per acronym the
    expansion stated most often first."""
    counts: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], _T] = {}
    for item in items:
        key = (item.acronym, _expansion_key(item.expansion))  # type: ignore[attr-defined]
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, item)
    order = {acr: n for n, acr in enumerate(dict.fromkeys(k[0] for k in first))}
    return [first[k] for k in sorted(first, key=lambda k: (order[k[0]], -counts[k]))]


def _expansion_key(expansion: str) -> str:
    """Case, punctuation and common plurals folded: "Strategies" and "Strategy" are one."""
    words = re.sub(r"[^\w ]", " ", expansion.lower()).split()
    return " ".join(_singular_word(w) for w in words)


def _singular_word(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def dedupe_terms(terms: list[Term]) -> list[Term]:
    """Across documents: one Term per (acronym, expansion), most-supported expansion first."""
    return _most_supported(terms)


_ORG_COLUMNS = frozenset({"partner", "partners", "organisation", "organization", "institution",
                          "beneficiary", "partner organisation", "partner organization", "socio",
                          "entidad", "organización"})


def _table_orgs(units: list[Unit], locator: SourceLocator) -> list[Organisation]:
    out = []
    for unit in units:
        if unit.kind != "table_row":
            continue
        cells = row_cells(unit.text)
        name = column(cells, _ORG_COLUMNS)
        if not name or not name[:1].isupper():
            continue
        source = locator.ref(unit)
        if source is None:
            continue
        acr = column(cells, frozenset({"acronym", "short name", "abbreviation"}))
        role = column(cells, frozenset({"role", "type", "partner type", "status"})) or "partner"
        country = column(cells, frozenset({"country", "país", "maa", "land"}))
        out.append(Organisation(name=squash(name), source=source, acronym=acr or None,
                                country=country_code(country) if country else None,
                                role=role.strip()))
    return out


def _dedupe_orgs(orgs: list[Organisation]) -> list[Organisation]:
    seen: set[str] = set()
    out = []
    for org in orgs:
        key = _expansion_key(org.name)
        if key not in seen:
            seen.add(key)
            out.append(org)
    return out
