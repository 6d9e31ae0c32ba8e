"""Rejected Slack requests are logged without their bodies.

On a failed signature check bolt's ``RequestVerification`` middleware logs, at INFO, the
whole raw request body with the signature ("Invalid request signature detected (signature: …,
timestamp: …, body: …)"). A forged or misrouted request can carry anything — a user's
message, a token pasted by mistake, megabytes of junk — and the bot's log (INFO by default,
see ``commands.slack_command``) is no place for it. This filter keeps the fact and the
timestamp (which tells a stale retry from a forgery) and drops the rest.
"""

from __future__ import annotations

import logging
import re

VERIFICATION_LOGGER = "slack_bolt.RequestVerification"
REJECTED = "Rejected a Slack request: invalid or stale signature (timestamp: {timestamp})"
_TIMESTAMP = re.compile(r"timestamp: ([^,)]*)")


class RedactRejectedRequests(logging.Filter):
    """Rewrites bolt's "Invalid request signature detected" record to a body-free line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Invalid request signature detected"):
            found = _TIMESTAMP.search(message)
            timestamp = found.group(1).strip()[:20] if found else "none"
            record.msg, record.args = REJECTED.format(timestamp=timestamp), None
        return True


def install() -> None:
    """Attach the filter to bolt's verification logger (once per process)."""
    logger = logging.getLogger(VERIFICATION_LOGGER)
    if not any(isinstance(f, RedactRejectedRequests) for f in logger.filters):
        logger.addFilter(RedactRejectedRequests())


__all__ = ["REJECTED", "RedactRejectedRequests", "install"]
