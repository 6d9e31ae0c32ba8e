"""Turning retrieved chunks into a short, cited answer (or a plain refusal)."""
