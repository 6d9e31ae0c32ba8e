"""The access rules are resolved once per folder (an ingest re-applies them to every file of
the corpus): the cached form must give every file exactly the visibility the rules give it
one glob at a time, and a rule naming one file must still restrict that file only."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from assistant.access import PUBLIC
from assistant.ingest.access_rules import AccessRules, Rule


def _rules(*patterns: tuple[str, ...]) -> AccessRules:
    return AccessRules(tuple(Rule(p, frozenset({f"C{i}"}), frozenset())
                             for i, p in enumerate(patterns, start=1)))


def test_a_file_name_rule_restricts_that_file_only_among_its_folder():
    rules = _rules(("*budget*",), ("reports/2021/minutes.txt",))
    folder = [f"reports/2021/{name}" for name in ("a.txt", "budget-2021.txt", "minutes.txt", "z.md")]
    # the folder is resolved once; every file in it is still judged by its own name
    seen = {path: rules.visibility(path) for path in folder}
    assert seen["reports/2021/a.txt"] == PUBLIC and seen["reports/2021/z.md"] == PUBLIC
    assert seen["reports/2021/budget-2021.txt"].channels == {"C1"}
    assert seen["reports/2021/minutes.txt"].channels == {"C2"}
    assert rules.visibility("reports/2022/minutes.txt") == PUBLIC  # same name, other folder


def test_a_folder_rule_restricts_every_file_below_it_and_the_header_still_counts():
    rules = _rules(("confidential/**",))
    assert rules.visibility("confidential/deep/x.pdf").channels == {"C1"}
    assert rules.visibility("confidential/y.txt", "restricted users=U7").users == {"U7"}
    assert rules.visibility("confidential/y.txt").users == frozenset()  # cached per header
    assert rules.visibility("confidentiality/y.txt") == PUBLIC
    assert rules.visibility("confidential").channels == {"C1"}  # a file named like the folder
    assert rules.visibility("public/z.txt", "restricted C9").channels == {"C9"}
    assert rules.visibility("public/z.txt") == PUBLIC


_PART = st.sampled_from(["a", "b", "ab", "x.txt", "budget", "c*", "*", "?", "[ab]", "**", ""])
_NAME = st.sampled_from(["a", "b", "ab", "x.txt", "budget.txt", "a.pdf", "c1"])


@st.composite
def _pattern(draw) -> str:
    parts = draw(st.lists(_PART, min_size=1, max_size=3))
    pattern = "/".join(parts)
    if draw(st.booleans()):
        pattern += "/**"
    return ("/" if draw(st.booleans()) else "") + pattern


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(st.lists(_pattern(), min_size=1, max_size=3), min_size=1, max_size=3),
       folders=st.lists(st.lists(_NAME, max_size=3), min_size=1, max_size=4),
       names=st.lists(_NAME, min_size=1, max_size=4),
       header=st.sampled_from([None, "restricted U5", "public"]))
def test_cached_visibility_equals_the_rules_applied_glob_by_glob(patterns, folders, names,
                                                                   header):
    rules = _rules(*(tuple(p) for p in patterns))
    for folder in folders:
        for name in names:
            rel = "/".join([*folder, name])
            assert rules.visibility(rel, header) == rules.visibility_uncached(rel, header), rel


def test_the_rules_loaded_from_a_file_use_the_same_cache(tmp_path: Path):
    path = tmp_path / "access.toml"
    path.write_text('[[restrict]]\npaths = ["part001/**", "*-000123.txt"]\nchannels = ["C1"]\n',
                    encoding="utf-8")
    rules = AccessRules.load(path)
    assert rules.visibility("part001/doc-000001.txt").restricted
    assert rules.visibility("part000/doc-000123.txt").restricted
    assert not rules.visibility("part000/doc-000124.txt").restricted
