"""Retrieval and answer quality on a QA file: hit@k, answer / cited accuracy, refusals, latency.

A QA line is {"id", "question", "must": [[alt, ...], ...], "answerable"}; a text satisfies it
when every inner list has one alternative in it, ignoring case and accents.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .models import Answer
from .retrieval.lexical import fold


@dataclass(frozen=True, slots=True)
class QAItem:
    id: str
    question: str
    must: list[list[str]]
    answerable: bool


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            items.append(QAItem(str(d.get("id", len(items))), d["question"], d.get("must", []),
                                bool(d.get("answerable", True))))
    return items


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text))


def satisfies(text: str, must: Sequence[Sequence[str]]) -> bool:
    """Every inner list has an alternative contained in `text` (case and accents ignored)."""
    haystack = _norm(text)
    return all(any(_norm(alt) in haystack for alt in group) for group in must)


@dataclass(slots=True)
class EvalResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def table(self) -> str:
        return "\n".join(f"{k:>22}: {v:.3f}" if isinstance(v, float) else f"{k:>22}: {v}"
                         for k, v in self.metrics.items())


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def evaluate(items: Iterable[QAItem], ask: Callable[[str, str], Answer]) -> EvalResult:
    result = EvalResult()
    latencies: list[float] = []
    for item in items:
        started = time.perf_counter()
        answer = ask(item.question, item.id)
        latencies.append((time.perf_counter() - started) * 1000)
        texts = [h.chunk.text for h in answer.hits]
        quotes = " ".join(c.quote for c in answer.citations)
        row: dict[str, Any] = {
            "id": item.id, "question": item.question, "answerable": item.answerable,
            "answered": answer.answered, "answer": answer.text,
            "confidence": answer.confidence,
            "docs": [h.chunk.doc_id for h in answer.hits[:5]],
        }
        if item.answerable:
            for k in (1, 3, 5):
                row[f"hit@{k}"] = satisfies(" ".join(texts[:k]), item.must)
            row["correct"] = answer.answered and satisfies(answer.text, item.must)
            row["cited"] = row["correct"] and satisfies(quotes, item.must)
        result.items.append(row)
    answerable = [r for r in result.items if r["answerable"]]
    unanswerable = [r for r in result.items if not r["answerable"]]

    def mean(rows: list[dict[str, Any]], key: str) -> float:
        return sum(bool(r[key]) for r in rows) / len(rows) if rows else 0.0

    m = result.metrics
    m["questions"] = len(result.items)
    m["answerable"] = len(answerable)
    for k in (1, 3, 5):
        m[f"hit@{k}"] = mean(answerable, f"hit@{k}")
    m["answer_accuracy"] = mean(answerable, "correct")
    m["cited_accuracy"] = mean(answerable, "cited")
    m["refused_unanswerable"] = (
        sum(not r["answered"] for r in unanswerable) / len(unanswerable) if unanswerable else 0.0
    )
    m["false_refusals"] = (
        sum(not r["answered"] for r in answerable) / len(answerable) if answerable else 0.0
    )
    m["latency_p50_ms"] = _pct(latencies, 50)
    m["latency_p95_ms"] = _pct(latencies, 95)
    return result
