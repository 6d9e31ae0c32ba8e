"""`Answer.confidence` as a calibrated probability that the answer is right, and the hedge.

The answerers' own scores (support, coverage, margins...) rank answers but are no
probabilities: 0.6 support is right far more often for a "which regions" list than for a
"how many" number. A logistic regression turns them into one: for an answer over a few of
those signals (`ANSWER_FEATURES`: the wrong answers to learn from are few), for a refusal over
all of them and a few general features of the answer and the question (answered from the
structured memory or not, number of citations, asks for a number / a date / a name / a list,
spelling corrected); fitted on the development QA sets, never per question: `remix-assistant calibrate` writes the
coefficients to calibration.json beside this module, and at run time only a dot product and a
sigmoid are computed (no scikit-learn, no numpy).

Two models, because "right" means two things: for an answer, that it is correct; for a
refusal, that the documents really do not hold the answer. An answer whose calibrated
confidence is below the threshold (chosen on the same sets: confident-wrong answers at most
`MAX_CONFIDENT_WRONG` of all questions, hedging as little as possible) is hedged: it opens with
`HEDGE`, saying that it quotes the closest passages rather than answers. This module is the one
place where the hedge is decided, so the text and the `hedged` flag always agree.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..embedding import E5_NAME
from ..errors import AssistantError
from ..models import Answer
from .extractive import HEDGE
from .question import answer_types_of, profile

DEFAULT_PATH = Path(__file__).with_name("calibration.json")
MAX_CONFIDENT_WRONG = 0.03
FORMAT = 1
# Features that may only raise the probability of being right: the answerer's own support
# score. A negative weight for it is a collinearity artefact of a small sample; the fit drops
# such a feature rather than ship a calibrator that is less sure the better the support.
MONOTONE = ("answer.support",)
# What the answered model reads. An answer is wrong about one time in ten on the development
# sets (10 of 126), and ten wrong answers cannot carry thirty signals: fitted on all of them,
# the model learnt the sets (held-out, at a confident-wrong share of 0.026, it hedged 63 % of
# the questions: 91 of the 116 right answers). These four say what makes an answer likely
# right in general terms: how well the passage supports it, how clearly the chosen sentence
# beats the next best (the margin), whether it holds the kind of value asked for, and whether
# it came from the structured memory; held-out they hedge 21 % at the same share (32 % with
# the share held in each QA set, as `fit` now does).
ANSWER_FEATURES = ("answer.support", "answer.structured", "extractive.margin",
                   "extractive.typed")
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

Source = str  # "extractive" | "structured" | "llm"


def features(answer: Answer, *, query: str, source: Source = "extractive",
             corrected: bool = False) -> dict[str, float]:
    """What the calibrator reads: the answerer's raw signals as they are, plus features of
    the answer (before any hedge) and of the question that mean the same for any answerer."""
    out = {name: float(value) for name, value in answer.signals.items()
           if isinstance(value, (int, float)) and math.isfinite(value)}
    types = answer_types_of(query)
    out.update({
        "answer.support": max(0.0, min(float(answer.confidence), 1.5)),
        "answer.citations": float(min(len(answer.citations), 5)),
        "answer.structured": float(source == "structured"),
        "answer.llm": float(source == "llm"),
        "question.asks_number": float(bool(types & {"count", "amount"})),
        "question.asks_date": float(bool(types & {"date", "day"})),
        "question.asks_name": float("name" in types),
        "question.asks_list": float(profile(query).wants_list),
        "question.words": float(min(len(query.split()), 40)),
        "question.corrected": float(corrected),
    })
    return out


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass(frozen=True, slots=True)
class LogisticModel:
    """p = sigmoid(intercept + sum(coef * (x - mean) / scale)); a feature the input lacks
    counts as its mean (it adds nothing)."""

    features: tuple[str, ...] = ()
    mean: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()
    coef: tuple[float, ...] = ()
    intercept: float = 0.0

    def probability(self, x: Mapping[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef):
            z += w * (x.get(name, mu) - mu) / sd
        return _sigmoid(z)

    def to_json(self) -> dict[str, Any]:
        return {"intercept": self.intercept,
                "weights": {f: {"coef": w, "mean": mu, "scale": sd}
                            for f, w, mu, sd in zip(self.features, self.coef, self.mean, self.scale)}}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "LogisticModel":
        weights = d.get("weights", {})
        names = tuple(weights)
        return cls(features=names,
                   mean=tuple(float(weights[n]["mean"]) for n in names),
                   scale=tuple(float(weights[n]["scale"]) or 1.0 for n in names),
                   coef=tuple(float(weights[n]["coef"]) for n in names),
                   intercept=float(d.get("intercept", 0.0)))


@dataclass(frozen=True, slots=True)
class Calibrator:
    """Applies the fitted coefficients; `Calibrator.load()` reads the shipped JSON."""

    answered: LogisticModel
    refused: LogisticModel
    threshold: float
    info: dict[str, Any] = field(default_factory=dict)

    def probability(self, x: Mapping[str, float], *, answered: bool) -> float:
        return (self.answered if answered else self.refused).probability(x)

    def apply(self, answer: Answer, *, query: str, source: Source = "extractive",
              corrected: bool = False) -> Answer:
        """Sets the calibrated confidence, the hedge (flag and text together) and, in
        `signals`, the features read, so an evaluation run can be fitted on."""
        x = features(answer, query=query, source=source, corrected=corrected)
        p = self.probability(x, answered=answer.answered)
        answer.confidence = p
        answer.signals = x
        return hedge(answer, answer.answered and p < self.threshold)

    # -- the shipped file -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "threshold": self.threshold,
                "answered": self.answered.to_json(), "refused": self.refused.to_json(),
                **self.info}

    def save(self, path: Path = DEFAULT_PATH) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")

    @staticmethod
    def shipped(embedder: str | None = None) -> "Calibrator":
        """The calibration shipped in the package for `embedder` (see `shipped_path`), read
        once per process."""
        return _shipped(shipped_path(embedder))

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> "Calibrator":
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if d.get("format") != FORMAT:
                raise ValueError(f"format {d.get('format')!r}, expected {FORMAT}")
            info = {k: v for k, v in d.items()
                    if k not in ("format", "threshold", "answered", "refused")}
            return cls(answered=LogisticModel.from_json(d["answered"]),
                       refused=LogisticModel.from_json(d["refused"]),
                       threshold=float(d["threshold"]), info=info)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise AssistantError(
                f"cannot read the calibration file {path} ({exc}): re-create it with "
                "`remix-assistant calibrate` (see README, Quality)") from None


@lru_cache(maxsize=4)
def _shipped(path: Path) -> Calibrator:
    return Calibrator.load(path)


def own_path(embedder: str) -> Path:
    """Where the calibration fitted on `embedder`'s signals is written: calibration.json for
    the default embedder (e5), calibration-<name>.json beside it for another one. Support,
    margins and similarities are measured with the embedder, so their meaning differs: fitted
    on e5's, the threshold let MiniLM give wrong answers without a hedge twice as often as the
    target allows."""
    if embedder == E5_NAME:
        return DEFAULT_PATH
    return DEFAULT_PATH.with_name(f"calibration-{re.sub(r'[^A-Za-z0-9._-]+', '-', embedder)}.json")


def shipped_path(embedder: str | None) -> Path:
    """The calibration an `embedder`'s answers go through: its own when one was fitted, else
    the default embedder's."""
    own = own_path(embedder) if embedder else DEFAULT_PATH
    return own if own.exists() else DEFAULT_PATH


def hedge(answer: Answer, hedged: bool) -> Answer:
    """The one place the hedge is written: any hedge an answerer put in is removed, and the
    text opens with `HEDGE` exactly when `hedged` is set."""
    body = answer.text
    if body.startswith(HEDGE):
        body = body.removeprefix(HEDGE).lstrip()
    answer.text = f"{HEDGE}\n{body}" if hedged else body
    answer.hedged = hedged
    return answer


# -- reliability ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bin:
    low: float
    high: float
    count: int
    mean_confidence: float | None
    accuracy: float | None

    def to_json(self) -> dict[str, Any]:
        return {"bin": f"{self.low:.1f}-{self.high:.1f}", "count": self.count,
                "mean_confidence": self.mean_confidence, "accuracy": self.accuracy}


def reliability(pairs: Iterable[tuple[float, bool]], edges: Sequence[float] = BINS) -> list[Bin]:
    """Per confidence bin: how many answers, their mean confidence and how often they were
    right. A calibrated confidence has mean confidence ≈ accuracy in every bin."""
    pairs = list(pairs)
    out = []
    for i, (low, high) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        inside = [(p, ok) for p, ok in pairs if low <= p < high or (last and p == high)]
        n = len(inside)
        out.append(Bin(low, high, n, sum(p for p, _ in inside) / n if n else None,
                       sum(ok for _, ok in inside) / n if n else None))
    return out


def calibration_error(bins: Sequence[Bin]) -> float:
    """Expected calibration error: |accuracy - mean confidence| averaged over answers."""
    total = sum(b.count for b in bins)
    return sum(b.count * abs(b.accuracy - b.mean_confidence) for b in bins
               if b.count) / total if total else 0.0


def reliability_table(bins: Sequence[Bin]) -> str:
    lines = ["  confidence   count   mean conf.   accuracy"]
    for b in bins:
        conf = f"{b.mean_confidence:.2f}" if b.mean_confidence is not None else "–"
        acc = f"{b.accuracy:.2f}" if b.accuracy is not None else "–"
        lines.append(f"  {b.low:.1f}–{b.high:.1f}   {b.count:>7}   {conf:>10}   {acc:>8}")
    return "\n".join(lines)


# -- fitting (development only: needs scikit-learn) -------------------------------------------


@dataclass(frozen=True, slots=True)
class Example:
    """One evaluated question: the features its answer was given, and whether it was right
    (a correct answer; for an unanswerable question, a refusal)."""

    features: Mapping[str, float]
    answered: bool
    right: bool
    group: str = ""  # the QA set it comes from: the confident-wrong target holds for each


@dataclass(slots=True)
class Fit:
    calibrator: Calibrator
    # Out-of-fold probabilities (each predicted by a model that did not see it), in input
    # order: what the threshold and the printed reliability table are computed on.
    held_out: list[float]
    bins: list[Bin]
    confident_wrong: float
    hedged: float

    def report(self) -> str:
        c = self.calibrator
        return "\n".join([
            reliability_table(self.bins),
            f"  calibration error {calibration_error(self.bins):.3f}; hedge below "
            f"{c.threshold:.3f}: confident-wrong {self.confident_wrong:.3f}, hedged "
            f"{self.hedged:.3f} of {len(self.held_out)} questions (held-out predictions)",
        ])


def fit(examples: Sequence[Example], *, max_confident_wrong: float = MAX_CONFIDENT_WRONG,
        folds: int = 5, regularisation: float = 1.0, info: Mapping[str, Any] | None = None,
        answer_features: Sequence[str] | None = ANSWER_FEATURES) -> Fit:
    """Fit both models (the answered one over `answer_features`; None: every feature),
    choose the hedge threshold on held-out predictions so that every group of examples (QA
    set) meets the confident-wrong target, and say how reliable the result is."""
    answered = [i for i, e in enumerate(examples) if e.answered]
    refused = [i for i, e in enumerate(examples) if not e.answered]
    held_out = [0.0] * len(examples)
    models = {}
    for name, rows in (("answered", answered), ("refused", refused)):
        # Support makes an answer likelier right and a refusal likelier wrong: monotone only
        # for answers.
        model, predictions = _fit_one([examples[i] for i in rows], folds=folds,
                                      regularisation=regularisation,
                                      monotone=MONOTONE if name == "answered" else (),
                                      only=answer_features if name == "answered" else None)
        models[name] = model
        for i, p in zip(rows, predictions):
            held_out[i] = p
    wrong = [(held_out[i], not examples[i].right) for i in answered]
    threshold = choose_group_threshold(
        [(held_out[i], not examples[i].right, examples[i].group) for i in answered],
        totals=Counter(e.group for e in examples), max_share=max_confident_wrong)
    calibrator = Calibrator(answered=models["answered"], refused=models["refused"],
                            threshold=threshold, info=dict(info or {}))
    n = max(len(examples), 1)
    confident_wrong = sum(bad and p >= threshold for p, bad in wrong) / n
    hedged = sum(p < threshold for p, _ in wrong) / n
    bins = reliability((held_out[i], e.right) for i, e in enumerate(examples))
    return Fit(calibrator, held_out, bins, confident_wrong, hedged)


def choose_threshold(answers: Sequence[tuple[float, bool]], *, total: int,
                     max_share: float) -> float:
    """The lowest threshold (least hedging) at which the answers at or above it that are wrong
    are at most `max_share` of all `total` questions; halfway between neighbouring
    probabilities, so a tiny change of a probability does not flip a hedge."""
    return choose_group_threshold([(p, bad, "") for p, bad in answers], totals={"": total},
                                  max_share=max_share)


def choose_group_threshold(answers: Sequence[tuple[float, bool, str]], *,
                           totals: Mapping[str, int], max_share: float) -> float:
    """`choose_threshold` for answers from several groups (QA sets) of `totals` questions
    each: the lowest threshold at which every group's kept wrong answers are at most
    `max_share` of its questions (a pooled share could hide one set far above it)."""
    values = sorted({p for p, _, _ in answers})
    below = 0.0
    for p in values + [1.0]:
        kept = Counter(group for q, bad, group in answers if bad and q >= p)
        if all(n <= max_share * totals[group] for group, n in kept.items()):
            return 0.0 if p == values[0] else round((below + p) / 2, 4)
        below = p
    return 1.0


def _fit_one(examples: Sequence[Example], *, folds: int, regularisation: float,
             monotone: Sequence[str] = (), only: Sequence[str] | None = None
             ) -> tuple[LogisticModel, list[float]]:
    """One logistic regression and its out-of-fold predictions, over the features `only`
    (default: every feature the examples have). Too few examples of either outcome: the base
    rate, with no features."""
    rights = [e.right for e in examples]
    n_right, n = sum(rights), len(rights)
    if n == 0 or n_right in (0, n) or min(n_right, n - n_right) < 2:
        rate = (n_right + 1) / (n + 2)  # Laplace: never exactly 0 or 1
        return LogisticModel(intercept=math.log(rate / (1 - rate))), [rate] * n
    names = sorted({k for e in examples for k in e.features if only is None or k in only})
    names = [k for k in names if len({e.features.get(k, 0.0) for e in examples}) > 1]
    while True:
        model = _logistic(examples, names, regularisation)
        negative = [f for f, w in zip(model.features, model.coef) if f in monotone and w < 0]
        if not negative:
            break
        names = [k for k in names if k not in negative]
    return model, _held_out(examples, names, folds, regularisation)


def _matrix(examples: Sequence[Example], names: Sequence[str]):
    import numpy as np

    x = np.array([[e.features.get(k, 0.0) for k in names] for e in examples], dtype=float)
    return x.reshape(len(examples), len(names)), np.array([e.right for e in examples], dtype=int)


def _logistic(examples: Sequence[Example], names: Sequence[str], regularisation: float
              ) -> LogisticModel:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise AssistantError("fitting the calibration needs scikit-learn: "
                             "pip install -e '.[dev]'") from None
    x, y = _matrix(examples, names)
    if not names:
        rate = (y.sum() + 1) / (len(y) + 2)
        return LogisticModel(intercept=float(math.log(rate / (1 - rate))))
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=regularisation, max_iter=1000)
    model.fit((x - mean) / scale, y)
    return LogisticModel(features=tuple(names), mean=tuple(float(v) for v in mean),
                         scale=tuple(float(v) for v in scale),
                         coef=tuple(float(v) for v in model.coef_[0]),
                         intercept=float(model.intercept_[0]))


def _held_out(examples: Sequence[Example], names: Sequence[str], folds: int,
              regularisation: float) -> list[float]:
    """Out-of-fold probabilities: stratified folds, each predicted by a model fitted on the
    others (deterministic)."""
    from sklearn.model_selection import StratifiedKFold

    _, y = _matrix(examples, names)
    k = max(2, min(folds, int(min(y.sum(), len(y) - y.sum()))))
    out = [0.0] * len(examples)
    for train, test in StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(y, y):
        part = [examples[i] for i in train]
        if len({e.right for e in part}) < 2:
            rate = sum(e.right for e in part) / len(part)
            model = LogisticModel(intercept=math.log((rate + 1e-3) / (1 - rate + 1e-3)))
        else:
            model = _logistic(part, names, regularisation)
        for i in test:
            out[i] = model.probability(examples[i].features)
    return out
