"""Questions a newcomer asks about a name ("What is MIREU?", "What does S3 stand for?") and the
sentences that answer them, and form prompts that never answer anything.

A sentence that merely uses a term ("The EIP on raw materials has as its overall objective …")
shares every word of "What does EIP stand for?" yet does not answer it; the answer is the
sentence that expands the acronym ("European Innovation Partnership (EIP)") or defines the term
("MIREU is an EU project whose aim is …"). When no retrieved sentence expands an acronym, the
documents do not say what it stands for, and the answerer refuses rather than quote a use.

A form's prompt ("Please provide the list of …", "Involvement of regions from EU13 Member
States …") repeats the words of the question that the form asks; it is context for the answer
after it, never the answer. So is a picture's caption ("Bild: Gruppenaufnahme des REMIX Teams
…"): it names everyone in the photo and states nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..retrieval.lexical import fold

_QUOTED = r"['‘’\"“”]?"
_EXPANSION_QUESTIONS = [
    re.compile(rf"\bwhat\s+(?:does|do|did)\s+(?:the\s+)?(?:name\s+|acronym\s+|abbreviation\s+)?"
               rf"{_QUOTED}(?P<a>[\w&-]{{2,12}}){_QUOTED}\s+(?:in\s+.*?\s+)?(?:stand\s+for|mean)\b",
               re.I),
    re.compile(rf"\b(?:full\s+name|full\s+form|expansion|meaning)\s+of\s+(?:the\s+)?"
               rf"{_QUOTED}(?P<a>[\w&-]{{2,12}}){_QUOTED}", re.I),
    re.compile(rf"\bwhat\s+is\s+{_QUOTED}(?P<a>[\w&-]{{2,12}}){_QUOTED}\s+short\s+for\b", re.I),
    re.compile(rf"{_QUOTED}(?P<a>[\w&-]{{2,12}}){_QUOTED}\s+(?:stands|is\s+short)\s+for\s+what\b",
               re.I),
]
_DEFINITION_QUESTION = re.compile(
    r"\b(?i:what\s+(?:is|are|was)\s+(?:the\s+)?)['‘\"“]?(?P<t>[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,3})"
    r"['’\"”]?\s*(?:[?,:;(]|$|\s+in\s+(?:a|one|short|brief))")

_PROMPT = re.compile(
    r"^(?:if possible,?\s+)?(?:please\s+\w+|describe|explain|specify|indicate|list\s+the|provide|"
    r"evaluation\s+of|involvement\s+of|advancement\s+(?:and|of)|justification|fields\s+marked)\b"
    r"|\bshould\s+be\s+(?:provided|described|specified|listed)\b",
    re.I,
)
# A picture's caption, in the languages of the documents: says what a photo shows, not a fact.
_CAPTION = re.compile(r"^(?:photo|image|picture|figure|fig\.|bild|foto|kuva|imagen|fotografia|"
                      r"zdjęcie|φωτογραφία)\s*\d*\s*[:.–-]", re.I)


def asked_expansion(question: str) -> str | None:
    """The acronym whose expansion is asked for ("What does EIP stand for?" -> "EIP")."""
    for pattern in _EXPANSION_QUESTIONS:
        match = pattern.search(question)
        if match and any(ch.isupper() for ch in match.group("a")):
            return match.group("a")
    return None


def asked_definition(question: str) -> str | None:
    """The name a "What is X?" question asks to have defined (X capitalised: a name, not a
    common noun; "What is the aim of X" asks for something else)."""
    match = _DEFINITION_QUESTION.search(question)
    return match.group("t") if match else None


@lru_cache(maxsize=8192)
def expands(text: str, acronym: str) -> bool:
    """Does `text` spell `acronym` out: "Full Name (ACR)", "ACR (Full Name)", "ACR – Full Name",
    "ACR stands for / means / is short for …"? The full name must start with the acronym's
    first letter, which keeps "NUTS code" or "TAF proposal" from counting."""
    acr = re.escape(acronym)
    first = acronym[0].upper()
    capital = rf"{first}[\w-]*(?:\s+(?:[\w-]+)){{1,8}}"
    patterns = (
        rf"(?<![\w])(?:{capital})\s*\(\s*{acr}\s*\)",
        rf"\b{acr}\s*\(\s*(?:{capital})\s*\)",
        rf"\b{acr}\s*[–—:-]\s+(?:{capital})",
        rf"\b{acr}\b[’']?s?\s+(?:stands\s+for|means|is\s+short\s+for|is\s+an\s+abbreviation)",
        rf"\b{acr}\s*,\s*(?:i\.e\.|or|short\s+for)\s+(?:the\s+)?(?:{capital})",
    )
    if any(re.search(p, text, re.I if acronym.islower() else 0) for p in patterns):
        return True
    return _initials_spell(text, acronym)


def _spelled_letters(acronym: str) -> str:
    """The initials an acronym stands for, a letter followed by a small count written once:
    "S3" is three words starting with S (Smart Specialisation Strategy), "RIS3" is R, I and
    three S's, "W3C" is W, W, W, C."""
    return re.sub(r"([A-Za-z])([2-4])(?!\d)", lambda m: m.group(1) * int(m.group(2)),
                  acronym).upper()


_SMALL_WORDS = frozenset({"and", "of", "for", "the", "on", "in", "&", "de", "y"})


def _initials_spell(text: str, acronym: str) -> bool:
    """A run of capitalised words whose initials spell the acronym ("European Innovation
    Partnership" for EIP), small words in between allowed; letters-only acronyms of 3+."""
    letters = _spelled_letters(acronym)
    if not (letters.isalpha() and len(letters) >= 3):
        return False
    words = re.findall(r"[\w&]+", text)
    for start, word in enumerate(words):
        if word[:1] != letters[0]:
            continue
        got, i = "", start
        while i < len(words) and len(got) < len(letters):
            w = words[i]
            if w.lower() in _SMALL_WORDS and got:
                i += 1
                continue
            if not w[:1].isupper() or w == acronym:
                break
            got += w[0]
            i += 1
        if got == letters:
            return True
    return False


@lru_cache(maxsize=8192)
def defines(text: str, term: str) -> bool:
    """Is `term` the subject of a definition in `text`: "MIREU is an EU project …",
    "REMIX, an Interreg Europe project, aims …", "The REMIX project promotes …"."""
    t = re.escape(fold(term))
    folded = fold(text)
    return bool(re.match(
        rf"^(?:the\s+)?{t}(?:\s*\([^)]*\))?(?:\s+(?:project|programme|initiative|network|"
        rf"partnership|platform))?(?:\s*,[^,]{{3,80}},)?\s+(?:is|are|was|aims|seeks|promotes|"
        rf"stands|means|brings|will|has\s+been|was\s+set\s+up)\b", folded))


@lru_cache(maxsize=8192)
def is_prompt(text: str) -> bool:
    """A form's prompt, or a question, with nothing answered after it on the same line; or a
    picture's caption."""
    if _CAPTION.match(text):
        return True
    head, colon, rest = text.partition(":")
    if colon and len(rest.split()) >= 2 and not _PROMPT.search(rest.strip()):
        return False  # "Please provide the list of leading regions: North Karelia …"
    return bool(_PROMPT.search(text)) or text.rstrip().endswith("?")
