"""Form questions and their answers → one `qa` block (or a heading over a long answer).

In an exported survey ("* Reporting period" / "January - June 2020") the answer alone means
nothing: "January - June 2020" only answers "when was the reporting period" while it stays next
to its question. So a question and its answer are fused into one block that the chunker never
splits. Answers too long to keep whole (an executive summary) keep their question as a heading.
"""

from __future__ import annotations

import re

from assistant.ingest.paras import Para, ends_sentence, word_count

#: Answers up to this many words are kept with their question in one unsplittable block.
QA_MAX_WORDS = 150
_SHORT_ANSWER_WORDS = 15

_PLEASE_RE = re.compile(
    r"^please\s+(?:provide|describe|indicate|select|list|specify|give|explain|state|enter|"
    r"outline|summari[sz]e|identify|tell|add|name|report|insert|choose|upload|mention|fill|"
    r"detail|rate|evaluate|assess)\b",
    re.IGNORECASE,
)
_SENTENCE_INSIDE_RE = re.compile(r"[.!?]\s+[A-Z]")
_URL_RE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
# "* Reporting period" / "Reporting period *" typed into a Word or PDF form: the star is text
# there, not markdown (a .txt export reads it as a list marker, handled by `_lone_star_item`).
_STAR_MARK_RE = re.compile(r"^\*{1,3}\s*(?=[^\W\d_])|\s+\*{1,3}$")


def _lone_star_item(paras: list[Para], i: int) -> bool:
    """ "* Reporting period" is a form question, not a one-item list: it stands alone and is
    followed, after a blank line, by something that is not a list item."""
    para = paras[i]
    if not para.gap_after or i + 1 >= len(paras) or paras[i + 1].kind == "list_item":
        return False
    return para.gap_before or i == 0 or paras[i - 1].kind != "list_item"


def _strip_star_mark(para: Para) -> None:
    """A one-line paragraph that starts (or ends) with the form's mandatory-field star."""
    if para.kind != "text" or para.explicit or para.star or "\n" in para.text:
        return
    text = _STAR_MARK_RE.sub("", para.text)
    if text != para.text and text.strip() and "*" not in text:  # "*italic* …" is markdown
        para.text, para.star = text.strip(), True


def mark_questions(paras: list[Para]) -> None:
    """Flag starred form questions, "Please provide …" prompts and short FAQ questions."""
    for i, para in enumerate(paras):
        if para.kind == "list_item" and para.marker == "*" and _lone_star_item(paras, i):
            para.kind, para.star = "text", True
        _strip_star_mark(para)
        if para.kind != "text" or para.explicit or "\n" in para.text:
            continue
        words = word_count(para.text)
        if para.star:
            para.question = words <= 60
        elif _PLEASE_RE.match(para.text):
            para.question = words <= 40
        elif para.text.rstrip().endswith("?"):
            para.question = words <= 25 and not _SENTENCE_INSIDE_RE.search(para.text.rstrip()[:-1])


def _looks_like_prompt(para: Para) -> bool:
    """An unfinished line of 8+ words after a blank line is the next (unmarked) form prompt,
    e.g. "Tangible short- and medium-term … impacts (specific examples)"."""
    text = para.text.rstrip()
    return (
        para.kind == "text"
        and "\n" not in text
        and not ends_sentence(text)
        and not text.endswith(":")
        and word_count(text) >= 8
    )


def _answer_end(paras: list[Para], i: int) -> int:
    """Index just after the answer of question i: it runs to the next heading, question or
    table, or to an unmarked prompt after a paragraph break."""
    j = i + 1
    while j < len(paras):
        nxt = paras[j]
        if nxt.kind in ("heading", "table_row") or nxt.question or nxt.bold:
            break
        if j > i + 1 and nxt.gap_before and (_looks_like_prompt(nxt) or _short_answer(paras, i)):
            break
        j += 1
    return j


def _short_answer(paras: list[Para], i: int) -> bool:
    """A one-line answer ("Fall 2019") ends at the next blank line: what follows is the next
    field of the form ("Partnership's webpage"), not more answer."""
    first = paras[i + 1]
    if first.kind != "text" or not first.gap_after or first.text.rstrip().endswith(":"):
        return False
    return word_count(first.text) <= _SHORT_ANSWER_WORDS and not ends_sentence(first.text)


def _clean_question(text: str) -> str:
    return text.strip().strip("*").strip().rstrip(":").strip()


def _answer_line(para: Para) -> str:
    if para.kind == "list_item" and not para.marker[:1].isdigit():
        return f"- {para.text}"
    return para.text


def _qa_para(question: Para, answer: list[Para]) -> Para:
    """One line "Question: short answer", or else the question then the answer lines."""
    q = _clean_question(question.text)
    lines = [_answer_line(p) for p in answer]
    one_liner = (
        len(lines) == 1 and "\n" not in lines[0] and word_count(lines[0]) <= _SHORT_ANSWER_WORDS
    )
    if one_liner and answer[0].kind == "text" and q[-1:] not in "?.!":
        text = f"{q}: {lines[0]}"
    else:
        text = "\n".join([q, *lines])
    return Para(
        text,
        "qa",
        page=question.page,
        gap_before=question.gap_before,
        gap_after=answer[-1].gap_after,
        question=True,
    )


def answered(question: Para, answer: list[Para]) -> list[Para]:
    """A question with its (non-empty) answer: one `qa` block, or the question as a heading
    over an answer too long to keep whole. Loaders that know where an answer ends (a cell of a
    prompt/answer table) call this directly and mark the result `explicit`."""
    if sum(word_count(p.text) for p in answer) <= QA_MAX_WORDS:
        return [_qa_para(question, answer)]
    question.text, question.kind = _clean_question(question.text), "heading"
    question.question = True
    return [question, *answer]


def group_answers(paras: list[Para]) -> list[Para]:
    """Fuse each flagged question with its answer (see module docstring)."""
    out: list[Para] = []
    i = 0
    while i < len(paras):
        para = paras[i]
        if para.explicit:  # already grouped by its loader
            out.append(para)
            i += 1
            continue
        end = _answer_end(paras, i) if para.question else i + 1
        answer = paras[i + 1 : end]
        if not para.question or not answer:
            para.question = False  # e.g. a prompt directly above its table: a caption
            out.append(para)
            i += 1
            continue
        out.extend(answered(para, answer))
        i = end
    return out


def is_prompt(text: str) -> bool:
    """Does a line read as a form prompt on its own: a starred field, a "Please …" request,
    or a label ending in ':' or '?'? (Used on the first column of prompt/answer tables.)"""
    text = text.strip()
    if not text or "\n" in text or word_count(text) > 60:
        return False
    return (
        text.startswith("*")
        or text.endswith(("*", ":", "?"))
        or bool(_PLEASE_RE.match(text))
    )


def label_value(text: str) -> list[Para]:
    """ "Reporting period: January - June 2020" in one table cell: the label and its value as
    one `qa` block ([] when the text is not a short label followed by a value)."""
    label, sep, value = text.partition(":")
    label, value = _clean_question(label), value.strip()
    if not sep or "\n" in text or not label or not value or value.startswith("//"):
        return []
    if word_count(label) > 12 or ends_sentence(label) or word_count(value) > QA_MAX_WORDS:
        return []
    return [Para(f"{label}: {value}", "qa", explicit=True, question=True)]


def _is_label_pair(paras: list[Para], i: int) -> bool:
    """ "Fecha de comienzo:" then "9 de abril de 2019" on its own: a label and its value."""
    if i + 1 >= len(paras):
        return False
    label, value = paras[i], paras[i + 1]
    if label.kind != "text" or value.kind != "text" or label.question or value.question:
        return False
    if label.star or "\n" in label.text or "\n" in value.text or not value.gap_after:
        return False
    if _URL_RE.match(value.text):  # "Partnership's webpage" / "https://…"
        return word_count(label.text) <= 6 and not ends_sentence(label.text)
    return (
        label.text.endswith(":")
        and word_count(label.text) <= 8
        and word_count(value.text) <= 20
        and not value.text.endswith(":")
    )


def pair_labels(paras: list[Para]) -> list[Para]:
    """Join "Label:" lines with the short value paragraph below them into a `qa` block."""
    out: list[Para] = []
    i = 0
    while i < len(paras):
        if _is_label_pair(paras, i):
            label, value = paras[i], paras[i + 1]
            sep = " " if label.text.endswith(":") else ": "
            out.append(
                Para(
                    f"{label.text}{sep}{value.text}",
                    "qa",
                    page=label.page,
                    gap_before=label.gap_before,
                    gap_after=value.gap_after,
                )
            )
            i += 2
            continue
        out.append(paras[i])
        i += 1
    return out
