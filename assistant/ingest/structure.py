"""The structure passes shared by all loaders, in the order they depend on each other."""

from __future__ import annotations

from assistant.ingest.forms import group_answers, mark_questions, pair_labels
from assistant.ingest.headings import assign_levels, mark_headings
from assistant.ingest.paras import Para


def apply_structure(paras: list[Para], *, guess_headings: bool | None = None) -> list[Para]:
    """Find form questions, label/value pairs and unmarked headings; fuse answers; set levels.

    Heading guessing is off by default when the file marks headings itself (markdown `#`,
    docx Heading styles, html h1–h6): then an unmarked short line is just a short line.
    Questions are flagged before headings are guessed (a heading may introduce a question) and
    answers grouped after (an answer ends at the next heading)."""
    paras = [p for p in paras if p.text.strip()]
    if guess_headings is None:
        # a form prompt a loader set over its long answer does not say the file marks headings
        guess_headings = not any(p.kind == "heading" and p.explicit and not p.question
                                 for p in paras)
    mark_questions(paras)
    paras = pair_labels(paras)
    mark_headings(paras, guess=guess_headings)
    paras = group_answers(paras)
    assign_levels(paras)
    return paras
