"""The fake Slack Web API lives in the package (the load test uses it too); re-exported here."""

from assistant.slack.fakeapi import BOT_ID, BOT_USER_ID, Call, FakeSlack, StoredFile

__all__ = ["BOT_ID", "BOT_USER_ID", "Call", "FakeSlack", "StoredFile"]
