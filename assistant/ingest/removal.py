"""Taking documents out of the index without touching the files on disk (`remix-assistant
remove PATH`).

The index gets a new version without the document's files (an `IndexChange` that only
removes: its chunks stop being live), written and swapped like any ingest (under the same lock), so a running bot picks it up at its next question
and a failure leaves the index as it was. Nothing is embedded. A file still inside a folder that
is ingested again comes back then: the caller says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import AssistantError
from ..retrieval.store import FileRecord, IndexChange, IndexStore

# Manifest keys the store writes itself; any other (the memory version, ...) is carried over.
_OWN_KEYS = frozenset({"format", "embedder", "chunks", "documents", "created", "segments"})


class NotIndexedError(AssistantError):
    """The path names no document in the index."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Removed:
    """What `remove` took out: the files (absolute paths as indexed) and their chunks."""

    files: tuple[FileRecord, ...]
    chunks: int


def matching_files(files: dict[str, FileRecord], target: str) -> list[FileRecord]:
    """The indexed files `target` names: that file, every file under that folder, or the
    document id (`sub/file.txt`) or id folder (`sub`) as `sources` shows them."""
    path = Path(target).expanduser().absolute()
    resolved = path.resolve() if path.exists() else path
    folder_id = target.strip("/") + "/"
    found = []
    for key, record in files.items():
        indexed = Path(key)
        if (indexed in (path, resolved) or _within(indexed, resolved) or _within(indexed, path)
                or record.doc_id == target or record.doc_id.startswith(folder_id)):
            found.append(record)
    return found


def remove_documents(store: IndexStore, target: str, *, lock_timeout: float = 60.0) -> Removed:
    """Write an index version without the documents `target` names (see `matching_files`).
    Raises NotIndexedError when it names none."""
    with store.lock(timeout=lock_timeout):
        reader = store.open()
        try:
            gone = matching_files(reader.files(), target)
            if not gone:
                raise NotIndexedError(
                    f"{target} is not in the index at {store.root}: `remix-assistant sources` "
                    "lists the documents it holds (give a file, a folder or a document id)")
            extra = {k: v for k, v in reader.manifest.items() if k not in _OWN_KEYS}
            store.update(reader, IndexChange(removed=[f.file_key for f in gone]),
                         embedder=str(reader.manifest.get("embedder")), extra=extra)
        finally:
            reader.close()
    return Removed(files=tuple(gone), chunks=sum(f.n_chunks for f in gone))


def _within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return path != folder
