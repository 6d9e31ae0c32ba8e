"""Defining sentences: where a document says what a term *is*, kept whole for the glossary and
for "What is MIREU?".

Two shapes count:

* a sentence that opens with the term (or "Full Name (ACR)") and says it *is a / an / the …*
  of a class: "MIREU is an EU project whose aim is …", "BATT4EU is a co-programmed
  partnership …", "ERMA is the EU's alliance for …". The class must be named by a noun of the
  kinds projects, programmes and bodies are (project, partnership, platform, alliance, act …)
  within a few words of the article, so "REMIX is marking …", "MIREU is able to …" and
  "SLO is adaptive" are not definitions;
* a sentence that spells the term out: "S3 stands for Smart Specialisation Strategy",
  "ABC means …", "ABC (short for …)", accepted only when the letters line up (see `terms`).
"""

from __future__ import annotations

import re

from assistant.memory.models import Definition
from assistant.ingest.sentences import sentence_spans
from assistant.memory.terms import (ACR_PATTERN, ACR_SAYS_RE, expansion_before, said_expansion,
                                    singular_acronym)
from assistant.memory.units import SourceLocator, Unit, squash

_CLASS_NOUNS = (
    r"projects?|programmes?|programs?|partnerships?|initiatives?|networks?|platforms?|"
    r"alliances?|organi[sz]ations?|associations?|councils?|bod(?:y|ies)|funds?|instruments?|"
    r"strateg(?:y|ies)|framework|tools?|approach|concept|process|schemes?|communit(?:y|ies)|"
    r"hubs?|cent(?:re|er)s?|agenc(?:y|ies)|institutes?|institutions?|universit(?:y|ies)|"
    r"compan(?:y|ies)|consortium|clusters?|act|regulation|directive|plan|method(?:ology)?|"
    r"standard|system|indicator|action|group|forum|union|federation|cooperation|collaboration|"
    r"facility|mechanism|policy|law|office|authority|service|company|enterprise|association|"
    r"campaign|label|certificate|principle|knowledge and innovation communit(?:y|ies)"
)
_SUBJECT = (
    rf"^\W*(?:(?:[Tt]he|[Ee]l|[Ll]a)\s+)?(?:(?P<name>[A-Z][^()]{{2,140}}?)\s*\((?P<acr1>{ACR_PATTERN})\)|"
    rf"(?P<acr2>{ACR_PATTERN}))(?:\s+(?:project|initiative|partnership|network|platform))?"
)
_IS_A_RE = re.compile(
    rf"{_SUBJECT}\s*,?\s+(?:is|was|has been)\s+(?P<det>an?|the|one of the)\s+"
    rf"(?P<cls>(?:[\w’'&-]+\s+){{0,5}}?(?:{_CLASS_NOUNS}))\b"
)
# "the EU's …": a possessive in place of the article
_IS_POSSESSIVE_RE = re.compile(
    rf"{_SUBJECT}\s*,?\s+(?:is|was)\s+(?P<det>the\s+[A-Z][\w-]*['’]s)\s+"
    rf"(?P<cls>(?:[\w’'&-]+\s+){{0,5}}?(?:{_CLASS_NOUNS}))\b"
)
# "ABC (short for Advanced Battery Consortium)"
_PAREN_SAYS_RE = re.compile(rf"(?<![\w-])(?P<acr>{ACR_PATTERN})\s*\((?P<exp>(?:short\s+for|"
                            r"abbreviation\s+(?:of|for)|acronym\s+(?:of|for)|stands\s+for)\s+"
                            r"[^()]{3,140})\)")
_SENTENCE_KINDS = frozenset({"text", "list_item", "qa"})


def extract_definitions(units: list[Unit], locator: SourceLocator) -> list[Definition]:
    """The defining sentences of one document, each with the chunk it is cited from; one per
    (term, sentence)."""
    out: list[Definition] = []
    seen: set[tuple[str, str]] = set()
    for unit in units:
        if unit.kind not in _SENTENCE_KINDS:
            continue
        for a, b in sentence_spans(unit.text):  # a form answer line may hold several
            sentence = unit.text[a:b]
            for term, category, expansion in _definitions(sentence):
                key = (term, squash(sentence))
                source = None if key in seen else locator.ref(unit, quote=sentence)
                if source is None:
                    continue
                seen.add(key)
                out.append(Definition(term=term, sentence=squash(sentence), source=source,
                                      category=category, expansion=expansion))
    return out


def _definitions(text: str) -> list[tuple[str, str, str | None]]:
    """(term, category, expansion) for each definition the sentence gives."""
    found: list[tuple[str, str, str | None]] = []
    for pattern in (_IS_A_RE, _IS_POSSESSIVE_RE):
        match = pattern.match(text)
        if match is None:
            continue
        acr = match.group("acr1") or match.group("acr2")
        expansion = None
        if match.group("name"):
            expansion = _name_before(acr, match.group("name"))
            if expansion is None:
                continue  # "(ABC)" after a name it does not abbreviate
        if not _looks_like_term(acr):
            continue
        category = squash(match.group("cls"))
        found.append((singular_acronym(acr), category, expansion))
        break
    for pattern in (ACR_SAYS_RE, _PAREN_SAYS_RE):
        for match in pattern.finditer(text):
            acr = singular_acronym(match.group("acr"))
            expansion = said_expansion(acr, match.group("exp"))
            if expansion and _looks_like_term(acr) and all(f[0] != acr for f in found):
                found.append((acr, "", expansion))
    return found


def _name_before(acr: str, name: str) -> str | None:
    """The part of "Full Name" the acronym abbreviates ("The Smart and Green Mining Regions of
    EU (REMIX)"), checked with the glossary's own line-up rules."""
    return expansion_before(acr, name) or (
        said_expansion(acr, name) if name[:1].isupper() else None)


def _looks_like_term(acr: str) -> bool:
    """An acronym-like word (two capitals, or a capital with a letter count: "S3"), not a
    capitalised common word ("The", "This")."""
    capitals = sum(c.isupper() for c in acr)
    return capitals >= 2 or (capitals == 1 and any(c.isdigit() for c in acr))
