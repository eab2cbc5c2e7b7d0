"""Hybrid search: lexical (BM25 over language-aware stems) and dense (cosine), fused.

Each side returns its best candidates; their ranks are fused with weights (weighted
reciprocal-rank fusion, k=60 as in Cormack et al. 2009). The lexical side's weight depends
on the question's language: BM25 is strong when the question shares the language of the
writings and weak across languages, where dense retrieval carries the search.
Each passage keeps its raw evidence (cosine similarity, BM25 score, ranks) so that the
answering stage can tell a question the writings cover from one they don't.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import language
from .documents import Passage
from .embed import Embedder
from .errors import EmbedderMismatch, NoIndex
from .store import Store

RRF_K = 60
MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Weights:
    dense: float = 1.0
    lexical_same_language: float = 1.0  # question in a language most of the index is written in
    lexical_other_language: float = 0.25  # question in another language: names and numbers only


def search(store: Store, embedder: Embedder | None, query: str, k: int = 8, *,
           candidates: int = 50, mode: str = "hybrid", weights: Weights = Weights(),
           query_vector=None) -> list[Passage]:
    """The `k` passages that best answer `query`, best first. `query_vector` saves the
    embedding call when the caller already has the question's vector."""
    if mode not in MODES:
        raise ValueError(f"unknown search mode '{mode}' (use one of {', '.join(MODES)})")
    langs = store.languages()
    if not langs:
        raise NoIndex(str(getattr(store, "path", "the store")))
    n = max(candidates, k)
    dense: list[tuple[int, float]] = []
    lexical: list[tuple[int, float]] = []
    qlang = language.detect_query(query, tuple(langs))
    if mode in ("hybrid", "dense"):
        if embedder is None:
            raise ValueError("dense search needs an embedder")
        indexed = store.embedder()
        if indexed and indexed[0] != embedder.name:
            raise EmbedderMismatch(indexed[0], embedder.name)
        if query_vector is None:
            query_vector = embedder.queries([query])[0]
        dense = store.search_dense(query_vector, n)
    if mode in ("hybrid", "lexical"):
        # stems under the question's language and under each language of the index, so a
        # name or a number matches whatever stemmer the passage went through
        lexical = store.search_lexical(language.query_terms(query, (qlang, *langs)), n)
    total = sum(langs.values())
    same = langs.get(qlang, 0) / total >= 0.2
    w_lex = weights.lexical_same_language if same else weights.lexical_other_language
    fused = fuse(dense, lexical, w_dense=weights.dense if mode != "lexical" else 0.0,
                 w_lexical=w_lex if mode != "dense" else 1.0)
    top = fused[:k]
    chunks = store.chunks([cid for cid, *_ in top])
    return [Passage(id=cid, chunk=chunks[cid], score=score, dense=d, lexical=lx,
                    rank_dense=rd, rank_lexical=rl, extra={"language": qlang})
            for cid, score, d, lx, rd, rl in top if cid in chunks]


def fuse(dense: list[tuple[int, float]], lexical: list[tuple[int, float]], *,
         w_dense: float = 1.0, w_lexical: float = 1.0, k: int = RRF_K):
    """Weighted reciprocal-rank fusion: [(id, score, cosine, bm25, dense rank, lexical rank)]."""
    rows: dict[int, list] = {}
    for rank, (cid, sim) in enumerate(dense, 1):
        rows.setdefault(cid, [cid, 0.0, None, None, None, None])
        rows[cid][1] += w_dense / (k + rank)
        rows[cid][2], rows[cid][4] = sim, rank
    for rank, (cid, bm25) in enumerate(lexical, 1):
        rows.setdefault(cid, [cid, 0.0, None, None, None, None])
        rows[cid][1] += w_lexical / (k + rank)
        rows[cid][3], rows[cid][5] = bm25, rank
    return sorted((tuple(r) for r in rows.values()), key=lambda r: (-r[1], r[0]))
