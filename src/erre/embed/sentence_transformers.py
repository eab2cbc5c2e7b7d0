"""Any sentence-transformers model from a local folder (or the hub, when there is a network)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import BackendError, MissingExtra
from . import normalize


class STEmbedder:
    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "", threads: int = 2):
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingExtra("sentence-transformers support", "'erre[st]'") from None
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as e:
            raise BackendError(f"Could not load the sentence-transformers model '{model}': {e}") from None
        try:
            import torch

            torch.set_num_threads(threads)
        except ImportError:  # pragma: no cover - sentence-transformers needs torch
            pass
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim: int = int(dim() or 0)
        self.name = "st:" + os.path.basename(os.path.normpath(model))
        self._qp, self._pp = query_prefix, passage_prefix

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        v = self._model.encode([prefix + t for t in texts], batch_size=32, convert_to_numpy=True,
                               show_progress_bar=False)
        return normalize(v)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._pp)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._qp)

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text)["input_ids"])
