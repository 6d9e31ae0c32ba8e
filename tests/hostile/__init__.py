"""Builders of hostile input files, made at test time (no binary blobs in the repo)."""
