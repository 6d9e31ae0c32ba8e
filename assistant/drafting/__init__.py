"""Drafting the six-monthly Thematic S3 Partnership Monitoring Progress Report: each section
built from the project memory (tables) or the documents' own sentences (narrative), every
sentence and row cited, rendered as Markdown or Word."""

from .build import build_draft
from .models import Draft, DraftItem
from .render_docx import render_docx
from .render_md import coordinator_notes, render_markdown
from .sections import SECTIONS, SectionSpec, UnknownSectionError

__all__ = ["SECTIONS", "Draft", "DraftItem", "SectionSpec", "UnknownSectionError",
           "build_draft", "coordinator_notes", "render_docx", "render_markdown"]
