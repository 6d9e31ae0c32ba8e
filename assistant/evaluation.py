"""Retrieval and answer quality on a QA file: hit@k, answer / cited accuracy, refusals, hedges,
confident-wrong answers, calibration and latency, overall and per kind of question.

A QA line is {"id", "question", "must": [[alt, ...], ...], "answerable"} with optional "kind"
(paraphrase, typo, followup, ...) and, for a follow-up, "history": [earlier questions]; a text
satisfies `must` when every inner list has one alternative in it, ignoring case and accents.

"Right" is what a user would call right: a correct answer to an answerable question, a refusal
of an unanswerable one. *Confident-wrong* is the share of all questions given a wrong answer
without a hedge (an answerable question answered wrongly, or an unanswerable one answered,
and the answer not saying it is only the closest passage): the errors that mislead.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .answering.calibration import Bin, calibration_error, reliability, reliability_table
from .errors import AssistantError
from .models import Answer
from .retrieval.lexical import fold


@dataclass(frozen=True, slots=True)
class QAItem:
    id: str
    question: str
    must: list[list[str]]
    answerable: bool
    kind: str = ""
    history: tuple[str, ...] = ()


def load_qa(path: Path) -> list[QAItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(QAItem(str(d.get("id", len(items))), d["question"], d.get("must", []),
                                bool(d.get("answerable", True)), str(d.get("kind") or ""),
                                tuple(str(h) for h in d.get("history") or ())))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise AssistantError(f"{path}:{n}: not a QA line ({exc}); expected "
                                 '{"id", "question", "must", "answerable"}') from None
    return items


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text))


def satisfies(text: str, must: Sequence[Sequence[str]]) -> bool:
    """Every inner list has an alternative contained in `text` (case and accents ignored)."""
    haystack = _norm(text)
    return all(any(_norm(alt) in haystack for alt in group) for group in must)


# The figures, in the order they are shown; rates are None where they are undefined (no
# answerable, or no unanswerable, question in the group).
RATE_KEYS = ("hit@1", "hit@3", "hit@5", "answer_accuracy", "cited_accuracy",
             "refused_unanswerable", "false_refusals", "hedged", "confident_wrong",
             "calibration_error")
_SHORT = {"hit@1": "hit@1", "hit@3": "hit@3", "hit@5": "hit@5", "answer_accuracy": "answer",
          "cited_accuracy": "cited", "refused_unanswerable": "refused", "false_refusals":
          "false ref", "hedged": "hedged", "confident_wrong": "conf.wrong",
          "calibration_error": "cal.err", "latency_p50_ms": "p50 ms"}


@dataclass(slots=True)
class EvalResult:
    items: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    by_kind: dict[str, dict[str, Any]] = field(default_factory=dict)
    bins: list[Bin] = field(default_factory=list)

    def table(self) -> str:
        """The figures, per kind when the set has kinds, then the reliability table."""
        lines = [f"{k:>22}: {_fmt(v)}" for k, v in self.metrics.items()]
        if self.by_kind:
            lines += ["", "per kind:", _kind_table({**self.by_kind, "all": self.metrics})]
        lines += ["", "reliability (confidence bins; right = correct answer, or refusal of an "
                  "unanswerable question):", reliability_table(self.bins)]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "by_kind": self.by_kind,
                "reliability": [b.to_json() for b in self.bins], "items": self.items}


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _kind_table(groups: dict[str, dict[str, Any]]) -> str:
    keys = ("questions", *RATE_KEYS, "latency_p50_ms")
    width = max(len(k) for k in groups) + 2
    head = "kind".ljust(width) + "".join(f"{_SHORT.get(k, 'n'):>10}" for k in keys)
    rows = [head]
    for kind, m in groups.items():
        cells = "".join(f"{(_fmt(m[k]) if k != 'latency_p50_ms' else f'{m[k]:.0f}'):>10}"
                        for k in keys)
        rows.append(kind.ljust(width) + cells)
    return "\n".join(rows)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


Ask = Callable[..., Answer]


def evaluate(items: Iterable[QAItem], ask: Ask) -> EvalResult:
    """Ask every question (`ask(question, id)`, and `history=` for a follow-up) and measure."""
    result = EvalResult()
    for item in items:
        started = time.perf_counter()
        answer = (ask(item.question, item.id, history=list(item.history)) if item.history
                  else ask(item.question, item.id))
        elapsed = (time.perf_counter() - started) * 1000
        result.items.append(score(item, answer, latency_ms=elapsed))
    result.metrics = summarise(result.items)
    kinds = dict.fromkeys(r["kind"] for r in result.items if r["kind"])
    result.by_kind = {k: summarise([r for r in result.items if r["kind"] == k]) for k in kinds}
    result.bins = reliability((r["confidence"], r["right"]) for r in result.items)
    return result


def score(item: QAItem, answer: Answer, *, latency_ms: float) -> dict[str, Any]:
    """One question's row: what was answered, and whether it was right."""
    texts = [h.chunk.text for h in answer.hits]
    quotes = " ".join(c.quote for c in answer.citations)
    row: dict[str, Any] = {
        "id": item.id, "question": item.question, "kind": item.kind,
        "answerable": item.answerable, "answered": answer.answered, "answer": answer.text,
        "confidence": answer.confidence, "hedged": answer.hedged,
        "searched_for": answer.searched_for,
        "docs": [h.chunk.doc_id for h in answer.hits[:5]],
        "latency_ms": latency_ms, "signals": dict(answer.signals),
    }
    if item.history:
        row["history"] = list(item.history)
    if item.answerable:
        for k in (1, 3, 5):
            row[f"hit@{k}"] = satisfies(" ".join(texts[:k]), item.must)
        row["correct"] = answer.answered and satisfies(answer.text, item.must)
        row["cited"] = row["correct"] and satisfies(quotes, item.must)
        row["right"] = row["correct"]
    else:
        row["right"] = not answer.answered
    row["confident_wrong"] = answer.answered and not answer.hedged and not row["right"]
    return row


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a group of rows (a whole set, or one kind of question)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]

    def share(group: Sequence[dict[str, Any]], test: Callable[[dict[str, Any]], bool]
              ) -> float | None:
        return sum(bool(test(r)) for r in group) / len(group) if group else None

    m: dict[str, Any] = {"questions": len(rows), "answerable": len(answerable)}
    for k in (1, 3, 5):
        m[f"hit@{k}"] = share(answerable, lambda r, k=k: r[f"hit@{k}"])
    m["answer_accuracy"] = share(answerable, lambda r: r["correct"])
    m["cited_accuracy"] = share(answerable, lambda r: r["cited"])
    m["refused_unanswerable"] = share(unanswerable, lambda r: not r["answered"])
    m["false_refusals"] = share(answerable, lambda r: not r["answered"])
    m["hedged"] = share(rows, lambda r: r["answered"] and r["hedged"])
    m["confident_wrong"] = share(rows, lambda r: r["confident_wrong"])
    m["calibration_error"] = (calibration_error(reliability((r["confidence"], r["right"])
                                                            for r in rows)) if rows else None)
    latencies = [r["latency_ms"] for r in rows]
    m["latency_p50_ms"] = _pct(latencies, 50)
    m["latency_p95_ms"] = _pct(latencies, 95)
    return m


def combine(results: Sequence[EvalResult]) -> EvalResult:
    """Several sets as one (each row keeps its own figures): the pooled view of a run over
    several QA files."""
    rows = [r for result in results for r in result.items]
    pooled = EvalResult(items=rows, metrics=summarise(rows))
    kinds = dict.fromkeys(r["kind"] for r in rows if r["kind"])
    pooled.by_kind = {k: summarise([r for r in rows if r["kind"] == k]) for k in kinds}
    pooled.bins = reliability((r["confidence"], r["right"]) for r in rows)
    return pooled
