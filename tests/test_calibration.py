"""The confidence calibrator (assistant/answering/calibration.py): the shipped coefficients,
the run-time arithmetic, the hedge, and the fit (scikit-learn, a dev dependency)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from assistant.answering.calibration import (
    ANSWER_FEATURES, DEFAULT_PATH, MONOTONE, Calibrator, Example, LogisticModel, choose_group_threshold,
    choose_threshold, features, fit,
    hedge, reliability,
)
from assistant.answering.extractive import HEDGE
from assistant.errors import AssistantError
from assistant.models import Answer, Citation
from corpora import SMALL_CORPUS, hash_assistant


def _answer(support: float, *, answered: bool = True, text: str = "It was held in Kemi. [1]",
            signals: dict[str, float] | None = None) -> Answer:
    cites = [Citation(n=1, doc_id="d", title="t", quote="q")]
    return Answer(question="q", text=text, answered=answered, citations=cites,
                  confidence=support, signals=dict(signals or {}))


def test_shipped_calibration_loads_and_is_a_probability_model() -> None:
    shipped = Calibrator.load(DEFAULT_PATH)
    raw = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    assert raw["format"] == 1 and raw["embedder"] and raw["fitted_on"]
    assert 0.0 <= shipped.threshold <= 1.0
    assert shipped.answered.features  # fitted on features, not a bare base rate
    assert all(s > 0 for s in shipped.answered.scale + shipped.refused.scale)
    weights = dict(zip(shipped.answered.features, shipped.answered.coef))
    assert all(weights.get(f, 0.0) >= 0.0 for f in MONOTONE)


@pytest.mark.parametrize("query", [
    "When did the REMIX kick-off meeting take place?", "Which regions lead the partnership?",
    "How many people live in Lapland?", "Who opened the final event?",
])
def test_shipped_calibration_is_monotone_in_support(query: str) -> None:
    shipped = Calibrator.shipped()
    probabilities = [shipped.probability(features(_answer(s / 20), query=query), answered=True)
                     for s in range(0, 31)]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    # Non-decreasing: the fit may find support adds nothing beyond the other features (weight
    # 0), never that more support means less confidence.
    assert all(b >= a for a, b in zip(probabilities, probabilities[1:])), probabilities


def test_probabilities_stay_in_the_unit_interval_for_any_features() -> None:
    model = LogisticModel(features=("a", "b"), mean=(0.0, 1.0), scale=(1.0, 2.0),
                          coef=(40.0, -40.0), intercept=3.0)
    rng = random.Random(1)
    for _ in range(500):
        x = {"a": rng.uniform(-1e6, 1e6), "b": rng.uniform(-1e6, 1e6)}
        assert 0.0 <= model.probability(x) <= 1.0
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(-3.0)))  # means: no effect


def test_fit_recovers_a_known_relation() -> None:
    """Answers right with probability sigmoid(4 * (support - 0.5)); a noise feature."""
    rng = random.Random(7)
    examples = []
    for _ in range(3000):
        support, noise = rng.random(), rng.random()
        right = rng.random() < 1 / (1 + math.exp(-4 * (support - 0.5)))
        examples.append(Example({"answer.support": support, "noise": noise}, True, right))
    model = fit(examples, max_confident_wrong=0.03, answer_features=None).calibrator.answered
    weights = dict(zip(model.features, model.coef))
    scales = dict(zip(model.features, model.scale))
    assert weights["answer.support"] / scales["answer.support"] == pytest.approx(4.0, rel=0.15)
    assert abs(weights["noise"]) < 0.15
    for support in (0.1, 0.5, 0.9):
        p = model.probability({"answer.support": support, "noise": 0.5})
        assert p == pytest.approx(1 / (1 + math.exp(-4 * (support - 0.5))), abs=0.05)


def test_fit_threshold_keeps_confident_wrong_under_the_target() -> None:
    rng = random.Random(3)
    examples = [Example({"answer.support": s}, True, rng.random() < s)
                for s in (rng.random() for _ in range(400))]
    examples += [Example({"answer.support": rng.random() / 2}, False, True) for _ in range(40)]
    result = fit(examples, max_confident_wrong=0.03)
    assert result.confident_wrong <= 0.03
    assert 0.0 < result.calibrator.threshold < 1.0
    assert 0.0 < result.hedged < 1.0
    # A looser target hedges less.
    assert fit(examples, max_confident_wrong=0.2).hedged < result.hedged


def test_fit_never_lets_more_support_mean_less_confidence() -> None:
    """A negative weight for the support (here from a collinear feature) is dropped."""
    rng = random.Random(5)
    examples = []
    for _ in range(600):
        good = rng.random()
        support = good + rng.gauss(0, 0.05)
        examples.append(Example({"answer.support": support, "twin": 2 * good - 0.2 * support},
                                True, rng.random() < good))
    model = fit(examples, answer_features=None).calibrator.answered
    assert "twin" in model.features  # the fit saw the collinear feature
    weights = dict(zip(model.features, model.coef))
    assert weights.get("answer.support", 0.0) >= 0.0


def test_choose_threshold_is_the_least_hedging_that_meets_the_target() -> None:
    answers = [(0.9, False), (0.8, False), (0.7, True), (0.6, False), (0.3, True)]
    assert choose_threshold(answers, total=10, max_share=0.2) == 0.0  # 2 wrong of 10 allowed
    assert choose_threshold(answers, total=10, max_share=0.1) == pytest.approx(0.45)
    assert choose_threshold(answers, total=10, max_share=0.0) == pytest.approx(0.75)


def test_the_threshold_holds_the_target_in_every_group_not_only_pooled() -> None:
    # 10 questions in each of two sets; set b has both wrong answers at 0.8 and 0.9
    answers = [(0.9, True, "b"), (0.8, True, "b"), (0.7, False, "a"), (0.95, False, "a"),
               (0.6, True, "a")]
    totals = {"a": 10, "b": 10}
    # pooled, the two wrong answers of set b are 2 of 20, within 0.1; in set b they are 0.2
    assert choose_threshold([(p, bad) for p, bad, _ in answers], total=20,
                            max_share=0.1) == pytest.approx(0.65)
    assert choose_group_threshold(answers, totals=totals, max_share=0.1) == pytest.approx(0.85)
    assert choose_group_threshold(answers, totals=totals, max_share=0.2) == 0.0


def test_the_answer_model_reads_only_the_answer_features() -> None:
    rng = random.Random(11)
    examples = [Example({"answer.support": s, "extractive.margin": rng.random(), "noise": 1 - s},
                        True, rng.random() < s) for s in (rng.random() for _ in range(300))]
    model = fit(examples).calibrator.answered
    assert set(model.features) <= set(ANSWER_FEATURES) and "noise" not in model.features
    assert "noise" in fit(examples, answer_features=None).calibrator.answered.features


def test_hedge_text_and_flag_always_agree() -> None:
    already = _answer(0.3, text=f"{HEDGE}\nIt was held in Kemi. [1]")
    assert hedge(already, False).text == "It was held in Kemi. [1]" and not already.hedged
    plain = _answer(0.3)
    hedged = hedge(plain, True)
    assert hedged.hedged and hedged.text == f"{HEDGE}\nIt was held in Kemi. [1]"
    assert hedge(hedged, True).text.count(HEDGE) == 1


def test_apply_sets_confidence_hedge_and_the_features_read() -> None:
    model = LogisticModel(features=("answer.support",), mean=(0.5,), scale=(0.25,), coef=(2.0,))
    calibrator = Calibrator(answered=model, refused=LogisticModel(intercept=1.0), threshold=0.5)
    weak = calibrator.apply(_answer(0.2, text=f"{HEDGE}\nx [1]"), query="Where?")
    strong = calibrator.apply(_answer(0.9, text=f"{HEDGE}\nx [1]"), query="Where?")
    assert weak.hedged and weak.text.startswith(HEDGE) and weak.confidence < 0.5
    assert not strong.hedged and strong.text == "x [1]" and strong.confidence > 0.5
    assert strong.signals["answer.support"] == 0.9
    refusal = calibrator.apply(_answer(0.9, answered=False, text="Not found."), query="Where?")
    assert not refusal.hedged and refusal.confidence == pytest.approx(1 / (1 + math.exp(-1)))


def test_raw_answerer_signals_reach_the_model() -> None:
    model = LogisticModel(features=("coverage",), mean=(0.0,), scale=(1.0,), coef=(3.0,))
    calibrator = Calibrator(answered=model, refused=LogisticModel(), threshold=0.5)
    low = calibrator.apply(_answer(0.5, signals={"coverage": -1.0}), query="q").confidence
    high = calibrator.apply(_answer(0.5, signals={"coverage": 1.0}), query="q").confidence
    assert low < 0.5 < high


def test_round_trip_and_unreadable_file(tmp_path: Path) -> None:
    model = LogisticModel(features=("answer.support",), mean=(0.4,), scale=(0.2,), coef=(1.5,),
                          intercept=0.3)
    original = Calibrator(answered=model, refused=LogisticModel(intercept=-0.2), threshold=0.42,
                          info={"embedder": "hash"})
    original.save(tmp_path / "c.json")
    assert Calibrator.load(tmp_path / "c.json") == original
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(AssistantError, match="calibrate"):
        Calibrator.load(tmp_path / "bad.json")


def test_reliability_bins() -> None:
    bins = reliability([(0.1, False), (0.15, True), (0.5, True), (1.0, True), (0.95, False)])
    assert [b.count for b in bins] == [2, 0, 1, 0, 2]
    assert bins[0].mean_confidence == pytest.approx(0.125) and bins[0].accuracy == 0.5
    assert bins[1].accuracy is None


def test_every_answer_of_the_service_is_calibrated(tmp_path: Path) -> None:
    """Extractive answers, structured answers (the memory) and refusals: one calibrator, and the
    hedge text matches the flag."""
    assistant = hash_assistant(tmp_path, SMALL_CORPUS)
    model = LogisticModel(features=("answer.support", "answer.structured"), mean=(0.5, 0.0),
                          scale=(0.25, 1.0), coef=(2.0, 5.0))
    assistant.calibrator = Calibrator(answered=model, refused=LogisticModel(), threshold=0.9)
    answers = [assistant.ask(q) for q in (
        "Where was the REMIX kick-off meeting held?", "What is the NUTS code of Lapland?",
        "What is the capital of Mars?")]
    for a in answers:
        assert 0.0 <= a.confidence <= 1.0
        assert a.hedged == a.text.startswith(HEDGE)
        assert a.signals["answer.structured"] in (0.0, 1.0)
    structured = [a for a in answers if a.signals["answer.structured"] == 1.0]
    assert structured and all(not a.hedged for a in structured)
    assistant.calibrator = Calibrator(answered=model, refused=LogisticModel(), threshold=1.0)
    assert all(a.hedged for a in (assistant.ask(q) for q in (
        "Where was the REMIX kick-off meeting held?",)))


def test_each_embedder_gets_the_calibration_fitted_on_its_signals() -> None:
    from assistant.answering.calibration import shipped_path
    from assistant.embedding import E5_NAME, MINILM

    assert shipped_path(E5_NAME) == DEFAULT_PATH
    assert Calibrator.shipped(E5_NAME).info["embedder"] == E5_NAME
    assert Calibrator.shipped(MINILM).info["embedder"] == MINILM
    assert shipped_path("/models/some-local-model") == DEFAULT_PATH  # none of its own
    assert Calibrator.shipped(MINILM).threshold != Calibrator.shipped(E5_NAME).threshold
