"""Documents sent to the bot: admins' files are downloaded with the bot token and added; others refused."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeslack import FakeSlack
from slackkit import Bot, FakeService, message, start_bot

from assistant.slack import uploads

ADMIN, TOKEN, LIMIT = "U_ADMIN", "xoxb-test-token", 1000


@pytest.fixture
def admin_bot(tmp_path: Path, slack: FakeSlack, service: FakeService) -> Iterator[Bot]:
    yield from start_bot(tmp_path, slack, service, slack_admins=[ADMIN], upload_max_bytes=LIMIT)


def send_file(bot: Bot, name: str, data: bytes, *, user: str = ADMIN, ts: str = "50.000001",
              **overrides: Any) -> dict[str, Any]:
    file = {**bot.slack.add_file(name, data, user=user), **overrides}
    bot.event(message("", ts=ts, channel="D_ADMIN", channel_type="im", user=user,
                      subtype="file_share", files=[file]))
    return file


def outcome(bot: Bot) -> str:
    """The final reply in the DM (the "Reading …" placeholder replaced)."""
    bot.slack.wait_for(lambda: bot.slack.of("chat.update") or
                       [m for m in bot.slack.of("chat.postMessage") if "Reading" not in m["text"]],
                       what="upload outcome")
    bot.settle()
    updates = bot.slack.of("chat.update")
    return updates[-1]["text"] if updates else bot.slack.of("chat.postMessage")[-1]["text"]


def downloads(bot: Bot) -> list[dict[str, Any]]:
    return [c.body for c in bot.slack.recorded() if c.method.startswith("download:")]


def test_admin_upload_is_downloaded_with_the_token_and_added(admin_bot: Bot) -> None:
    send_file(admin_bot, "report.txt", b"REMIX report text")
    text = outcome(admin_bot)
    assert text == "Added *report.txt* to the project documents: 3 chunks, searchable now."
    assert admin_bot.service.documents == [
        {"filename": "report.txt", "data": b"REMIX report text", "added_by": ADMIN}]
    assert downloads(admin_bot) == [{"authorised": True}]
    assert all(m["channel"] == "D_ADMIN" for m in admin_bot.slack.of("chat.postMessage"))


def test_rejected_upload_tells_the_reason(admin_bot: Bot) -> None:
    send_file(admin_bot, "tool.exe", b"MZ...")
    text = outcome(admin_bot)
    assert "I could not add *tool.exe*" in text and "not a supported type" in text


def test_oversized_file_is_not_downloaded(admin_bot: Bot) -> None:
    send_file(admin_bot, "huge.pdf", b"x" * (LIMIT + 1))
    assert "the limit is 1 KB" in outcome(admin_bot)
    assert downloads(admin_bot) == [] and admin_bot.service.documents == []


def test_size_is_checked_again_on_the_bytes(admin_bot: Bot) -> None:
    send_file(admin_bot, "liar.pdf", b"x" * (LIMIT * 3), size=10)
    assert "larger than the limit" in outcome(admin_bot)
    assert admin_bot.service.documents == []


def test_non_admin_is_refused_and_nothing_is_downloaded(admin_bot: Bot) -> None:
    send_file(admin_bot, "report.txt", b"text", user="U1")
    assert outcome(admin_bot) == uploads.NOT_ADMIN
    assert downloads(admin_bot) == [] and admin_bot.service.documents == []
    assert admin_bot.service.calls == []  # not treated as a question either


def test_file_object_without_download_url_is_looked_up(admin_bot: Bot) -> None:
    file = admin_bot.slack.add_file("notes.md", b"# notes", user=ADMIN)
    admin_bot.event(message("", ts="51.000001", channel="D_ADMIN", channel_type="im", user=ADMIN,
                            subtype="file_share", files=[{"id": file["id"], "file_access": "check_file_info"}]))
    assert outcome(admin_bot).startswith("Added *notes.md*")
    assert [c["file"] for c in admin_bot.slack.of("files.info")] == [file["id"]]


def test_token_never_sent_elsewhere_nor_logged(admin_bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    send_file(admin_bot, "elsewhere.pdf", b"x", url_private_download="http://127.0.0.2:9/file.pdf")
    assert "no download link I can use" in outcome(admin_bot)
    send_file(admin_bot, "gone.pdf", b"x", ts="52.000001",
              url_private_download=admin_bot.slack.url + "/files-pri/T1-FNOPE/download/gone.pdf")
    send_file(admin_bot, "ok.txt", b"fine", ts="53.000001")
    admin_bot.slack.wait_for(lambda: len(admin_bot.slack.of("chat.update")) >= 3, what="three outcomes")
    admin_bot.settle()
    replies = [m["text"] for m in admin_bot.slack.of("chat.update")]
    # The two later uploads are handled side by side: either may finish first.
    later = replies[1:3]
    assert sum("could not download it" in r for r in later) == 1
    assert sum(r.startswith("Added *ok.txt*") for r in later) == 1
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert logged  # debug logging really ran
    assert TOKEN not in logged
    assert TOKEN not in json.dumps([c.body for c in admin_bot.slack.recorded()])


def test_remix_add_for_admins_and_others(admin_bot: Bot) -> None:
    assert json.loads(admin_bot.command("add", user="U1").body)["text"] == uploads.NOT_ADMIN
    how = json.loads(admin_bot.command("add", user=ADMIN).body)["text"]
    assert "send it to me as a file in this direct message" in how and "up to 1 KB" in how
    assert "is neither a Slack file id" in json.loads(admin_bot.command("add nonsense", user=ADMIN).body)["text"]

    file = admin_bot.slack.add_file("plan.docx", b"PK..", user=ADMIN)
    admin_bot.command(f"add {file['id']}", user=ADMIN, response="add1")
    admin_bot.command(f"add <{file['permalink']}>", user=ADMIN, response="add2")
    for name in ("add1", "add2"):
        reply = admin_bot.slack.wait_for(lambda n=name: admin_bot.slack.of(f"response:{n}"), what=name)[0]
        assert reply["text"].startswith("Added *plan.docx*")
    admin_bot.settle()
    assert [d["added_by"] for d in admin_bot.service.documents] == [ADMIN, ADMIN]


def test_token_only_goes_to_slack_or_the_configured_api() -> None:
    api = "http://127.0.0.1:5000/api/"
    assert uploads.token_may_go_to("https://files.slack.com/files-pri/T-F/x.pdf", api)
    assert uploads.token_may_go_to("http://127.0.0.1:5000/files-pri/T-F/x.pdf", api)
    for url in ("http://files.slack.com/x", "https://slack.com.evil.org/x", "http://127.0.0.1:5001/x",
                "https://evilslack.com/x"):
        assert not uploads.token_may_go_to(url, api)


def test_file_id_from_arg() -> None:
    assert uploads.file_id_from_arg("F0123ABCD") == "F0123ABCD"
    assert uploads.file_id_from_arg("<https://t.slack.com/files/U1/F0ABCDEFG/a.pdf|a.pdf>") == "F0ABCDEFG"
    assert uploads.file_id_from_arg("hello") is None


def test_real_service_is_not_needed_to_start_without_admins(tmp_path: Path, slack: FakeSlack) -> None:
    with contextlib.contextmanager(start_bot)(tmp_path, slack, FakeService()) as bot:
        send_file(bot, "report.txt", b"x")
        assert outcome(bot) == uploads.NOT_ADMIN  # no admins configured: nobody may add
