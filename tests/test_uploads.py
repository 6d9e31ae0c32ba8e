"""Documents added at run time (from Slack): checked before they touch the corpus, stored under
the corpus, ingested, and answerable at once; refusals say why."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpora import SMALL_CORPUS, hash_assistant

from assistant.errors import UploadRejected
from assistant.service import Assistant



@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    return hash_assistant(tmp_path, SMALL_CORPUS, upload_max_bytes=2000)


NOTE = b"Title: Site visit\n\nThe site visit to the Pyhasalmi mine took place on 4 May 2021.\n"


def _uploads(a: Assistant) -> list[str]:
    folder = a.settings.corpus_dir / a.settings.upload_dir
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_upload_is_stored_ingested_and_answerable(assistant: Assistant):
    added = assistant.add_document("visit.txt", NOTE, added_by="UADMIN")
    assert (added.status, added.doc_id, added.added_by) == ("added", "uploads/visit.txt", "UADMIN")
    assert added.chunks == 1
    assert _uploads(assistant) == ["visit.txt"]
    answer = assistant.ask("When did the site visit to the Pyhasalmi mine take place?")
    assert answer.answered and "4 May 2021" in answer.text
    assert answer.citations[0].doc_id == "uploads/visit.txt"
    # the same name again replaces it (an update, not a second copy)
    assert assistant.add_document("visit.txt", NOTE).status == "unchanged"
    updated = assistant.add_document("visit.txt", NOTE.replace(b"4 May", b"5 May"))
    assert updated.status == "updated" and _uploads(assistant) == ["visit.txt"]
    assert "5 May 2021" in assistant.ask("When was the Pyhasalmi site visit?").text


@pytest.mark.parametrize("name, data, reason", [
    ("tool.exe", b"MZ\x90\x00", "unsupported file type .exe"),
    ("big.txt", b"word " * 1000, "over the"),
    ("empty.txt", b"", "empty"),
    ("broken.pdf", b"%PDF-1.7 this is not really a pdf", "broken.pdf"),
    ("blank.txt", b"   \n\n  ", "blank.txt"),
])
def test_bad_uploads_are_refused_with_a_reason_and_leave_no_file(assistant: Assistant, name,
                                                                  data, reason):
    before = assistant.reader().size
    with pytest.raises(UploadRejected) as refused:
        assistant.add_document(name, data)
    assert reason in str(refused.value)
    assert _uploads(assistant) == []
    assert assistant.reader().size == before


def test_a_path_in_the_file_name_cannot_escape_the_upload_folder(assistant: Assistant):
    assistant.add_document("../../outside/../evil.txt", NOTE)
    assert _uploads(assistant) == ["evil.txt"]
    assert not (assistant.settings.corpus_dir.parent / "evil.txt").exists()
