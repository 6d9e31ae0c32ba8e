"""Persistence (store) and hybrid search over chunks."""
