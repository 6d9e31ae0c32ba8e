"""Optional cross-encoder reranking, for users who have a reranker model locally.

None ships offline with this project, so it is off by default (ASSISTANT_RERANKER unset)."""

from __future__ import annotations

import os
from typing import Sequence

from ..errors import BackendError


class CrossEncoderReranker:
    def __init__(self, *, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(model, device="cpu")
        except Exception as exc:  # missing weights offline, bad path, ...
            raise BackendError(f"cannot load reranker '{model}': {exc}") from exc

    def rerank(self, query: str, texts: Sequence[str]) -> Sequence[float]:
        if not texts:
            return []
        return [float(s) for s in self._model.predict([(query, t) for t in texts])]
