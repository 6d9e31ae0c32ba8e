"""Documents sent to the bot by admins: size checks, authenticated download, `add_document`.

Only user ids in ``settings.slack_admins`` may add documents; everyone else gets a polite
refusal and the file is never downloaded. The bot token is sent only to Slack (``*.slack.com``
over HTTPS) or to the Web API host the client is configured with (the loopback fake in tests),
redirects included, and is never logged or echoed. The size is checked twice: from the file's
``size`` field before downloading, and on the bytes while reading (a lying or missing size
cannot make the bot read more than ``max_bytes + 1`` bytes).
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from assistant.errors import UploadRejected

HOW_TO_ADD = (
    "To add a document, send it to me as a file in this direct message (PDF, Word, text, Markdown "
    "or HTML, up to {limit}). I read it, add it to the project documents and tell you how it went. "
    "A file already shared in Slack can be added with `/remix add FILE_ID` or `/remix add PERMALINK`."
)
NOT_ADMIN = ("Sorry, only the assistant's admins can add documents. If you think this document "
             "belongs in the project documents, please send it to one of them.")
_FILE_ID = re.compile(r"^F[A-Z0-9]{6,}$")
_PERMALINK = re.compile(r"/files/[^/]+/(F[A-Z0-9]+)")
_CHUNK = 1 << 16


class DocumentService(Protocol):
    def add_document(self, filename: str, data: bytes, *, added_by: str | None = None) -> Any: ...


def megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def file_id_from_arg(arg: str) -> str | None:
    """``F0123ABC`` or a Slack file permalink -> the file id; None if neither."""
    arg = arg.strip().strip("<>").split("|", 1)[0]
    if _FILE_ID.match(arg):
        return arg
    m = _PERMALINK.search(arg)
    return m.group(1) if m else None


def token_may_go_to(url: str, api_base_url: str) -> bool:
    """Slack over HTTPS, or exactly the configured Web API host (scheme, host and port)."""
    target, api = urlsplit(url), urlsplit(api_base_url)
    host = (target.hostname or "").lower()
    if target.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com")):
        return True
    return (target.scheme, target.hostname, target.port) == (api.scheme, api.hostname, api.port)


def outcome_text(name: str, added: Any) -> str:
    """What the admin reads after ``add_document`` (an ``AddedDocument``)."""
    status = getattr(added, "status", "added")
    n = getattr(added, "chunks", 0)
    chunks = f"{n} chunk" if n == 1 else f"{n} chunks"
    if status == "unchanged":
        return f"*{name}* is already in the project documents, unchanged."
    if status == "updated":
        return f"Updated *{name}*: it replaced the earlier version ({chunks})."
    return f"Added *{name}* to the project documents: {chunks}, searchable now."


@dataclass
class Intake:
    """Turns one Slack file object into an ``add_document`` call and a user-facing outcome."""

    service: DocumentService
    admins: frozenset[str]
    max_bytes: int
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("assistant.slack"))

    def is_admin(self, user: str | None) -> bool:
        return bool(user) and user in self.admins

    def add(self, client: Any, file: Mapping[str, Any], *, user: str) -> str:
        """Check, download and add ``file``; the returned text goes to the user as is."""
        if not self.is_admin(user):
            return NOT_ADMIN
        if "url_private_download" not in file or "size" not in file:  # e.g. check_file_info
            file = client.files_info(file=file["id"])["file"]
        name = str(file.get("name") or file.get("title") or file.get("id") or "document")
        try:
            size = int(file.get("size") or 0)
            if size > self.max_bytes:
                raise UploadRejected(f"it is {megabytes(size)}; the limit is {megabytes(self.max_bytes)}")
            data = self.download(client, str(file.get("url_private_download") or ""))
            report = self.service.add_document(name, data, added_by=user)
        except UploadRejected as e:
            self.logger.info("Upload of %s by %s refused: %s", name, user, e)
            return f"I could not add *{name}*: {e}"
        return outcome_text(name, report)

    def download(self, client: Any, url: str) -> bytes:
        """GET ``url`` with the bot token; UploadRejected when it is too big or unreachable."""
        if not url or not token_may_go_to(url, client.base_url):
            raise UploadRejected("Slack gave no download link I can use for it")
        opener = urllib.request.build_opener(_SafeRedirect(client.base_url))
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
        try:
            with opener.open(request, timeout=60) as resp:
                if "text/html" in resp.headers.get("Content-Type", "") and not url.lower().endswith(
                    (".html", ".htm")
                ):
                    # Slack's answer to a token without files:read is its login page, with a 200
                    raise UploadRejected("Slack did not hand me the file (the app needs the "
                                         "files:read scope)")
                return self._read_limited(resp)
        except (urllib.error.URLError, OSError) as e:
            self.logger.warning("Download failed: %s", getattr(e, "code", None) or type(e).__name__)
            raise UploadRejected("I could not download it from Slack; please try again") from None

    def _read_limited(self, resp: Any) -> bytes:
        data = bytearray()
        while chunk := resp.read(_CHUNK):
            data += chunk
            if len(data) > self.max_bytes:
                raise UploadRejected(f"it is larger than the limit of {megabytes(self.max_bytes)}")
        return bytes(data)


class _SafeRedirect(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only where the token may go (urllib would forward it anywhere)."""

    def __init__(self, api_base_url: str) -> None:
        self.api_base_url = api_base_url

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        if not token_may_go_to(newurl, self.api_base_url):
            raise UploadRejected("Slack redirected the download somewhere I will not send the token")
        return super().redirect_request(req, fp, code, msg, headers, newurl)
