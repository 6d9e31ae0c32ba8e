"""What an incrementally kept index holds, against what a fresh full ingest of the same corpus
gives: shared by the tests of folder marks and of the change journal (importable as
`index_views`)."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

from corpora import write_corpus

from assistant.config import Settings
from assistant.service import Assistant


def note(tag: str) -> str:
    """A small document of its own (every tag gives other text, so another hash)."""
    return f"Title: Note {tag}\n\nThe note {tag} records that depot Q{tag} opened in Kemi.\n"


def settings_for(root: Path, corpus: Path, name: str) -> Settings:
    """An index `name` under `root` for `corpus`, with the deterministic hash embedder."""
    return Settings(corpus_dir=corpus, index_dir=root / name, data_dir=root / f"{name}-data",
                    cache_dir=root / "cache", embedder="hash-384")


def quiet_ingest(a: Assistant):
    return a.ingest(progress=False, log=lambda _: None)


def view(a: Assistant) -> dict[str, tuple[str, object]]:
    """Each indexed document's content hash and visibility."""
    return {f.doc_id: (f.sha256, f.visibility) for f in a.reader().files().values()}


def fresh_view(root: Path, corpus: Path) -> dict[str, tuple[str, object]]:
    """What a full ingest of the corpus as it is now gives (a new index: no marks, no journal)."""
    shutil.rmtree(root / "fresh", ignore_errors=True)
    fresh = Assistant(settings=settings_for(root, corpus, "fresh"))
    quiet_ingest(fresh)
    return view(fresh)


CHANGES = ("edit", "add", "delete", "rename", "mkdir", "rmdir", "touch", "access", "upload",
           "hide", "unsupported")
FILE_CHANGES = frozenset({"edit", "add", "delete", "rename", "touch", "upload", "hide",
                          "unsupported"})  # those that change files alone, no folder


def change(op: str, *, rng: random.Random, corpus: Path, target: Path, folders: list[Path],
           tag: str, assistant: Assistant) -> None:
    """One change of kind `op` (one of CHANGES) to the corpus, on the file `target` or in one
    of `folders` chosen by `rng`; `tag` names what it writes."""
    if op == "edit":
        target.write_text(note(f"e{tag}"), encoding="utf-8")
    elif op == "add":
        (rng.choice(folders) / f"a{tag}.txt").write_text(note(f"a{tag}"), encoding="utf-8")
    elif op == "delete":
        target.unlink()
    elif op == "rename":
        target.rename(rng.choice(folders) / f"r{tag}.txt")
    elif op == "mkdir":
        write_corpus(rng.choice(folders) / f"d{tag}", {"x.txt": note(f"d{tag}")})
    elif op == "rmdir":
        victim = rng.choice(folders)
        if victim != corpus:
            shutil.rmtree(victim, ignore_errors=True)
    elif op == "touch":
        os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10**9))
    elif op == "access":
        glob = rng.choice(["f1/**", "*x0*", "f2/n1*"])
        (corpus / "access.toml").write_text(
            f'[[restrict]]\npaths = ["{glob}"]\nchannels = ["C{tag}"]\n', "utf-8")
    elif op == "upload":
        assistant.add_document(f"u{rng.randrange(3)}.txt", note(f"u{tag}").encode())
    elif op == "hide":
        target.rename(target.with_name("." + target.name))
    elif op == "unsupported":
        target.rename(target.with_suffix(".bak"))
    else:
        raise ValueError(op)
