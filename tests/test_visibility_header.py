"""A `Visibility:` header is read once, by one parser, for metadata and access alike.

Whatever header form the text loader strips as metadata must restrict the document exactly as
written (UTF-16, CR line ends, long front matter, YAML lists before the key); a header that
mentions visibility but cannot be applied makes the file fail with a reason, never public.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from corpora import hash_assistant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.access import Audience
from assistant.errors import LoadError
from assistant.ingest import load_document
from assistant.ingest.access_rules import parse_visibility_header, read_visibility_header

SECRET = "Vornholt"
BODY = f"The {SECRET} smelter reserve was moved to the board account in 2020.\n"
PUBLIC_CHANNEL = Audience.slack(channel="CGENERAL", user="UBOARD1", channel_type="channel")
BOARD_DM = Audience(channel="DBOARD", user="UBOARD1", is_dm=True)

MANY_KEYS = "".join(f"key{n}: value {n}\n" for n in range(14))
FORMS = {
    "utf16-bom": ("utf-16", "\n", f"Title: Board reserve\nVisibility: restricted users=UBOARD1\n\n{BODY}"),
    "utf32-bom": ("utf-32", "\n", f"Title: Board reserve\nVisibility: restricted users=UBOARD1\n\n{BODY}"),
    "cr-only": ("utf-8", "\r", f"Title: Board reserve\nVisibility: restricted users=UBOARD1\n\n{BODY}"),
    "yaml-list-first": ("utf-8", "\n", "---\ntitle: Board reserve\ntags:\n  - budget\n  - board\n"
                        f"visibility: restricted users=UBOARD1\n---\n\n{BODY}"),
    "front-matter-14-keys": ("utf-8", "\n", f"---\ntitle: Board reserve\n{MANY_KEYS}"
                             f"visibility: restricted users=UBOARD1\n---\n\n{BODY}"),
    "flow-list": ("utf-8", "\r\n", f"---\nvisibility: [UBOARD1]\n---\n{BODY}"),
}


def _encode(encoding: str, newline: str, text: str) -> bytes:
    data = text.replace("\n", newline).encode(encoding)  # Python's utf-16/32 codecs add a BOM
    assert encoding == "utf-8" or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF32_LE))
    return data


def _shown(assistant, audience) -> str:
    answer = assistant.ask(f"Where was the {SECRET} smelter reserve moved?", audience=audience)
    shown = answer.to_json()
    shown.pop("question")
    return str(shown) + str([h.chunk.text for h in assistant.search(SECRET, k=20, audience=audience)])


@pytest.mark.parametrize("form", list(FORMS))
def test_every_header_form_the_loader_strips_restricts_the_document(tmp_path: Path, form: str):
    encoding, newline, text = FORMS[form]
    assistant = hash_assistant(tmp_path, {"public.txt": "Lemons grow in the south.\n"})
    (assistant.settings.corpus_dir / "board.md").write_bytes(_encode(encoding, newline, text))
    report = assistant.ingest(progress=False, log=lambda _: None)
    assert report.failed == [] and report.added == 1
    assert SECRET in _shown(assistant, BOARD_DM)  # the document was indexed and is readable
    assert SECRET not in _shown(assistant, PUBLIC_CHANNEL)
    doc = load_document(assistant.settings.corpus_dir / "board.md", root=assistant.settings.corpus_dir)
    assert "UBOARD1" not in doc.text and "isibility" not in doc.text  # metadata, not content


UNREADABLE = {
    "block-list": "---\ntitle: Board reserve\nvisibility:\n  - UBOARD1\n---\n",
    "nested": "---\naccess:\n  visibility: restricted\n---\n",
    "block-scalar": "---\nvisibility: >\n  restricted users=UBOARD1\n---\n",
    "after-blank-line": "Title: Board reserve\n\nVisibility: restricted users=UBOARD1\n",
    "under-unknown-key": "Title: Board reserve\nAuthor: Anna\nVisibility: restricted users=UBOARD1\n",
    "twice": "Visibility: public\nVisibility: restricted users=UBOARD1\n",
    "empty": "Title: Board reserve\nVisibility:\n",
    "unclosed-front-matter": "---\ntitle: Board reserve\nvisibility: restricted users=UBOARD1\n",
    "after-front-matter": "---\ntitle: Board reserve\n---\nVisibility: restricted users=UBOARD1\n",
}


@pytest.mark.parametrize("form", list(UNREADABLE))
def test_a_visibility_header_that_cannot_be_applied_fails_the_file(tmp_path: Path, form: str):
    assistant = hash_assistant(tmp_path, {"public.txt": "Lemons grow in the south.\n",
                                          "board.txt": f"Title: Board reserve\n\n{BODY}"})
    assert SECRET in _shown(assistant, PUBLIC_CHANNEL)  # public so far: no header yet
    board = assistant.settings.corpus_dir / "board.txt"
    board.write_text(UNREADABLE[form] + "\n" + BODY, encoding="utf-8")
    report = assistant.ingest(progress=False, log=lambda _: None)
    (failed,) = report.failed
    assert failed[0] == str(board) and "isibility" in failed[1] and "\n" not in failed[1]
    assert report.removed == 1  # the indexed public copy leaves the index
    assert SECRET not in _shown(assistant, PUBLIC_CHANNEL)
    with pytest.raises(LoadError, match="isibility"):
        load_document(board, root=board.parent)


def test_a_bad_header_on_an_unchanged_file_outside_the_scanned_folder_also_fails_it(tmp_path: Path):
    """`ingest corpus/sub` re-applies the corpus rules to files indexed from elsewhere in the
    corpus: a header there that cannot be read takes that file out too."""
    assistant = hash_assistant(tmp_path, {"sub/public.txt": "Lemons grow in the south.\n",
                                          "board.txt": f"Title: Board reserve\n\n{BODY}"})
    board = assistant.settings.corpus_dir / "board.txt"
    board.write_text(UNREADABLE["twice"] + "\n" + BODY, encoding="utf-8")
    report = assistant.ingest([assistant.settings.corpus_dir / "sub"], progress=False,
                              log=lambda _: None)
    assert [f[0] for f in report.failed] == [str(board)]
    assert SECRET not in _shown(assistant, PUBLIC_CHANNEL)


def test_a_header_beyond_the_first_64_kib_is_still_found(tmp_path: Path):
    """The access reader reads only a file's head when that decides; a front matter with very
    long lines makes it read on, exactly as far as the loader does."""
    long_lines = "".join(f"note{n}: {'x' * 9000}\n" for n in range(12))  # ~108 KB of front matter
    text = f"---\ntitle: Board\n{long_lines}visibility: restricted users=UBOARD1\n---\n{BODY}"
    path = tmp_path / "board.md"
    path.write_text(text + "More text.\n" * 20000, encoding="utf-8")
    assert read_visibility_header(path) == "restricted users=UBOARD1"


# --- property: the loader and the access reader agree on every header form ---------------------

_KEYS = st.sampled_from(["Title: Board reserve", "Source: https://example.org/b", "URL: https://x.org"])
_VALUES = st.sampled_from(["restricted users=UBOARD1", "restricted channels=C0BOARD9 users=UBOARD1",
                           "confidential C0BOARD9", "public", "restricted", "'restricted U0BOSS7'"])


@st.composite
def header_files(draw) -> tuple[bytes, str | None]:
    """(file bytes, the visibility value as written or None) in a form the loader may accept."""
    value = draw(_VALUES)
    front = draw(st.booleans())
    others = draw(st.lists(_KEYS, max_size=3, unique=True))
    with_vis = draw(st.booleans())
    if front:
        extra = [f"k{n}: v" for n in range(draw(st.integers(0, 20)))]
        extra += draw(st.sampled_from([[], ["tags:", "  - a", "  - b"]]))
        lines = [o.lower() for o in others] + extra  # front-matter keys are lower case
        if with_vis:
            lines.insert(draw(st.integers(0, len(lines))), f"visibility: {value}")
        head = "\n".join(["---", *lines, "---"]) + "\n"
    else:
        lines = list(others)
        if with_vis:
            lines.insert(draw(st.integers(0, len(lines))), f"Visibility: {value}")
        head = "\n".join(lines) + ("\n" if lines else "")
    blank_before = "\n" * draw(st.integers(0, 2))
    text = blank_before + head + draw(st.sampled_from(["", "\n"])) + BODY + "Second line.\n"
    if draw(st.booleans()):  # long enough for the head-only read
        text += "Filler sentence about lemons.\n" * 4000
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
    data = text.replace("\n", newline).encode(encoding)
    return data, (value if with_vis else None)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=header_files())
def test_any_header_the_loader_accepts_yields_the_same_visibility(tmp_path: Path, case):
    data, value = case
    path = tmp_path / "doc.md"
    path.write_bytes(data)
    try:
        doc = load_document(path, root=tmp_path)
    except LoadError as err:  # e.g. Source: and URL: both given end the header early
        assert "isibility" in err.reason
        with pytest.raises(LoadError):  # then the access reader refuses it as well
            read_visibility_header(path)
        return
    assert "isibility" not in doc.text and "UBOARD1" not in doc.text  # stripped as metadata
    read = read_visibility_header(path)
    if value is None:
        assert read is None
        return
    assert read is not None
    expected = parse_visibility_header(value)
    assert parse_visibility_header(read) == expected
    assert expected.restricted == (value != "public")
