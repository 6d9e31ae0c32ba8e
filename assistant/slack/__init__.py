"""Slack front end: a thin bolt app that forwards questions to ``AskService.ask``.

Modules: ``app`` (App + Web API client), ``handlers`` (listeners), ``blocks`` (Block Kit),
``threads`` (thread memory, dedupe), ``slash`` (``/remix`` subcommands), ``runner``
(Socket Mode / HTTP) and ``commands`` (click). Nothing is imported here eagerly so that
``import assistant.slack`` stays cheap for the CLI.
"""
