"""Retrieval quality over what is ingested: recall@1, recall@5 and MRR@10 by document.

A question file is JSON Lines; each line has `question` and either `passage_id` (the `id` of
the JSONL document that answers it) or `sources` (paths, relative to the ingested folder, of
the files that answer it). A hit is any passage of an answering document; passages of one
document count once, at the rank of its best passage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import retrieve
from ..embed import Embedder
from ..errors import ErreError
from ..store import Store
from . import questions


@dataclass(frozen=True)
class Question:
    text: str
    gold: frozenset[str]


def load_questions(path: Path, where: Callable[[dict], bool] | None = None) -> list[Question]:
    """The questions of `path`; `where`: only the lines it accepts (a question set of the
    answer benches holds some with no answering document, to leave out)."""
    out = []
    for n, obj in questions(path):
        if where is not None and not where(obj):
            continue
        gold = obj.get("sources") or ([obj["passage_id"]] if obj.get("passage_id") is not None else [])
        if not obj.get("question") or not isinstance(gold, list) or not gold:
            raise ErreError(f"{path} line {n}: needs 'question' and 'passage_id' or 'sources'")
        out.append(Question(str(obj["question"]), frozenset(str(g).removeprefix("./") for g in gold)))
    if not out:
        raise ErreError(f"{path}: no questions")
    return out


def evaluate(store: Store, embedder: Embedder | None, questions: list[Question], *,
             mode: str = "hybrid", candidates: int = 50, weights: retrieve.Weights = retrieve.Weights(),
             progress: Callable[[int, int], None] | None = None, second: retrieve.Second | None = None) -> dict:
    """Recall and MRR of `mode`'s search over `questions`; `second`: the cross-lingual
    encoder the answers' search may add (search.cross, retrieve.rescore), for hybrid search."""
    vectors = None
    started = time.perf_counter()
    if mode != "lexical" and embedder is not None:
        vectors = np.vstack([embedder.queries([q.text for q in questions[i:i + 64]])
                             for i in range(0, len(questions), 64)])
    ranks = []
    for i, q in enumerate(questions):
        passages = retrieve.search(store, embedder, q.text, k=candidates, candidates=candidates,
                                   mode=mode, weights=weights, second=second,
                                   query_vector=None if vectors is None else vectors[i])
        ranks.append(_rank(q, [p.chunk.source for p in passages]))
        if progress:
            progress(i + 1, len(questions))
    r = np.array([x if x is not None else 10**9 for x in ranks])
    return {
        "mode": mode + ("+cross" if second is not None and mode == "hybrid" else ""), "questions": len(questions),
        "recall@1": float(np.mean(r <= 1)), "recall@5": float(np.mean(r <= 5)),
        "recall@10": float(np.mean(r <= 10)),
        "mrr@10": float(np.mean(np.where(r <= 10, 1.0 / r, 0.0))),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _rank(q: Question, sources: list[str]) -> int | None:
    """1-based rank of the first answering document among distinct documents."""
    seen: list[str] = []
    for s in sources:
        if s not in seen:
            seen.append(s)
            if s in q.gold:
                return len(seen)
    return None
