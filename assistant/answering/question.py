"""What a question asks for: its content terms and the kinds of answer that would satisfy it.

Expected answer types serve twice: they rank candidate sentences (a "when" question is
answered by a sentence with a date) and they guard against guessing (a "how many" question is
not answered by a sentence without a number). A question can ask for several things at once
("in which city and month"), so a question has a set of types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ..retrieval.lexical import fold, tokenize

AnswerType = Literal["count", "amount", "date", "day", "name", "code", "measure"]

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|spring|summer|autumn|fall|winter|"
    "tammikuu\\w*|helmikuu\\w*|maaliskuu\\w*|huhtikuu\\w*|toukokuu\\w*|kesakuu\\w*|heinakuu\\w*|"
    "elokuu\\w*|syyskuu\\w*|lokakuu\\w*|marraskuu\\w*|joulukuu\\w*|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    "januar|februar|marz|juni|juli|oktober|dezember"
)
_YEAR = re.compile(r"(1[89]\d\d|20\d\d)s?")
# 12.2.2020, 30/09/2019 (and the "13.2.2020" of "12-13.2.2020"): a real day and month with one
# separator throughout, so clock times ("14.00-17.00") and decimals are not dates.
_NUMERIC_DATE = r"(?:0?[1-9]|[12]\d|3[01])(?P<sep>[./-])(?:0?[1-9]|1[0-2])(?P=sep)\d{2,4}\b"
_DATE = re.compile(
    rf"\b({_NUMERIC_DATE}|\d{{1,2}}\.\d{{1,2}}\.|(?:{_MONTHS})\b|(1[89]\d\d|20\d\d)s?\b)"
)
_DAY = re.compile(
    rf"\b({_NUMERIC_DATE}|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"\d{{1,2}}(st|nd|rd|th)?(\s*[-–]\s*\d{{1,2}}(st|nd|rd|th)?)?\.?\s+(de\s+)?(?:{_MONTHS})\b|"
    rf"(?:{_MONTHS})\s+\d{{1,2}}(st|nd|rd|th)?\b)"
)
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[ ,.]\d{3})+|\d+(?:[.,]\d+)?)(?![\w])")
_NUMBER_WORDS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|dozen|double|doubled|triple|half)\b"
)
_MONEY = re.compile(
    r"(€|\beur\b|\beuros?\b|eur\d|\busd\b|\$|£|\bmillion\b|\bbillion\b|\bmeur\b|m€|\bmillones\b|"
    r"\bmiljoon\w*|\bmln\b|\bmio\b|%|\bper ?cent\b|\bdouble\b)"
)
# A quantity with its unit: "250 km", "3 to 5 years", "15 months", "620 metres", "30- to 50-km".
_UNITS = (r"km|kilomet(?:re|er)s?|m|met(?:re|er)s?|miles?|cm|mm|ha|hectares?|km2|km²|"
          r"years?|months?|weeks?|days?|hours?|minutes?|kg|kilo(?:gram)?s?|tonnes?|tons?|t|mt|"
          r"ounces?|oz|gwh|mwh|kw|mw|percent|%")
_MEASURE = re.compile(
    rf"(?<![\w.,])\d+(?:[.,]\d+)?(?:\s*-?\s*(?:to|-|–|or)\s*\d+(?:[.,]\d+)?)?\s*-?\s*"
    rf"(?:{_UNITS})(?!\w)"
)
_CODE = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{3,8}\b")
_NAME = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w’'.-]*[\w]")

# The same questions as partners ask them in their own languages (folded: no accents, lower
# case): Spanish, Portuguese, Finnish, Swedish, German, Polish, Greek, French, Italian.
_FOREIGN: dict[AnswerType, str] = {
    "amount": r"\b(porcentaje|percentagem|porcentagem|prozent\w*|procent\w*|prosent\w*|"
              r"ποσοστο|pourcentage|percentuale|wie viel geld|cuanto dinero)\b",
    "count": r"\b(cuant[oa]s|quant[oa]s|kuinka (monta|moni|paljon)|montako|paljonko|ile|"
             r"wie viele?|hur (manga|mycket)|ποσ(οι|ες|α|ο)|combien|quanti|quante)\b",
    "date": r"^(cuando|quando|milloin|kiedy|wann|nar|ποτε|quand)\b|"
            r"\b(que|em que|en que|qual|vilket|vilken|welchem|ktorym|minka|mina|mika|"
            r"σε ποιο|ποια|ποιο|quel|quale|in quale) (ano|anno|ar|jahr|roku|vuonna|vuosi|"
            r"ετος|χρονια|annee|fecha|data|datum|paivana|dnia)\b",
    "name": r"^(quien(es)?|quem|kuka|ketka|kto|wer|vem|ποιος|ποιοι|qui|chi|donde|onde|missa|"
            r"mista|gdzie|wo|var|που|ou)\b|"
            r"\b(empresa|compania|yritys|yhtio|firma|unternehmen|foretag|bolag|εταιρει\w*|"
            r"organizacion|organizacao|organisaatio|organizacja|behorde|autoridad|ministro|"
            r"minister|ministeri|ciudad|cidade|kaupunki|stadt|stad|miasto|πολη|kaivos|"
            r"mina|bergwerk|gruva|kopalni\w*)\b",
}

_SLOTS: list[tuple[AnswerType, re.Pattern[str]]] = [
    ("amount", re.compile(r"\bhow much\b|\bin euros?\b|\b(what|which) (was|is|were|are) the "
                          r"(\w+ )?(budget|funding|cost|contribution|amount|grant|rate)\b|"
                          r"\bbenchmark\b|\bpercentage\b|\bshare of\b|\bwhat figure\b|"
                          r"\bexpected to grow\b|" + _FOREIGN["amount"])),
    ("count", re.compile(r"\bhow many\b|\bnumber of\b|\bpopulation\b|" + _FOREIGN["count"])),
    ("day", re.compile(r"\b(what|which) (date|day)\b|\bon what (day|date)\b")),
    ("date", re.compile(r"^(when|since when)\b|\bwhen (was|were|did|will|is|does|do)\b|"
                        r"\b(what|which) (date|day|year|month|decade|period|time)\b|"
                        r"\bin which (year|month|decade)\b|\bby (what|which) year\b|"
                        r"\b(year|month|decade) (of|did|was)\b|\bperiod\b|\bmonth\b|"
                        r"\bdeadlines?\b|\b(start|end|closing|due|launch) date\b|"
                        + _FOREIGN["date"])),
    # "How long does a project run", "how long is the belt", "how deep is the mine": a quantity
    # with its unit, which neither a date nor a bare number answers.
    ("measure", re.compile(r"\bhow (long|far|deep|wide|high|tall|close|big|large|heavy)\b")),
    ("name", re.compile(r"^(who|whom|whose)\b|\bwho (is|was|are|were|spoke|talked|chaired|led|"
                        r"leads|wrote|organi[sz]ed)\b|^where\b|\bwhere (was|were|did|is)\b|"
                        r"\b(which|what) (\w+ )?(city|town|country|village|municipality|province|"
                        r"organi[sz]ation|institute|company|university|foundation|department|"
                        r"ministry|law|conference|event|mine|park|region|regions|person|"
                        r"speaker|tool|platform|project|authority|minister)s?\b|"
                        + _FOREIGN["name"])),
    ("code", re.compile(r"\bcode\b")),
]

_LIST_CUES = re.compile(
    r"^(what|which) (are|were)\b|\b(list|name the|kinds? of|types? of|topics|activities|"
    r"areas|themes|pillars|regions|countries|members|partners|organisations|organizations|"
    r"value chains|stakeholders)\b"
)


# "Which ERA-MIN projects presented …", "which Sustainable Development Goals does …": a plural
# noun right after the question word asks for several things.
# Read on the question as typed: the words between may only be names ("ERA-MIN", "Horizon 2020").
_PLURAL_ASKED = re.compile(
    r"^(?:\w+ )?(?:[Ww]hich|[Ww]hat) (?:[A-Z0-9][\w-]* ){0,2}(?!(?:does|is|was|has|this|its|his|us)\b)"
    r"[A-Za-z-]{2,}[^s\W]s (?!of\b)")


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    text: str
    terms: tuple[str, ...]  # unique query tokens, as the lexical index tokenizes them
    types: frozenset[AnswerType]
    wants_list: bool
    words: frozenset[str]  # folded words of the question: an answer must add something new
    counted: str | None = None  # "how many tonnes …": the number must come with "tonnes"
    role: tuple[str, ...] = ()  # "who is the general director of …": the name must come with it


def answer_types_of(question: str) -> frozenset[AnswerType]:
    """The kinds of answer asked for; "on what date" asks for a day, which is also a date."""
    q = fold(question).strip()
    found = {t for t, pattern in _SLOTS if pattern.search(q)}
    return frozenset(found - {"date"} if "day" in found else found)


def profile(question: str) -> QuestionProfile:
    q = fold(question).strip()
    # A follow-up's appended context "(previous question)" says what it is about, not what
    # is asked: "which mine yields tellurium? (In which decade …)" asks for no date.
    asked = re.sub(r"\s*\([^()]*\)$", "", question)
    types = answer_types_of(asked or question)
    return QuestionProfile(
        text=question,
        terms=tuple(dict.fromkeys(tokenize(question, query=True))),
        types=types,
        # "How many partners" wants a number, not the list of partners.
        wants_list=(bool(_LIST_CUES.search(q) or _PLURAL_ASKED.search(question.strip()))
                    and not types & {"count", "amount", "date", "day"}),
        words=frozenset(re.findall(r"\w+", q)),
        counted=counted_noun(question),
        role=role_words(question),
    )


_ROLE = re.compile(
    r"^(?:who|which \w+|what \w+) (?:is|was|are|were) the ((?:\w+ ){0,1}\w+) (?:of|for|in|at|behind)\b"
)


def role_words(question: str) -> tuple[str, ...]:
    """The role a "who is the X of Y" question asks about ("general director", "lead partner"):
    a name in a sentence that does not state that role does not answer it."""
    match = _ROLE.search(fold(question).strip())
    return tuple(tokenize(match.group(1), query=True)) if match else ()


def counted_noun(question: str) -> str | None:
    """The token of what a "how many" question counts ("how many mining companies" -> mine);
    a population is counted in… population."""
    if re.search(r"\bpopulation\b", fold(question)):
        return tokenize("population")[0]
    match = re.search(r"\bhow many\s+(.*)", fold(question))
    tokens = tokenize(match.group(1), query=True) if match else []
    return tokens[0] if tokens else None



_COMMON_CAPS = frozenset(
    "the a an in on at of for and or but this that these those it its he she they we our "
    "their his her there here what which who when where why how is are was were be been "
    "eu european commission project projects region regions partner partners event".split()
)


def _parts(token: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", fold(token)))


@lru_cache(maxsize=16384)
def _entities(text: str) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], bool, bool, bool]:
    """Dates, numbers, codes and names in `text` (with their folded word parts), and whether it
    has number words, money/percent words, and a percent or "double". Cached: the same units
    are checked against many questions."""
    folded = fold(text)
    found: list[tuple[str, tuple[str, ...]]] = []
    found += [("date", _parts(m.group(0))) for m in _DATE.finditer(folded)]
    found += [("day", _parts(m.group(0))) for m in _DAY.finditer(folded)]
    for m in _NUMBER.finditer(folded):
        found.append(("year" if _YEAR.fullmatch(m.group(1)) else "number", _parts(m.group(1))))
    found += [("measure", _parts(m.group(0))) for m in _MEASURE.finditer(folded)]
    found += [("code", _parts(m.group(0))) for m in _CODE.finditer(folded)]
    found += [("name", _parts(m.group(0))) for m in _NAME.finditer(text)
              if fold(m.group(0)) not in _COMMON_CAPS]
    return (tuple(found), bool(_NUMBER_WORDS.search(folded)), bool(_MONEY.search(folded)),
            "%" in folded or "double" in folded)


def types_in(text: str, question_words: frozenset[str] = frozenset()) -> frozenset[AnswerType]:
    """Answer types present in `text` as something the question did not already say."""
    entities, number_words, money, percent = _entities(text)
    new = {kind for kind, parts in entities
           if parts and not all(p in question_words for p in parts)}
    found: set[AnswerType] = set()
    if "date" in new:
        found.add("date")
    if "day" in new:
        found.add("day")
    if "number" in new or number_words:
        found.add("count")
        if money:
            found.add("amount")
    elif money and percent:
        found.add("amount")
    if "measure" in new:
        found.add("measure")
    if "code" in new:
        found.add("code")
    if "name" in new:
        found.add("name")
    return frozenset(found)


def values_in(text: str, question_words: frozenset[str] = frozenset()) -> frozenset[str]:
    """The dates and numbers `text` states that the question did not, as folded words."""
    entities = _entities(text)[0]
    return frozenset(
        part for kind, parts in entities if kind in ("date", "day", "number", "year")
        and not all(p in question_words for p in parts) for part in parts
    )


def has_type(text: str, answer_type: AnswerType) -> bool:
    """Does `text` contain something of the expected answer type?"""
    return answer_type in types_in(text)
