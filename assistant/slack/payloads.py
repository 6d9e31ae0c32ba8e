"""Answers as stored for the buttons (feedback, share): JSON in the feedback store, keyed by
the button's value, so a click after a restart still finds what it refers to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.models import Answer, Citation


def answer_payload(answer: Answer, **meta: Any) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.text,
        "answered": answer.answered,
        "sources": [c.to_json() for c in answer.citations],
        "answer_id": answer.id,
        **meta,
    }


def answer_from_payload(p: Mapping[str, Any]) -> Answer:
    return Answer(
        question=p["question"],
        text=p["answer"],
        answered=bool(p["answered"]),
        citations=[
            Citation(
                n=int(s["n"]),
                doc_id=s.get("doc", ""),
                title=s.get("title", ""),
                quote=s.get("quote", ""),
                page=s.get("page"),
                section=s.get("section", ""),
                url=s.get("url"),
            )
            for s in p.get("sources", [])
        ],
        id=p.get("answer_id"),
    )
