"""What a question asks for: its content terms and the kind of answer that would satisfy it.

The expected answer type serves twice: it ranks candidate sentences (a "when" question is
answered by a sentence with a date) and it guards against guessing (a "how many" question is
not answered by a sentence without a number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..retrieval.lexical import fold, tokenize

AnswerType = Literal["count", "amount", "date", "person", "place", "list", "any"]

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|spring|summer|autumn|fall|winter|"
    "tammikuu\\w*|helmikuu\\w*|maaliskuu\\w*|huhtikuu\\w*|toukokuu\\w*|kesakuu\\w*|heinakuu\\w*|"
    "elokuu\\w*|syyskuu\\w*|lokakuu\\w*|marraskuu\\w*|joulukuu\\w*|"
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    "januar|februar|marz|juni|juli|oktober|dezember|"
    "stycz\\w*|lut\\w*|marc\\w*|kwie\\w*|maj\\w*|czerw\\w*|lip\\w*|sierp\\w*|wrze\\w*|pazdz\\w*|"
    "listop\\w*|grud\\w*"
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
_DATE = re.compile(
    rf"\b(\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}|\d{{1,2}}[./]\d{{1,2}}\.?|"
    rf"(?:{_MONTHS})\b|(1[89]\d\d|20\d\d)(-\d{{2}})?)",
)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:[ ,.]\d{3})+|\d+(?:[.,]\d+)?)(?![\w])")
_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|dozen|several|double|triple|half)\b"
)
_MONEY = re.compile(
    r"(€|\beur\b|\beuros?\b|\busd\b|\$|£|\bmillion\b|\bbillion\b|\bmeur\b|\bm€|\bmillones\b|"
    r"\bmiljoon\w*|\bmln\b|\bmio\b)"
)
_PERCENT = re.compile(r"\d\s?%|\bper ?cent\b|\bpercent\b")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-ÖØ-ÞĀ-Ž][\w’'-]+")

_LIST_CUES = re.compile(
    r"^(what|which) (are|were)\b|\b(list|name the|kinds? of|types? of|topics|activities|"
    r"areas|themes|pillars|regions|countries|members|partners|organisations|organizations)\b"
)


@dataclass(frozen=True, slots=True)
class QuestionProfile:
    text: str
    terms: tuple[str, ...]  # unique query tokens, as the lexical index tokenizes them
    answer_type: AnswerType
    wants_list: bool


def answer_type_of(question: str) -> AnswerType:
    q = fold(question)
    if re.search(r"\bhow much\b|\bbudget\b|\bfunding\b|\bin euros?\b|\bcost\b|\bcontribution\b", q):
        return "amount"
    if re.search(r"\bhow many\b|\bnumber of\b|\bhow large\b|\bpopulation\b", q):
        return "count"
    if re.search(
        r"^(when|since when)\b|\bwhen (was|were|did|will|is|does|do)\b|\bwhat date\b|"
        r"\bon what (day|date)\b|\b(which|what|in which|by what|by which) (year|month|decade|"
        r"period|date|day)\b|\bhow long\b",
        q,
    ):
        return "date"
    if re.search(r"^(who|whom)\b|\bwho (is|was|are|were|spoke|talked|chaired|led|leads)\b", q):
        return "person"
    if re.search(r"^where\b|\bin which (city|town|country|place|village|municipality)\b", q):
        return "place"
    return "any"


def profile(question: str) -> QuestionProfile:
    terms = tuple(dict.fromkeys(tokenize(question, query=True)))
    q = fold(question).strip()
    return QuestionProfile(
        text=question,
        terms=terms,
        answer_type=answer_type_of(question),
        wants_list=bool(_LIST_CUES.search(q)),
    )


def has_type(text: str, answer_type: AnswerType) -> bool:
    """Does `text` contain something of the expected answer type?"""
    folded = fold(text)
    if answer_type == "date":
        return bool(_DATE.search(folded))
    if answer_type == "count":
        numbers = [m.group(1) for m in _NUMBER.finditer(folded)]
        if any(not _YEAR.fullmatch(n) for n in numbers):
            return True
        return bool(_NUMBER_WORDS.search(folded))
    if answer_type == "amount":
        return bool((_NUMBER.search(folded) or _NUMBER_WORDS.search(folded))
                    and (_MONEY.search(folded) or _PERCENT.search(folded)))
    if answer_type in ("person", "place"):
        return bool(_CAPITALISED.search(text))
    return True
