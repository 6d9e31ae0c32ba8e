"""Structured project memory: events, regions, organisations, working areas and acronyms
extracted at ingest from the structured chunks, each item with the chunk it came from."""
