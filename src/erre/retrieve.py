"""Hybrid search: lexical (BM25 over language-aware stems) and dense (cosine), fused.

Dense search compares the question with each chunk's sentences (a chunk scores by its best
sentence, blended with its mean vector), so a question about one fact finds the sentence
that states it; that rule is written here once (`dense`), over the store's primitives
(nearest units and chunks, their vectors; BM25). Lexical and dense scores are normalised and combined with weights; the
lexical weight depends on the question's language: BM25 is strong when the question shares
the language of the writings and weak across languages, where dense search carries it.
Each passage keeps its raw evidence (cosine similarity, BM25 score, ranks) so that the
answering stage can tell a question the writings cover from one they don't. `find` returns
one `Retrieved`: the query, its language, the passages and the deeper pool they head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from . import language
from .documents import Chunk, Passage
from .embed import Embedder
from .errors import EmbedderMismatch, NoIndex
from .store import Store

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Weights:
    """How the evidence is combined; the defaults were fitted on SQuAD-it dev (docs/retrieval.md)."""

    unit: float = 0.7  # dense score = unit * best sentence cosine + (1 - unit) * chunk cosine
    lexical_same_language: float = 0.4  # question in a language the index is mostly written in
    lexical_other_language: float = 0.1  # question in another language: names and numbers only
    second: float = 0.0  # a second encoder's cosine, min-max scaled over the candidates, added
    translated: float = 0.4  # with a second encoder: BM25 of the question's words it translates, scaled, added


class Second(Protocol):
    """A second encoder's view of the candidates: its cosine between the query and each chunk
    it knows (subjects.Subjects: a cross-lingual encoder, which does not favour the question's
    own language as e5 does)."""

    def cosines(self, query: str, ids: Sequence[int]) -> dict[int, float]: ...

    def alike(self, word: str, candidates: Sequence[str]) -> list[str]:
        """The words of `candidates` (another language's) that translate `word`."""
        ...


@dataclass(frozen=True)
class DenseHit:
    """A chunk found by vector search: cosine with the chunk's vector and with its best unit."""

    id: int
    chunk: float
    unit: float
    span: tuple[int, int]  # the best unit, in document offsets


@dataclass(frozen=True)
class Retrieved:
    """One search: the query, its language (detected once, among the index's languages), the
    best passages, and the deeper pool they head (the voice draws examples of form from it)."""

    query: str
    language: str
    passages: list[Passage]
    pool: list[Passage]
    # the first k as ranked before the translated words' BM25 joined (`translated`), when it
    # changed them: whether the writings come near the question is judged on these, as before
    judged: list[Passage] = field(default_factory=list)
    # the question's vector the dense search compared (None in lexical mode): the sentence of a
    # passage nearest the question is chosen by the same vector (answer.citations.stated)
    vector: np.ndarray | None = None


def find(store: Store, embedder: Embedder | None, query: str, k: int = 8, *, pool: int = 0,
         lang: str | None = None, candidates: int = 50, mode: str = "hybrid",
         weights: Weights = Weights(), query_vector=None, second: Second | None = None) -> Retrieved:
    """The `k` passages that best answer `query`, best first, heading a pool of `pool` (at
    least `k`). `lang`: the query's language when the caller detected it already;
    `query_vector` saves the embedding call when the caller has the question's vector;
    `second`: a second encoder whose cosine joins the fused score (`rescore`) of a question in
    a language that holds under a fifth of the index."""
    if mode not in MODES:
        raise ValueError(f"unknown search mode '{mode}' (use one of {', '.join(MODES)})")
    langs = store.languages()
    if not langs:
        raise NoIndex(str(getattr(store, "path", "the store")))
    depth = max(k, pool)
    n = max(candidates, depth)
    found: list[DenseHit] = []
    lexical: list[tuple[int, float]] = []
    qlang = lang or language.detect_query(query, tuple(langs))
    if mode in ("hybrid", "dense"):
        if embedder is None:
            raise ValueError("dense search needs an embedder")
        indexed = store.embedder()
        if indexed != (embedder.name, embedder.dim):
            raise EmbedderMismatch(indexed[0] if indexed else "an unfinished re-embedding", embedder.name)
        if query_vector is None:
            query_vector = embedder.queries([query])[0]
        found = dense(store, query_vector, n)
    if mode in ("hybrid", "lexical"):
        # stems under the question's language and under each language of the index, so a
        # name or a number matches whatever stemmer the passage went through
        lexical = store.search_lexical(language.query_terms(query, (qlang, *langs)), n)
    same = langs.get(qlang, 0) / sum(langs.values()) >= 0.2
    w_lex = {"dense": 0.0, "lexical": 1.0}.get(
        mode, weights.lexical_same_language if same else weights.lexical_other_language)
    rows = fuse(found, lexical, w_lexical=w_lex, unit=weights.unit)
    chunks: dict[int, Chunk] = {}
    judged: list[int] = []
    if second is not None and mode == "hybrid" and weights.second and not same:
        # across languages only: within one, e5 and BM25 do better alone (docs/retrieval.md)
        rows = rescore(rows, second.cosines(query, [r.id for r in rows]), weights.second)
        if weights.translated:
            rows = rows[:n]
            chunks = store.chunks([r.id for r in rows])
            first = [r.id for r in rows[:k]]
            rows = translated(store, rows, chunks, query, qlang, langs, second, weights.translated)
            judged = first if first != [r.id for r in rows[:k]] else []
    every = {r.id: r for r in rows}
    rows = rows[:depth]
    chunks.update(store.chunks([i for i in [r.id for r in rows] + judged if i not in chunks]))

    def passage(r: _Row) -> Passage:
        return Passage(id=r.id, chunk=chunks[r.id], score=r.score, dense=r.dense, lexical=r.lexical,
                       rank_dense=r.rank_dense, rank_lexical=r.rank_lexical, quote=r.span, extra={"language": qlang})

    passages = [passage(r) for r in rows if r.id in chunks]
    return Retrieved(query, qlang, passages[:k], passages, [passage(every[i]) for i in judged if i in chunks],
                     query_vector)


def search(store: Store, embedder: Embedder | None, query: str, k: int = 8, **options) -> list[Passage]:
    """The `k` passages that best answer `query`, best first (`find`'s options)."""
    return find(store, embedder, query, k, **options).passages


def dense(store: Store, vector: np.ndarray, k: int) -> list[DenseHit]:
    """The dense-search rule: the chunks owning one of the 4k sentence units nearest the
    question, and the k chunks nearest by their own vector; each scored by its own vector and
    by its best sentence unit, so a question about one fact finds the sentence stating it."""
    vector = np.asarray(vector, np.float32)
    near_units, near_chunks = store.nearest(vector, 4 * k, k)
    hits = []
    for cid, v in store.vectors(sorted(set(near_units) | set(near_chunks))).items():
        sims = v.units @ vector
        best = int(np.argmax(sims))
        hits.append(DenseHit(cid, float(v.chunk @ vector), float(sims[best]),
                             (int(v.spans[best, 0]), int(v.spans[best, 1]))))
    return hits


def rescore(rows: list[_Row], cosines: dict[int, float], weight: float) -> list[_Row]:
    """The candidates with `weight` times a second encoder's cosine, min-max scaled over them,
    added to their score, best first (search.cross; docs/retrieval.md: on SQuAD-it, Italian
    questions over Italian passages, no change; on a bilingual blog, English questions find
    the Italian writings on their subject that e5 ranks below English ones on other subjects)."""
    if not cosines:
        return rows
    lo, hi = min(cosines.values()), max(cosines.values())
    for r in rows:
        r.score += weight * ((cosines.get(r.id, lo) - lo) / (hi - lo) if hi > lo else 0.0)
    return sorted(rows, key=lambda r: (-r.score, r.id))


def translated(store: Store, rows: list[_Row], chunks: dict[int, Chunk], query: str, qlang: str,
               langs: dict[str, int], second: Second, weight: float) -> list[_Row]:
    """The candidates with `weight` times the BM25 score of the question's words translated
    into the index's main other language, divided by the best, added to the score of those
    in another language than the question's, best first (docs/retrieval.md). The
    translations are the candidates' own words that the second encoder finds translate a
    word of the question both ways (`language.translations`: "homework" -> "compiti"), so
    the Italian posts on homework meet an English question on it by the word they use,
    where e5, favouring the question's language, ranks an English post on another school
    subject first. A word spelt alike in both ("Elo", "leaderboard") is matched by the
    question's own stems already; and in the question's own language a stem alike is
    chance ("studenti" and "students")."""
    theirs: dict[str, None] = {}
    for r in rows:
        c = chunks.get(r.id)
        if c is not None and c.language not in (qlang, None):
            theirs.update(dict.fromkeys(language.content_words(c.context, c.language, language.TRANSLATED_ZIPF)))
    asked = list(dict.fromkeys(language.content_words(query, qlang, language.TRANSLATED_ZIPF)))
    own, candidates = list(dict.fromkeys(language.words(query))), list(theirs)
    found = [t for w in asked for t in language.translations(w, candidates, own, second.alike) if t != w]
    others = [lang for lang in langs if lang != qlang]
    if not found or not others:
        return rows
    other = max(others, key=lambda lang: langs[lang])
    lexical = dict(store.search_lexical(language.query_terms(" ".join(found), (other,)), len(rows)))
    there = {r.id: lexical.get(r.id, 0.0) for r in rows
             if (c := chunks.get(r.id)) is not None and c.language not in (qlang, None)}
    top = max(there.values(), default=0.0) or 1.0
    for r in rows:
        r.score += weight * there.get(r.id, 0.0) / top
    return sorted(rows, key=lambda r: (-r.score, r.id))


@dataclass
class _Row:
    id: int
    score: float = 0.0
    dense: float | None = None
    lexical: float | None = None
    rank_dense: int | None = None
    rank_lexical: int | None = None
    span: tuple[int, int] | None = None


def fuse(dense: list[DenseHit], lexical: list[tuple[int, float]], *, w_lexical: float,
         unit: float = 0.7) -> list[_Row]:
    """Convex combination of normalised scores: the dense score min-max scaled over the
    candidates, BM25 divided by the best BM25. Scores, unlike ranks, keep how much better the
    first candidate is than the next, which is what lifts recall@1 above rank fusion."""
    rows: dict[int, _Row] = {}
    if dense:
        scores = np.array([unit * h.unit + (1 - unit) * h.chunk for h in dense])
        lo, hi = float(scores.min()), float(scores.max())
        order = np.argsort(-scores, kind="stable")
        for rank, i in enumerate(order, 1):
            h = dense[i]
            r = rows[h.id] = _Row(h.id, dense=float(scores[i]), rank_dense=rank, span=h.span)
            r.score += (1 - w_lexical) * ((scores[i] - lo) / (hi - lo) if hi > lo else 1.0)
    if lexical:
        top = max(s for _, s in lexical) or 1.0
        for rank, (cid, s) in enumerate(lexical, 1):
            r = rows.setdefault(cid, _Row(cid))
            r.lexical, r.rank_lexical = s, rank
            r.score += w_lexical * s / top
    return sorted(rows.values(), key=lambda r: (-r.score, r.id))
