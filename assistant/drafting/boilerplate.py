"""Telling the report form's own text (prompts, field labels, instructions) from what the
partnership wrote in it.

A monitoring report is a filled-in form: its prompts ("Please provide ...", "Evaluation of the
involvement of relevant business sector ... (specific examples)") share every word with a
section's queries, so a relevance ranking would quote the form back at the coordinator. The
prompts are still useful, as the *context* of the answer written under them, so they are
recognised here rather than dropped at ingest.
"""

from __future__ import annotations

import re

from ..retrieval.lexical import fold

# Openings of the fixed text of the Thematic S3 Partnership Monitoring Progress Report form
# (the same in every six-monthly report), folded to lower case without accents.
TEMPLATE_LABELS = (
    "thematic smart specialisation",
    "fields marked with",
    "this report is presented to",
    "the report is updated every",
    "the management report (section i)",
    "the part on self-assessment",
    "based on the monitoring results",
    "reporting period",
    "start date of your partnership",
    "partnership's webpage",
    "i. management report",
    "ii. progress report",
    "iii. self-assessment",
    "innovative results",
    "inter-regional and inter-partnership collaborative results",
    "new activities",
    "tangible short- and medium-term",
    "additional results obtained from working with other partnerships",
    "evaluation of the involvement of relevant business",
    "evaluation of whether the level of inter-regional cooperation",
    "involvement of regions from eu13",
    "involvement of regions/countries from outside",
    "in addition, justification should be provided",
    "advancement and promotion of the partnership through",
    "activities and projects with partnerships working under other",
    "your partnership and the un 2030",
    "the eu has a strong position when it comes to sustainable development",
    "many interregional partnerships under the thematic s3 platforms contribute",
)
_INSTRUCTION = re.compile(
    r"^(\*\s*)?(please\b|if possible\b|e\.g\.|for example:|fields marked\b|confidentiality\b)",
    re.IGNORECASE)
_PROMPT_MARK = re.compile(r"\(\s*specific examples?\s*\)|\(\s*number of\b|\bspecify\b",
                          re.IGNORECASE)
_QA = re.compile(r"^(?P<prompt>[^:]{8,300}?):\s+(?P<answer>\S.*)$")
MIN_WORDS = 5  # shorter answers ("Next report", "In progress") say nothing a draft can use


def is_label(text: str, *, headings: tuple[str, ...] = ()) -> bool:
    """Form text: an instruction, a prompt, a field label or a heading of the chunk."""
    stripped = text.strip().strip("*").strip()
    folded = fold(stripped)
    if not folded:
        return True
    if _INSTRUCTION.match(stripped) or _PROMPT_MARK.search(stripped):
        return True
    if stripped.endswith("?"):  # the form's questions ("... does your partnership contribute?")
        return True
    if any(folded.startswith(label) for label in TEMPLATE_LABELS):
        return True
    return any(folded == fold(h).strip() for h in headings if h)


def answer_part(text: str) -> tuple[str, str] | None:
    """("prompt", "answer") for a form line "Please describe …: the answer", else None."""
    m = _QA.match(text.strip())
    if m is None:
        return None
    prompt = m.group("prompt")
    if _INSTRUCTION.match(prompt) or _PROMPT_MARK.search(prompt) or any(
            fold(prompt).startswith(label) for label in TEMPLATE_LABELS):
        return prompt, m.group("answer").strip()
    return None


def too_short(text: str) -> bool:
    return len(text.split()) < MIN_WORDS
