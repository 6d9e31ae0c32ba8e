"""The language identifier's model is decompressed once into the cache dir, and the cached copy
identifies exactly as py3langid's own loader does."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering import language

TEXTS = ("Milloin REMIX-hankkeen ensimmäinen vaihe päättyi?",
         "¿Cuándo terminó la primera fase del proyecto REMIX?",
         "Which regions lead the Mining industry partnership?",
         "Wann endete die erste Phase des Projekts?")


def test_cached_model_identifies_like_the_packaged_one(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path))
    language._identifier.cache_clear()
    try:
        cached = language._identifier()
        assert [p.name for p in tmp_path.iterdir() if p.suffix == ".npz"]  # written once
        assert not list(tmp_path.glob("*.part"))
        reference = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        reference.set_languages(sorted(language.LANGUAGES))
        assert [cached.classify(t) for t in TEXTS] == [reference.classify(t) for t in TEXTS]
        assert cached.classify(TEXTS[0])[0] == "fi"
    finally:
        language._identifier.cache_clear()
