"""Ingest: files → `Document` (loaders) → `Chunk`s (chunking)."""

from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import SUPPORTED_SUFFIXES, load_document

__all__ = ["SUPPORTED_SUFFIXES", "chunk_document", "load_document"]
