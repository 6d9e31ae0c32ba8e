"""Which language a question or a passage is written in, for answering across languages.

Word overlap cannot connect a Finnish question to an English page, so the answerer must know
when the languages differ (to let meaning stand in for words) and must tell the reader that a
quote is in another language. py3langid is a small, offline, well-kept identifier; it is
restricted to the languages of the project's partners and documents, which makes short texts
far more reliable than an open choice among ~100 languages.
"""

from __future__ import annotations

import lzma
import re
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..cachefiles import cache_dir, write_atomically

import numpy as np

LANGUAGES: dict[str, str] = {
    "en": "English", "fi": "Finnish", "sv": "Swedish", "es": "Spanish", "pt": "Portuguese",
    "pl": "Polish", "de": "German", "el": "Greek", "fr": "French", "it": "Italian",
    "cs": "Czech", "ro": "Romanian", "nl": "Dutch", "et": "Estonian", "hu": "Hungarian",
}
MIN_PROBABILITY = 0.9  # below this a short text ("and Kankberg?") gets no language at all
MIN_LETTERS = 12
MAX_CHARS = 600  # enough to tell a language; identification time grows with length
_LETTERS = re.compile(r"[^\W\d_]")
# Codes, acronyms, numbers and URLs say nothing about the language around them.
_NOISE = re.compile(r"https?://\S+|\b[\w.-]*\d[\w.-]*\b|\b[A-ZÀ-Þ]{2,}\b")


def _unpacked_model(packed: Path) -> Path | None:
    """py3langid ships its model LZMA-compressed, and decompressing it costs ~0.8 s on every
    cold `ask`; the plain .npz is kept in the cache dir (written aside, then renamed), so later
    processes load it in milliseconds. None when the cache dir cannot be written."""
    import py3langid

    target = cache_dir() / f"py3langid-{py3langid.__version__}-{packed.name.removesuffix('.xz')}"
    if target.is_file():
        return target

    def unpack(out) -> None:
        with lzma.open(packed) as src:
            shutil.copyfileobj(src, out, length=1 << 20)

    return target if write_atomically(target, unpack) else None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
    from py3langid.modelio import _to_array

    unpacked = _unpacked_model(MODEL_DIR / MODEL_FILE)
    if unpacked is None:
        identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    else:  # the same arrays py3langid's load_model returns, without the decompression
        with np.load(unpacked, allow_pickle=False) as data:
            identifier = LanguageIdentifier(
                np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
                _to_array(data["nextmove"]), data["out_feat"].tolist(), norm_probs=True,
                tk_row=_to_array(data["nextmove_row"]))
    identifier.set_languages(sorted(LANGUAGES))
    return identifier


@lru_cache(maxsize=8192)
def detect(text: str) -> str | None:
    """ISO 639-1 code of `text`, or None when it is too short or too mixed to tell."""
    cleaned = _NOISE.sub(" ", text)
    if len(_LETTERS.findall(cleaned)) < MIN_LETTERS:
        return None
    code, probability = _identifier().classify(cleaned[:MAX_CHARS])
    return code if probability >= MIN_PROBABILITY else None


def differs(a: str | None, b: str | None) -> bool:
    """Known to be different languages (unknown on either side is not a difference)."""
    return a is not None and b is not None and a != b


def name(code: str) -> str:
    return LANGUAGES.get(code, code)
