"""The CLI's conversation: the last few questions, so `ask --continue "and Kankberg?"` is read
as a follow-up, the way a Slack thread's earlier questions are.

A small JSON file under ASSISTANT_DATA_DIR; `ask` without --continue starts a new
conversation. The file is a convenience: unreadable or unwritable, it is treated as empty and
the answer is still given.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

FILENAME = "cli-conversation.json"
MAX_TURNS = 3  # only the latest earlier question is read today; a few more cost nothing


@dataclass(frozen=True, slots=True)
class Conversation:
    path: Path

    @classmethod
    def in_dir(cls, data_dir: Path) -> "Conversation":
        return cls(path=Path(data_dir) / FILENAME)

    def history(self) -> list[str]:
        """The earlier questions, oldest first (empty when there is no conversation)."""
        try:
            questions = json.loads(self.path.read_text(encoding="utf-8")).get("questions", [])
        except (OSError, ValueError, AttributeError):
            return []
        return [q for q in questions if isinstance(q, str)][-MAX_TURNS:]

    def record(self, question: str, *, follow_up: bool) -> str | None:
        """Remember `question` (after the earlier ones when it was a follow-up). Returns a
        warning instead of raising when the file cannot be written."""
        questions = (self.history() if follow_up else []) + [question]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"questions": questions[-MAX_TURNS:]}, ensure_ascii=False),
                           encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            return f"could not remember the question for --continue ({exc.strerror}: {self.path})"
        return None
