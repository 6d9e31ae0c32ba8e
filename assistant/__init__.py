"""REMIX / MIREU document assistant: ingest, cited answers, drafting and a Slack bot."""

__version__ = "0.1.0"
