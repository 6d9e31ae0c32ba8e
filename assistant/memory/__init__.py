"""Structured project memory: events, regions, organisations, working areas and acronyms
extracted at ingest from the structured chunks, each item with the chunk it came from."""

from .models import ProjectMemory

# Bump when extraction rules change: the next ingest re-reads every file (no re-embedding).
MEMORY_VERSION = 4  # 2: date texts without trailing punctuation; 3: definitions, S3-style
# acronyms, form answers in Word tables and PDF tables; 4: regions by official name in prose


def extract_memory(doc, chunks) -> ProjectMemory:  # type: ignore[no-untyped-def]
    """The memory of one document (rules in `extract.py`, imported on first use: dateparser
    loads its language data lazily and only ingest needs it)."""
    from .extract import extract_memory as extract

    return extract(doc, chunks)
