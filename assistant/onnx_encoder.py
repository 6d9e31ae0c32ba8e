"""Torch-free query encoder: a sentence-transformers model exported once to ONNX.

Why: importing torch + sentence-transformers costs ~5 s, far more than answering a question.
The ask path only embeds one short query, so it runs the *same* weights through onnxruntime
and `tokenizers` (both start in well under a second) and reproduces ST's mean pooling and
normalisation in numpy. The export needs torch, but only once per model version; it lives in
`cache_dir/onnx/<name>-<hash>/` next to a copy of the tokenizer and a small metadata file.

Only this module's `export_onnx` touches torch, and it imports it lazily.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from assistant.embedding import normalise

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

# Bump when the export recipe changes, so old caches are not reused.
EXPORT_VERSION = 1
ONNX_FILE = "model.onnx"
META_FILE = "encoder.json"
TOKENIZER_FILE = "tokenizer.json"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_dir_for(model_dir: Path, cache_dir: Path, name: str) -> Path:
    """Cache folder for one model's export, keyed by the weights' size and mtime.

    Hashing 90 MB of weights would cost more than the whole cold query path, and a package
    upgrade rewrites the file (new mtime), which is all the invalidation we need.
    """
    weights = model_dir / "model.safetensors"
    st = weights.stat() if weights.exists() else (model_dir / "pytorch_model.bin").stat()
    key = f"{EXPORT_VERSION}:{st.st_size}:{st.st_mtime_ns}".encode()
    return Path(cache_dir) / "onnx" / f"{name}-{hashlib.sha256(key).hexdigest()[:12]}"


def is_exported(export_dir: Path) -> bool:
    """model.onnx is written last, so its presence means the folder is complete."""
    return (export_dir / ONNX_FILE).is_file()


def _atomic_write(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def export_onnx(model: SentenceTransformer, model_dir: Path, export_dir: Path) -> Path:
    """Export `model`'s transformer (token embeddings only; pooling stays in numpy).

    Uses torch's legacy TorchScript exporter (`dynamo=False`): torch 2.13's default dynamo
    exporter needs `onnxscript` (not a dependency); the legacy one is exact for BERT models.
    The dummy batch contains padding so the attention-mask path is traced, not optimised away.
    """
    import torch

    export_dir.mkdir(parents=True, exist_ok=True)
    transformer = model[0]
    auto_model = transformer.auto_model.eval()
    # Which inputs the HF model takes (DistilBERT-style models have no token_type_ids).
    forward_params = inspect.signature(auto_model.forward).parameters
    inputs = [n for n in _INPUTS if n in forward_params]

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = auto_model

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(inputs, args))).last_hidden_state

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    dummy = {
        "input_ids": ids,
        "attention_mask": (ids != 0).long(),
        "token_type_ids": torch.zeros_like(ids),
    }
    axes = {0: "batch", 1: "seq"}
    buf = io.BytesIO()
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer/deprecation noise; equivalence is tested
        torch.onnx.export(
            _TokenEmbeddings(),
            tuple(dummy[n] for n in inputs),
            buf,
            input_names=inputs,
            output_names=["token_embeddings"],
            dynamic_axes={n: axes for n in [*inputs, "token_embeddings"]},
            opset_version=17,
            dynamo=False,
        )
    meta = {
        "max_seq_length": int(transformer.max_seq_length),
        "dim": int(auto_model.config.hidden_size),
        "inputs": inputs,
        "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
    }
    _atomic_write(export_dir / TOKENIZER_FILE, (model_dir / TOKENIZER_FILE).read_bytes())
    _atomic_write(export_dir / META_FILE, json.dumps(meta, indent=1).encode())
    _atomic_write(export_dir / ONNX_FILE, buf.getvalue())  # last: marks the export complete
    return export_dir / ONNX_FILE


class OnnxEmbedder:
    """Mean-pooled, L2-normalised embeddings from an exported model: no torch needed."""

    def __init__(
        self, export_dir: Path, *, name: str, batch_size: int = 64, threads: int = 2
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta: dict[str, Any] = json.loads((export_dir / META_FILE).read_text())
        self.name = name
        self.dim: int = meta["dim"]
        self.batch_size = batch_size
        self._lower = bool(meta.get("do_lower_case"))
        self._inputs: list[str] = meta["inputs"]
        tok = Tokenizer.from_file(str(export_dir / TOKENIZER_FILE))
        # tokenizer.json ships with fixed 128-token truncation/padding; ST uses its own limit
        # (sentence_bert_config.json) and pads to the longest text in the batch.
        tok.enable_truncation(max_length=meta["max_seq_length"])
        pad = tok.padding or {}
        tok.enable_padding(pad_id=pad.get("pad_id", 0), pad_token=pad.get("pad_token", "[PAD]"))
        self._tokenizer = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(export_dir / ONNX_FILE), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._lower:
            texts = [t.lower() for t in texts]
        encs = self._tokenizer.encode_batch(list(texts))
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feed = {
            "input_ids": np.array([e.ids for e in encs], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64),
        }
        (hidden,) = self._session.run(None, {n: feed[n] for n in self._inputs})
        weights = mask[..., None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise(pooled)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Batch texts of similar length together (as sentence-transformers does): padding a
        # short text to a long neighbour's length multiplies the work for nothing.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        step = self.batch_size
        chunks = [[texts[j] for j in order[i : i + step]] for i in range(0, len(texts), step)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        out[order] = np.concatenate([self._encode(chunk) for chunk in chunks])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]
