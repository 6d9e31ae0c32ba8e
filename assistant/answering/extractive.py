"""The default answerer: no model, no network. It quotes the units (sentences, list items,
table rows) of the retrieved chunks that best cover the question, with numbered citations,
and refuses plainly when nothing retrieved supports an answer.

Scoring is deliberately simple and explainable: how much of the question's vocabulary a unit
and its immediate context contain (weighted by corpus IDF and by how well each word separates
the retrieved chunks), whether the question's words stand close together in it, whether it
holds the kind of thing asked for (a date for "when", a number for "how many") that the
question did not already say, and how close its chunk is in meaning (dense similarity). For a
page in another language than the question, word overlap cannot work, and dense similarity
makes up part of it. The best unit per chunk also re-ranks the retrieved chunks, a cheap
stand-in for a cross-encoder. The same support figure decides between answering and refusing.
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Sequence

from ..models import NOT_FOUND, Answer, Citation, Hit
from ..retrieval.lexical import tokenize
from .definitions import asked_definition, asked_expansion, defines, expands, is_prompt
from .language import detect, differs
from .language import name as language_name
from .question import _MONTHS, QuestionProfile, profile, types_in, values_in
from .units import Unit, split_units

if TYPE_CHECKING:
    from ..embedding import Embedder

MAX_SENTENCES = 3
FOREIGN_LIFT = 0.5  # share of the missing word overlap that dense similarity may make up
SENSE_CHUNKS = 6  # a unit's own dense similarity is computed in the first foreign chunks...
SENSE_UNITS = 48  # ...for this many units at most (the best by words and answer type)
SENSE_WEIGHT = 0.35
CONFIRM_CHUNKS = 3  # meaning confirms a weakly worded answer among the units of these chunks...
CONFIRM_UNITS = 40  # ...the best this many by score
SENSE_BAND = 0.08  # units this close (cosine) to the most similar one gain, in proportion
SENSE_TIE = 0.02  # foreign units this close to the chosen one's similarity are quoted with it
MAX_CACHED_VECTORS = 20000
DEFINES = 0.35  # what a unit that expands or defines the asked term gains
MIN_BACKGROUND_CHUNKS = 30  # a name in over a third of the chunks is background ("Europe")
MAX_LIST_UNITS = 12
TIE = 0.002  # scores this close are a tie
CONTEXT_WEIGHT = 0.4  # a word only in a follow-up's appended previous question
MAX_REFERRING_WORDS = 15  # "Joensuu is its capital city.": short value sentences refer back
QUOTE_CHARS = 1200
HEDGE = "The documents may not answer this directly; the closest passages say:"
_PRONOUN_START = re.compile(r"^(It|Its|This|These|Those|They|Their|He|She|His|Her|There)\b")
# A sentence that names its subject only by a possessive ("Joensuu is its capital city") is
# read together with the sentence before it, which names the subject.
# Three or more names listed in prose: "four projects – nanoBT, ReminE, LIGHTS and REVIVING".
_LISTED_NAME = r"[A-ZÀ-ÖØ-Þ0-9][\w’'-]*(?: [\w’'-]+){0,3}"
_NAMES_LISTED = re.compile(rf"{_LISTED_NAME}(?:, {_LISTED_NAME})+,? (?:and|or|&) [A-ZÀ-ÖØ-Þ0-9]")
_REFERS_BACK = re.compile(r"\b(its|their)\b", re.I)


@dataclass(slots=True)
class Candidate:
    unit: Unit
    rank: int  # rank of its chunk after re-ranking (set by `answer`)
    hit: Hit
    own: frozenset[str]
    near: frozenset[str]
    units: list[Unit]  # all units of the chunk, for lead-ins, neighbours and siblings
    coverage: float = 0.0
    context_coverage: float = 0.0
    types: frozenset[str] = frozenset()
    prior: float = 0.0  # the chunk's dense similarity, scaled over the hits
    foreign: bool = False  # written in another language than the question
    language: str | None = None  # of its chunk (ISO 639-1), when known
    lexical: float = 0.0  # coverage by words alone, before meaning stands in for them
    sense: float | None = None  # the unit's own dense similarity, where it was computed
    defines: bool = False  # spells out the acronym asked about, or defines the term asked about
    window: int | None = None  # index of the previous sentence it is read (and quoted) with
    score: float = 0.0  # chooses the quoted units
    chunk_score: float = 0.0  # re-ranks chunks: also credits the page title as the subject


@dataclass(slots=True)
class Thresholds:
    """Calibrated on the dev QA set (see `remix-assistant eval`), never per question."""

    min_support: float = 0.5
    confident: float = 0.7  # below this, the answer says that it is only the closest passage
    clear_margin: float = 0.15  # a typed best unit this far above other documents' units...
    min_lexical: float = 0.25  # ...and covering this much of the question answers


@dataclass(slots=True)
class ExtractiveAnswerer:
    idf: Callable[[str], float]
    thresholds: Thresholds = field(default_factory=Thresholds)
    # The query embedder, for the dense similarity of single units where words cannot overlap
    # (a question in another language than the page). Optional: without it the chunk's
    # similarity stands in for each of its units.
    embedder: "Embedder | None" = None
    _vectors: dict = field(default_factory=dict, repr=False)

    def answer(self, question: str, hits: Sequence[Hit], *, id: str | None = None) -> Answer:
        language = detect(_own_words(question))
        prof = profile(question)  # spelling was corrected before retrieval (retrieval/spelling.py)
        weights = self._weights(prof, hits)
        candidates = self._candidates(prof, weights, hits, language)
        self._sense(prof, question, candidates)
        hits = self._rerank(hits, candidates)
        if not candidates:
            return self._refusal(question, hits, [], id=id)
        # Near ties (within TIE) go to the unit whose own words cover more of the question,
        # not to whichever chunk came first: a heading that restates the question ties with
        # the sentence that answers it.
        best = max(candidates, key=lambda c: (round(c.score / TIE), c.lexical))
        acronym = asked_expansion(_own_words(prof.text))
        if acronym and not best.defines:
            # "What does S3 stand for?": a sentence that names it (or a longer acronym holding
            # it, "RIS3") and spells it out answers, however many of the question's words a
            # sentence that merely uses it shares.
            best = max((c for c in candidates if c.defines and acronym in c.unit.text),
                       key=lambda c: (round(c.score / TIE), c.lexical), default=best)
        selected = self._select(prof, weights, candidates, best)
        confidence, ok, signals = self._decide(prof, best, selected, candidates)
        if not ok and self._meaning_confirms(prof, question, best, candidates, signals):
            ok = True  # a paraphrase: words barely overlap, meaning and answer type agree
        if not ok:
            answer = self._refusal(question, hits, candidates, id=id, confidence=confidence)
        else:
            selected += _sense_companions(prof, best, selected, candidates)
            answer = self._compose(question, _value_first(prof, selected), hits, id=id,
                                   confidence=confidence, language=language)
        answer.signals = signals
        return answer

    # -- scoring -----------------------------------------------------------------------------

    def _weights(self, prof: QuestionProfile, hits: Sequence[Hit]) -> dict[str, float]:
        """Corpus IDF times how well a term separates the retrieved chunks from each other.

        The topic words shared by every retrieved chunk ("mining", "partnership") say little
        about which sentence answers; the rarer ones among them ("lead") say a lot."""
        bags = [_chunk_bag(h.chunk.text, h.chunk.kind, h.chunk.title) for h in hits]
        n = len(bags)
        # A follow-up's context "(previous question)" says which subject is meant; the words
        # the user asked with now say what is wanted, and weigh more.
        own = set(tokenize(_own_words(prof.text), query=True))
        context = {t: 1.0 if t in own else CONTEXT_WEIGHT for t in prof.terms}
        if n < 2:
            return {t: self.idf(t) * context[t] for t in prof.terms}
        top = math.log(1 + n / 0.5)
        weights = {}
        for t in prof.terms:
            df = sum(1 for bag in bags if _match(t, bag))
            weights[t] = self.idf(t) * (0.5 + math.log(1 + n / (df + 0.5)) / top) * context[t]
        return weights

    def _background(self, term: str) -> bool:
        """A word in more than a third of the corpus's chunks (of a corpus big enough to say):
        read back from the smoothed IDF, log(1 + (N + 1) / (df + 0.5))."""
        chunks_plus_one = 0.5 * math.expm1(self.idf("\x00unseen"))
        df = chunks_plus_one / max(math.expm1(self.idf(term)), 1e-9) - 0.5
        return chunks_plus_one - 1 >= MIN_BACKGROUND_CHUNKS and df > (chunks_plus_one - 1) / 3

    def _candidates(self, prof: QuestionProfile, weights: dict[str, float],
                    hits: Sequence[Hit], language: str | None = None) -> list[Candidate]:
        total = sum(weights.values()) or 1.0
        pairs = [(a, b, (weights[a] + weights[b]) / 2) for a, b in zip(prof.terms, prof.terms[1:])]
        pair_total = sum(w for _, _, w in pairs) or 1.0

        def cover(bag: frozenset[str]) -> float:
            return sum(w * _match(t, bag) for t, w in weights.items()) / total

        def proximity(positions: dict[str, list[int]]) -> float:
            """Share of the question's adjacent term pairs that stand close together here:
            "leading regions" answers "which regions lead" better than scattered words do."""
            return sum(w for a, b, w in pairs if _close(positions, a, b)) / pair_total

        question_terms = frozenset(prof.terms)
        own = _own_words(prof.text)
        subject = _with_prefixes([t for phrase in _name_phrases(own, question_terms)
                                  for t in phrase])
        acronym, term = asked_expansion(own), asked_definition(own)
        out: list[Candidate] = []
        dense = [h.dense for h in hits if h.dense is not None]
        low, high = (min(dense), max(dense)) if dense else (0.0, 0.0)
        for rank, hit in enumerate(hits):
            units, bags, positions = _analysed(hit.chunk.text, hit.chunk.kind)
            title = _bag(hit.chunk.title)  # a page's title is the subject of all its sentences
            context = title | _bag(hit.chunk.section)
            # How close the whole chunk is in meaning: dense similarity scaled over the hits.
            if hit.dense is not None and high > low:
                prior = (hit.dense - low) / (high - low)
            else:
                prior = 1.0 / (1.0 + 0.5 * rank)
            chunk_language = detect(hit.chunk.text)
            foreign = differs(language, chunk_language)
            leads = {u.lead for u in units}
            for i, unit in enumerate(units):
                near = bags[i] | context
                if i > 0:
                    near |= bags[i - 1]
                if i + 1 < len(units):
                    near |= bags[i + 1]
                if unit.lead is not None:
                    near |= bags[unit.lead]
                cand = Candidate(unit, rank, hit, bags[i], near, units, prior=prior,
                                 foreign=foreign, language=chunk_language)
                if _refers_back(units, i):
                    # "<Region> is the second largest region. <Town> is its capital city.": the
                    # two sentences answer "What is the capital of <Region>?" together. Only the
                    # subject's name is read from the sentence before, not its other words.
                    cand.window = i - 1
                    cand.own = bags[i] | (bags[i - 1] & subject)
                cand.coverage = cand.lexical = cover(cand.own)
                cand.context_coverage = cover(near)
                if cand.foreign:  # words cannot match across languages: let meaning speak
                    cand.coverage += (1 - cand.coverage) * FOREIGN_LIFT * prior
                    cand.context_coverage += (1 - cand.context_coverage) * FOREIGN_LIFT * prior
                cand.types = types_in(unit.text, prof.words)
                if prof.counted and not _match(prof.counted, bags[i]):
                    cand.types -= {"count"}  # a number, but not of what is being counted
                if prof.role and not all(_match(r, bags[i]) for r in prof.role):
                    cand.types -= {"name"}  # a name, but not in the role asked about
                type_share = (len(cand.types & prof.types) / len(prof.types)) if prof.types else 0
                words = len(unit.text.split())
                shape = -0.1 if words < 3 and unit.kind == "sentence" else 0.0
                shape -= 0.1 if words > 80 else 0.0
                introduces_list = unit.index in leads
                # Restates the question and adds nothing. A lead-in line is exempt when what it
                # introduces may be the answer: a list, or anything for a question that asks for
                # no particular kind of value; "Agenda of the Kick-off Meeting" does not say where.
                lists_answer = introduces_list and (prof.wants_list or not prof.types)
                if len(positions[i].keys() - question_terms) < 2 and not lists_answer:
                    shape -= 0.15
                if prof.wants_list and (introduces_list or _NAMES_LISTED.search(unit.text)):
                    shape += 0.1  # introduces a list, or lists names in its own prose
                if acronym or term:  # "What does S3 stand for?", "What is MIREU?"
                    cand.defines = (expands(unit.text, acronym) if acronym
                                    else defines(unit.text, term or ""))
                    shape += DEFINES if cand.defines else 0.0
                if unit.kind != "lead" and is_prompt(unit.text):
                    shape -= 0.3  # a form's prompt or a question: context, never the answer
                    cand.types = frozenset()
                cand.score = (0.4 * cand.coverage + 0.25 * cand.context_coverage
                              + 0.15 * proximity(positions[i])
                              + 0.15 * type_share + 0.2 * prior + shape)
                cand.chunk_score = cand.score + 0.4 * (cover(bags[i] | title) - cand.coverage)
                out.append(cand)
        return out

    def _sense(self, prof: QuestionProfile, question: str, candidates: list[Candidate]) -> None:
        """Where the page is in another language than the question, words cannot say which of
        its sentences answers; the embedder's similarity of each unit to the question can.
        Bounded: only the best units of the first chunks in another language (those holding
        the kind of answer asked for first), in one batch, vectors cached; a foreign unit left
        unmeasured counts as far in meaning, so that measuring never puts a unit behind one
        that was not looked at. Only units close to the most similar one gain: the model's
        similarities are compressed, and a spread-out scale would turn noise into preference."""
        if self.embedder is None:
            return
        # The first foreign chunks retrieved, whatever their rank: similarity across languages
        # runs lower than within one, so a page in another language ranks below pages in the
        # question's own language that merely share its topic.
        chunks = set(list(dict.fromkeys(id(c.hit) for c in candidates if c.foreign))[:SENSE_CHUNKS])
        foreign = [c for c in candidates if c.foreign]
        pool = [c for c in foreign if id(c.hit) in chunks]
        if len(pool) < 2:
            return
        pool = sorted(pool, key=lambda c: (-bool(c.types & prof.types), -c.score))[:SENSE_UNITS]
        measured = {id(c) for c in pool}
        for c in foreign:
            if id(c) not in measured:  # not measured: no closer in meaning than the farthest
                c.score -= SENSE_WEIGHT
                c.chunk_score -= SENSE_WEIGHT
        sims = self._similarities(question, [c.unit.text for c in pool])
        top = max(sims)
        for c, sim in zip(pool, sims):
            c.sense = sim
            near_top = min(1.0, max(0.0, (sim - top + SENSE_BAND) / SENSE_BAND))
            # Support stays at least what the chunk's similarity gave: the unit's own similarity
            # is compressed and noisy, good for choosing, not for refusing.
            c.coverage = max(c.coverage, c.lexical + (1 - c.lexical) * FOREIGN_LIFT * near_top)
            c.context_coverage = max(c.context_coverage, c.coverage)
            # Meaning chooses among the foreign units; it never lifts them above the units of
            # pages in the question's own language, which words can judge: the units far from
            # the most similar one lose, the closest keep their score.
            c.score -= SENSE_WEIGHT * (1 - near_top)
            c.chunk_score -= SENSE_WEIGHT * (1 - near_top)

    def _meaning_confirms(self, prof: QuestionProfile, question: str, best: Candidate,
                          candidates: list[Candidate], signals: dict[str, float]) -> bool:
        """A paraphrase ("a slice of the economy from visitors" for "tourism accounts for 24 %
        of GDP") shares too few words with its answer for word coverage to support it. Two
        independent judges agreeing can: the best unit holds the kind of value asked for,
        about the question's subject, and the embedder, reading every unit of the leading
        passages, finds none closer in meaning to the question. Either judge alone picks a
        wrong sentence too often to answer on (meaning alone chose the right sentence for
        under half of the development questions); a question the documents do not answer
        rarely gets both. Only measured when words alone would refuse, so it costs nothing
        for the usual question. The answer keeps its low support, and so its hedge."""
        signals["extractive.meaning_confirms"] = 0.0
        if (self.embedder is None or not prof.types or best.foreign
                or signals.get("extractive.value_in_best") != 1.0
                or signals.get("extractive.subject") != 1.0
                or signals.get("extractive.type_support", 0.0) <= 0.15 + 1e-9):
            return False
        pool = [c for c in candidates if c.rank < CONFIRM_CHUNKS and c.unit.kind != "lead"]
        pool = sorted(pool, key=lambda c: -c.score)[:CONFIRM_UNITS]
        if best not in pool or len(pool) < 2:
            return False
        sims = self._similarities(question, [c.unit.text for c in pool])
        closest = max(range(len(pool)), key=lambda i: sims[i])
        agrees = pool[closest].unit.text == best.unit.text
        signals["extractive.meaning_confirms"] = float(agrees)
        return agrees

    def _similarities(self, question: str, texts: list[str]) -> list[float]:
        """Cosine similarity of each text to the question (unit vectors cached per embedder)."""
        assert self.embedder is not None
        vectors = _vectors_of(self.embedder, self._vectors)
        missing = [t for t in dict.fromkeys(texts) if t not in vectors]
        if missing:
            if len(vectors) > MAX_CACHED_VECTORS:
                vectors.clear()
            vectors.update(zip(missing, self.embedder.embed_documents(missing)))
        key = ("query", question)
        if key not in vectors:
            vectors[key] = self.embedder.embed_query(question)
        query = vectors[key]
        return [float(vectors[t] @ query) for t in texts]

    @staticmethod
    def _rerank(hits: Sequence[Hit], candidates: list[Candidate]) -> list[Hit]:
        """Order chunks by their best unit: the chunk that holds the answer comes first."""
        best: dict[int, float] = {}
        for c in candidates:
            key = id(c.hit)
            best[key] = max(best.get(key, 0.0), c.chunk_score)
        order = sorted(range(len(hits)), key=lambda i: (-best.get(id(hits[i]), 0.0), i))
        reranked = [hits[i] for i in order]
        position = {id(h): r for r, h in enumerate(reranked)}
        for c in candidates:
            c.rank = position[id(c.hit)]
        return reranked

    def _select(self, prof: QuestionProfile, weights: dict[str, float],
                candidates: list[Candidate], best: Candidate) -> list[Candidate]:
        total = sum(weights.values()) or 1.0
        selected = [best] + self._expansion(prof, candidates, best)
        covered = set().union(*(c.near for c in selected))
        found = set().union(*(c.types for c in selected)) & prof.types
        pool = [c for c in candidates if c not in selected and c.unit.kind != "lead"]
        while sum(c.unit.kind == "sentence" for c in selected) < MAX_SENTENCES and pool:
            def gain(c: Candidate) -> float:
                new = sum(w * max(0.0, _match(t, c.own) - _match(t, covered))
                          for t, w in weights.items())
                return new / total + 0.25 * len((c.types & prof.types) - found)

            nxt = max(pool, key=lambda c: (gain(c), c.score))
            if gain(nxt) < 0.15 or nxt.score < 0.45 * best.score:
                break
            selected.append(nxt)
            covered |= nxt.near
            found |= nxt.types & prof.types
            pool.remove(nxt)
        rival = self._rival(prof, candidates, selected, best)
        return selected + ([rival] if rival else [])

    @staticmethod
    def _rival(prof: QuestionProfile, candidates: list[Candidate], selected: list[Candidate],
               best: Candidate) -> Candidate | None:
        """Another document's nearly as good unit that gives a different date or number.

        Real sources disagree (launch dates, partner counts); showing both, each with its
        source, is better than picking one silently."""
        wanted = prof.types & {"date", "day", "count", "amount"}
        if not wanted:
            return None
        docs = {c.hit.chunk.doc_id for c in selected}
        mine = set().union(*(values_in(c.unit.text, prof.words) for c in selected))
        rivals = [
            c for c in candidates
            if c.hit.chunk.doc_id not in docs and c.types & wanted
            and c.score >= 0.85 * best.score and c.coverage >= 0.8 * best.coverage
            and values_in(c.unit.text, prof.words).isdisjoint(mine)
        ]
        return max(rivals, key=lambda c: c.score, default=None)

    @staticmethod
    def _expansion(prof: QuestionProfile, candidates: list[Candidate],
                   best: Candidate) -> list[Candidate]:
        """Units that must come with the best one: the items after a lead-in line, the rest of
        a list for list questions, the sentence a leading pronoun refers to."""
        same = {c.unit.index: c for c in candidates if c.hit is best.hit}
        unit = best.unit
        extra: list[int] = []
        introduced = [u.index for u in best.units if u.lead == unit.index]
        if unit.kind == "lead" or (prof.wants_list and introduced):
            extra = introduced[:MAX_LIST_UNITS]
        elif prof.wants_list and unit.kind in ("item", "row"):
            run = [u.index for u in best.units
                   if u.kind == unit.kind and u.lead == unit.lead and u.index != unit.index]
            extra = run[: MAX_LIST_UNITS - 1]
            if unit.lead is not None:
                extra.insert(0, unit.lead)
        elif best.window is not None:
            extra = [best.window]
        return [same[i] for i in extra if i in same]

    def _decide(self, prof: QuestionProfile, best: Candidate, selected: list[Candidate],
                candidates: list[Candidate]) -> tuple[float, bool, dict[str, float]]:
        """Answer only when the selection covers the question and, for every kind of thing the
        question asks for (a date, a number, a name), some selected unit that holds one is itself
        about the question: a number in an unrelated sentence does not answer "how many".

        A paraphrase ("visitors and holidaymakers" for "tourism") covers few of the question's
        words even when its sentence is plainly the answer; what shows it is the answer is
        that it holds the kind of value asked for, about the question's subject, and stands
        clearly above every sentence of the other passages. Word overlap cannot measure support
        across languages (an English question, a Spanish page), so there the dense similarity of
        the unit (or of its chunk) stands in for it. Also returns the raw signals behind the
        decision, for the calibrator."""
        covered = set().union(*(c.near for c in selected))
        weights = {t: self.idf(t) for t in prof.terms}
        total = sum(weights.values()) or 1.0

        def lifted(c: Candidate, lexical: float) -> float:
            if not c.foreign:
                return lexical
            return max(lexical, c.coverage if c.sense is not None else c.prior)

        lexical = sum(w * _match(t, covered) for t, w in weights.items()) / total
        support = lifted(best, lexical)
        # The value that answers must come from a passage about the question's subject: its
        # names (by weight) occur there, each name whole. Lapland's page states a population of
        # the right kind, about the wrong region, for "the population of Kainuu"; Kittilä's page
        # is "lower" than average, which is no page about Lower Silesia.
        # Names most passages share ("Europe", "EU") are background, not the subject.
        distinctive = frozenset(t for t in prof.terms if not self._background(t))
        phrases = _name_phrases(_own_words(prof.text), distinctive - set(prof.role))
        name_weight = sum(weights.get(t, 0.0) for phrase in phrases for t in phrase)

        # Across languages only the names spelt alike in the passages in other languages
        # ("Kittilä", "REMIX") can say what a passage is about: a capitalised word the other
        # languages translate ("Comisión Europea", a German noun) is no name to look for there.
        foreign_words = frozenset().union(
            *(_chunk_words(h) for h in {id(c.hit): c.hit for c in candidates if c.foreign}.values()))
        anchors = [phrase for phrase in phrases if all(_match(t, foreign_words) for t in phrase)]

        def about_subject(c: Candidate) -> bool:
            if not phrases:
                return True
            words = _chunk_words(c.hit)
            if c.foreign:  # names are mostly spelt alike across languages; some are not
                return not anchors or any(all(_match(t, words) for t in a) for a in anchors)
            found = [phrase for phrase in phrases if all(_match(t, words) for t in phrase)]
            return sum(weights.get(t, 0.0) for phrase in found for t in phrase) >= name_weight / 2

        def typed_in(units: list[Candidate]) -> float:
            share = 1.0
            for answer_type in prof.types:
                typed = [lifted(c, c.context_coverage) for c in units
                         if answer_type in c.types and about_subject(c)]
                share = min(share, max(typed, default=0.0) + 0.15)
            return share

        def passage_support(units: list[Candidate]) -> float:
            near = set().union(*(u.near for u in units))
            covered = sum(w * _match(t, near) for t, w in weights.items()) / total
            return min(lifted(units[0], covered), typed_in(units))

        typed_support = typed_in(selected)
        # One passage must carry the answer: words of the question found in one document and
        # the value asked for in another ("unemployment … lower" in Kittilä's page, a figure
        # about Lower Silesia in its own) support nothing together.
        by_doc: dict[str, list[Candidate]] = {}
        for c in selected:
            by_doc.setdefault(c.hit.chunk.doc_id, []).append(c)
        if len(by_doc) > 1:
            support = min(support, max(passage_support(units) for units in by_doc.values()))
        support = min(support, typed_support)
        others = [c.score for c in candidates if c.hit.chunk.doc_id != best.hit.chunk.doc_id]
        margin = best.score - max(others, default=0.0)
        typed_ok = bool(prof.types) and typed_support > 0.15 + 1e-9
        # A clear winner that holds what was asked for, about the subject, answers even in
        # other words than the question's.
        winner_typed = typed_ok and bool(prof.types & best.types) and about_subject(best)
        if (winner_typed and margin >= self.thresholds.clear_margin
                and lexical >= self.thresholds.min_lexical):
            support = max(support, self.thresholds.min_support)
        expansion = asked_expansion(_own_words(prof.text))
        expanded = any(c.defines for c in selected)
        if expanded and best.defines:  # "What is MIREU?" answered by "MIREU is an EU project …"
            support = max(support, self.thresholds.min_support)
        if expansion and not expanded:  # the documents use the acronym but never spell it out
            support = min(support, self.thresholds.min_support - 0.2)
        signals = {
            "extractive.support": support,
            "extractive.lexical": lexical,
            "extractive.best_score": best.score,
            "extractive.best_coverage": best.coverage,
            "extractive.margin": margin,
            "extractive.typed": float(typed_ok),
            "extractive.type_support": typed_support if prof.types else 1.0,
            "extractive.subject": float(about_subject(best)),
            "extractive.dense": best.prior,
            # Named anew when units were first measured by meaning in the service (round 2 of
            # issue 10): a calibration fitted before, when it was almost always -1, must not
            # read it.
            "extractive.unit_sense": best.sense if best.sense is not None else -1.0,
            "extractive.foreign": float(best.foreign),
            "extractive.defines": float(expanded),
            "extractive.agreeing": float(len({c.hit.chunk.doc_id for c in selected})),
            # Whether the quote itself holds what was asked for and names the subject, how far
            # the best unit stands above the runner-up of any passage, and whether meaning
            # (where it was measured) chose the same unit as words did.
            "extractive.value_in_best": (float(bool(prof.types & best.types))
                                         if prof.types else 1.0),
            "extractive.subject_in_quote": _subject_share(phrases, selected),
            "extractive.unit_margin": best.score - max(
                (c.score for c in candidates if c is not best), default=0.0),
            "extractive.own_lexical": best.lexical,
            "extractive.sense_agrees": _sense_agrees(best, candidates),
        }
        return support, support >= self.thresholds.min_support, signals

    # -- output ------------------------------------------------------------------------------

    def _compose(self, question: str, selected: list[Candidate], hits: Sequence[Hit], *,
                 id: str | None, confidence: float, language: str | None = None) -> Answer:
        first, rest = selected[0], selected[1:]
        ordered = sorted(selected, key=lambda c: (c.rank, c.unit.index)) if rest else [first]
        if ordered[0].hit is not first.hit:  # the best unit's chunk leads, then reading order
            ordered = sorted(ordered, key=lambda c: (c.hit is not first.hit, c.rank, c.unit.index))
        listy = sum(c.unit.kind in ("row", "item") for c in ordered) > 1
        numbers: dict[int, int] = {}
        quotes: dict[int, list[str]] = {}
        parts: list[str] = []
        for c in ordered:
            first_quote = c.rank not in numbers
            n = numbers.setdefault(c.rank, len(numbers) + 1)
            quotes.setdefault(c.rank, []).append(c.unit.text)
            bullet = listy and c.unit.kind in ("row", "item")
            # A quote in another language than the question says so, once per source.
            label = (f" (in {language_name(c.language)})"
                     if first_quote and c.foreign and c.language else "")
            text = f"{c.unit.text}{label} [{n}]"
            parts.append(f"- {text}" if bullet else text)
        body = "\n".join(parts) if listy else " ".join(parts)
        hedged = confidence < self.thresholds.confident
        if hedged:
            body = f"{HEDGE}\n{body}"
        by_rank = {c.rank: c for c in ordered}
        citations = [make_citation(n, by_rank[rank].hit, " … ".join(quotes[rank]),
                                   language=by_rank[rank].language if by_rank[rank].foreign
                                   else None)
                     for rank, n in numbers.items()]
        return Answer(question=question, text=body, answered=True, citations=citations,
                      hits=list(hits), id=id, confidence=confidence, hedged=hedged)

    def _refusal(self, question: str, hits: Sequence[Hit], candidates: list[Candidate], *,
                 id: str | None, confidence: float = 0.0) -> Answer:
        best_unit: dict[int, str] = {}
        for c in sorted(candidates, key=lambda c: -c.score):
            best_unit.setdefault(c.rank, c.unit.text)
        citations = [make_citation(i + 1, hit, best_unit.get(i, hit.chunk.text))
                     for i, hit in enumerate(hits[:3])]
        text = NOT_FOUND + (" The nearest sources are listed below." if citations else "")
        return Answer(question=question, text=text, answered=False, citations=citations,
                      hits=list(hits), id=id, confidence=confidence)


PREFIX = 6  # "Portuguese"/"Portugal", "digitalisation"/"digitalization" share 6 letters


@lru_cache(maxsize=4096)
def _analysed(text: str, kind: str
              ) -> tuple[list[Unit], list[frozenset[str]], list[dict[str, list[int]]]]:
    """Units of a chunk, their token bags and token positions; cached because the same chunks
    recur across questions."""
    units = split_units(text, chunk_kind=kind)
    bags, positions = [], []
    for unit in units:
        tokens = tokenize(unit.text)
        bags.append(_with_prefixes(tokens))
        where: dict[str, list[int]] = {}
        for n, tok in enumerate(tokens):
            where.setdefault(tok, []).append(n)
        positions.append(where)
    return units, bags, positions


_NAME_RUN = re.compile(
    r"(?<!^)(?<![.?!:]\s)\b[A-ZÀ-ÖØ-Þ][\w’'-]*(?:\s+(?:(?:y|de|del|of|and|&)\s+)?[A-ZÀ-ÖØ-Þ][\w’'-]*)*")


_ASKED_KIND = re.compile(r"\b(?:which|what|whose)\s+$", re.I)
_TOPIC_BEFORE = re.compile(r"\b(?:partnership|platform|programme|initiative|strategy|network|"
                           r"workshop|conference|call)\s+(?:on|for)\s+$", re.I)
_TITLE_TAIL = re.compile(r"(?:\s+(?!(?:in|by|and|at|during|from|with|was|is|were|are|did|does|"
                         r"has|have)\b)[a-z][\w’'-]*)*")
_MONTH = re.compile(_MONTHS)


def _name_phrases(question: str, terms: frozenset[str]) -> list[tuple[str, ...]]:
    """The question's names, each as its tokens: "Lower Silesia" is one name, found only where
    both words are."""
    phrases = []
    for match in _NAME_RUN.finditer(question):
        if _ASKED_KIND.search(question[: match.start()]):
            continue  # "which Finnish town": describes the answer, not the subject
        name = match.group(0)
        if _TOPIC_BEFORE.search(question[: match.start()]):
            # "the partnership on Advanced materials for batteries": a title in sentence case
            # runs on past its one capital, to the end of the clause.
            name += _TITLE_TAIL.match(question, match.end()).group(0)
        tokens = tuple(t for t in tokenize(name, query=True)
                       if t in terms and not _MONTH.fullmatch(t))  # "April": a date, no subject
        if tokens:
            phrases.append(tokens)
    return phrases


def _chunk_words(hit: Hit) -> frozenset[str]:
    """Every word of a hit's chunk, its title and section (what the passage is about)."""
    chunk = hit.chunk
    return _chunk_bag(chunk.text, chunk.kind, chunk.title) | _bag(chunk.section)


@lru_cache(maxsize=4096)
def _chunk_bag(text: str, kind: str, title: str) -> frozenset[str]:
    return frozenset().union(*_analysed(text, kind)[1]) | _bag(title)


@lru_cache(maxsize=4096)
def _bag(text: str) -> frozenset[str]:
    return _with_prefixes(tokenize(text))


def _with_prefixes(tokens: list[str]) -> frozenset[str]:
    """Tokens plus '^'-marked prefixes of the long ones, for near-miss word forms."""
    return frozenset(tokens) | {"^" + t[:PREFIX] for t in tokens if len(t) >= PREFIX}


def _match(term: str, bag: frozenset[str]) -> float:
    if term in bag:
        return 1.0
    return 0.7 if len(term) >= PREFIX and "^" + term[:PREFIX] in bag else 0.0


def _own_words(question: str) -> str:
    """The question as the user typed it, without a follow-up's added context "(…)"."""
    return re.sub(r"\s*\([^()]*\)$", "", question)


_SHARED_VECTORS: "weakref.WeakKeyDictionary[Embedder, dict]" = weakref.WeakKeyDictionary()


def _vectors_of(embedder: "Embedder", own: dict) -> dict:
    """The unit vectors cached for `embedder`, shared by every answerer built with it: the
    service builds an answerer per question, and the same units recur across questions."""
    try:
        return _SHARED_VECTORS.setdefault(embedder, {})
    except TypeError:  # an embedder that cannot be weakly referenced keeps its own cache
        return own


def _subject_share(phrases: list[tuple[str, ...]], selected: list[Candidate]) -> float:
    """Share of the question's names found whole in the quoted units themselves (1.0 when
    the question names nothing)."""
    if not phrases:
        return 1.0
    quoted = frozenset().union(*(c.own for c in selected))
    return sum(all(_match(t, quoted) for t in phrase) for phrase in phrases) / len(phrases)


def _sense_agrees(best: Candidate, candidates: list[Candidate]) -> float:
    """1.0 when the best unit is also the one closest in meaning among those measured, 0.0
    when another is, -1.0 when meaning was not measured."""
    measured = [c for c in candidates if c.sense is not None]
    if not measured or best.sense is None:
        return -1.0
    return float(best.sense >= max(c.sense for c in measured) - 1e-9)


def _sense_companions(prof: QuestionProfile, best: Candidate, selected: list[Candidate],
                      candidates: list[Candidate]) -> list[Candidate]:
    """Units of pages in another language that are as close in meaning to the question as the
    chosen one, within what the model's similarity can tell apart, and hold what was asked for:
    quoted with it (up to MAX_SENTENCES units in all), the closest first. Where words cannot
    overlap, the unit that answers is often one of a few the model ranks alike. The decision
    to answer was taken on the chosen unit alone."""
    if not best.foreign or best.sense is None or len(selected) >= MAX_SENTENCES:
        return []
    near = [c for c in candidates
            if c.sense is not None and all(c is not s for s in selected) and c.unit.kind != "lead"
            and c.sense >= best.sense - SENSE_TIE and (not prof.types or prof.types & c.types)]
    near.sort(key=lambda c: -(c.sense or 0.0))
    return near[: MAX_SENTENCES - len(selected)]


def _refers_back(units: list[Unit], i: int) -> bool:
    """A sentence that refers to the subject of the sentence just before it in its paragraph
    ("It is led by …", "Joensuu is its capital city")."""
    unit = units[i]
    if i == 0 or unit.kind != "sentence":
        return False
    prev = units[i - 1]
    if prev.kind != "sentence" or prev.line != unit.line:
        return False
    # A possessive further on refers back only in a short sentence; in a long one it mostly
    # refers to a noun of its own sentence ("the partnership takes as its starting point").
    return bool(_PRONOUN_START.match(unit.text) or (
        _REFERS_BACK.search(unit.text) and len(unit.text.split()) <= MAX_REFERRING_WORDS))


def _close(positions: dict[str, list[int]], a: str, b: str, window: int = 3) -> bool:
    return any(abs(i - j) <= window for i in positions.get(a, ()) for j in positions.get(b, ()))


def _value_first(prof: QuestionProfile, selected: list[Candidate]) -> list[Candidate]:
    """The answer opens with a unit holding what was asked for ("When did it start?" opens
    with the start date), when the best-scoring unit only restates the topic."""
    if not prof.types or prof.types & selected[0].types:
        return selected
    typed = [c for c in selected if prof.types & c.types]
    return typed[:1] + [c for c in selected if c not in typed[:1]]


def make_citation(n: int, hit: Hit, quote: str, *, language: str | None = None) -> Citation:
    """`language`: the quote's language, given only when it differs from the question's."""
    chunk = hit.chunk
    if len(quote) > QUOTE_CHARS:
        quote = quote[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return Citation(n=n, doc_id=chunk.doc_id, title=chunk.title, quote=quote, page=chunk.page,
                    section=chunk.section, url=chunk.url, language=language)
