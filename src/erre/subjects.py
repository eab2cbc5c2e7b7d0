"""Writings on the same subject, in either language: a cross-lingual encoder beside the index.

The index's embedder (multilingual-e5) ranks a question's own-language writings far above the
other language's, and its cosines bunch (0.82 to 0.90 across subjects on bench/time), so it
cannot tell, for an Italian question, that an English post is on the same subject. Google's
multilingual Universal Sentence Encoder (USE, 16 languages, numpy only) aligns the languages
closely and spreads its scores: the mean of a writing's chunk vectors finds the other
writings on its subject in both languages (on bench/time, of the 17 writings of its
seven topics, the nearest writing is another of the same topic for 16; for e5, 10).

The time ordering (answer/when.py) uses it to bring the other writings on the subject of the
best passage's writing to the evidence: the newest for a question about now, the oldest for
one about the beginning, all for a change, those of the years asked. A writing counts when
it and the best one are each other's nearest writing (NEAR) and the question is at least
SHARE as near it as to the best one (all by this encoder).

The vectors are kept in the twin's cache, one per chunk by the chunk's key: computed for new
chunks after each ingest (`Twin.ingest`) or on first use, dropped with their chunks.
"""

from __future__ import annotations

import functools
import os
import re
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .documents import Chunk
from .embed import Embedder
from .store import Index

NEAR = 1  # a writing on the same subject is among this many nearest the best one's writing
SHARE = 0.7  # ... and the question is at least this share as near it as to the best one
# for a question about now, the best writing's own nearest writing is put in time order beside
# it when the question is at least this share as near it (never alone: the link is one-way)
NEAR_SHARE = 0.6
HOPS = 2  # ... or the nearest of that one, when the first link goes back in time
# for a question about now, the writing shown that the question is nearest leads when the
# question is this much nearer it than the first passage's writing and the first passage itself
# (and neither writing is the other's nearest): policy.lead
LEAD = 0.08
# a word of another language translates a word when this encoder puts them at least this near
# ("homework" / "compiti" 0.79, "phones" / "telefono" 0.89; "aloud" / "udibile" 0.74 does not)
WORD_NEAR = 0.75
WORD_MARGIN = 0.05  # ... and no more than this below the nearest word
WORDS_KEPT = 10_000  # words and sentences whose vectors are kept for the next question (2 KB each)
CACHE = "subjects.{name}.npz"


@dataclass
class Subjects:
    """The chunks' cross-lingual vectors (ids as stored now) and, derived from them, each
    writing's: the normalised mean of its chunks'."""

    encoder: Embedder  # embed/use.py
    ids: np.ndarray  # (n,) chunk ids
    sources: list[str]  # (n,) each chunk's writing
    vectors: np.ndarray  # (n, dim) unit vectors of the chunks, float16 (1 KB a chunk)
    writings: list[str] = field(init=False)  # distinct sources, in order
    means: np.ndarray = field(init=False)  # (len(writings), dim)
    _words: dict[str, np.ndarray] = field(init=False, default_factory=dict, repr=False)  # word -> vector
    _each: np.ndarray | None = field(init=False, default=None, repr=False)  # each writing's nearest

    def __post_init__(self) -> None:
        self.writings = list(dict.fromkeys(self.sources))
        self._row = {s: i for i, s in enumerate(self.writings)}
        self._of = np.array([self._row[s] for s in self.sources], dtype=np.int64)
        self._at = {int(i): n for n, i in enumerate(self.ids)}  # chunk id -> row
        self.means = np.zeros((len(self.writings), self.vectors.shape[1]), np.float32)
        np.add.at(self.means, self._of, self.vectors.astype(np.float32))
        norms = np.linalg.norm(self.means, axis=1, keepdims=True)
        self.means /= np.where(norms == 0, 1, norms)

    def question(self, text: str) -> np.ndarray:
        return self.encoder.queries([text])[0]

    def cosines(self, query: str, ids: Sequence[int]) -> dict[int, float]:
        """The cosine between `query` and each chunk of `ids` this knows (retrieve.Second)."""
        rows = [(i, n) for i in ids if (n := self._at.get(int(i))) is not None]
        if not rows:
            return {}
        sims = self.vectors[[n for _, n in rows]].astype(np.float32) @ self.question(query)
        return {i: float(s) for (i, _), s in zip(rows, sims)}

    def related(self, source: str, question: np.ndarray, near: int = NEAR, share: float = SHARE) -> list[str]:
        """The writings on the subject of `source` (not itself), nearest first: among its
        `near` nearest writings, those that have it among theirs too and that `question` is
        at least `share` as near as to it."""
        i = self._row.get(source)
        if i is None:
            return []
        asked = self.means @ question
        if asked[i] <= 0:
            return []
        return [self.writings[j] for j in self._nearest(i, near)
                if asked[j] >= share * asked[i] and i in self._nearest(j, near)]

    def onward(self, source: str, question: np.ndarray, share: float = NEAR_SHARE,
               hops: int = HOPS, found: Collection[str] = ()) -> list[str]:
        """The writings reached from `source` by following each one's nearest writing (not
        itself), up to `hops` links (stopping where the chain turns back), those `question` is
        at least `share` as near as to `source`, or that the search `found` for it (the index's
        embedder judged them near the question already) when the question is nearer them than
        it is to most writings (a small blog's search finds every writing, and each has a
        nearest: a post on ragù is not on a question about cars because it is the newest and
        nearest the post on the electric car): one-way, so weaker than `related`. The writing
        on a subject a reader's words find first may be nearest an older one, itself nearest
        the newest ("tradurre e trattare" of 2017 -> "a che serve il latino" of 2012 -> "Why I
        still teach Latin" of 2024)."""
        if (at := self._asked(source, question)) is None:
            return []
        i, asked = at
        background = float(np.median(asked))
        out, seen, j = [], {i}, i
        for _ in range(hops):
            j = self._nearest(j, 1)[0]
            if j in seen:
                break
            seen.add(j)
            if asked[j] >= share * asked[i] or (self.writings[j] in found and asked[j] > background):
                out.append(self.writings[j])
        return out

    def toward(self, source: str, question: np.ndarray, share: float = NEAR_SHARE) -> list[str]:
        """The writings whose nearest writing is `source`, that `question` is at least `share`
        as near as to `source`: one-way links back to it, the writings a later one may look
        back on (the 2011 post on Twitter and the 2017 one on tiring of it each have for their
        nearest the 2022 post that tells how the author gave social networks up)."""
        if (at := self._asked(source, question)) is None:
            return []
        i, asked = at
        return [self.writings[j] for j in np.flatnonzero(self._nearest_each() == i).tolist()
                if j != i and asked[j] >= share * asked[i]]

    def _asked(self, source: str, question: np.ndarray) -> tuple[int, np.ndarray] | None:
        """`source`'s row and `question`'s nearness to each writing; None when `source` is not
        indexed or the only writing, or the question is not near it at all."""
        i = self._row.get(source)
        if i is None or len(self.writings) < 2:
            return None
        asked = self.means @ question
        return None if asked[i] <= 0 else (i, asked)

    def lead(self, sources: Sequence[str], question: np.ndarray, first: int | None = None,
             margin: float = LEAD) -> str | None:
        """Of `sources` (the writings of the passages shown, the first passage's first), the
        one `question` is nearest, when it is at least `margin` nearer it than the first, and
        than the first passage (`first`, its chunk id) itself, and neither of the two is the
        other's nearest writing (`linked`: then they are on one
        subject, and the time ordering brings the newer one); None otherwise. The hybrid
        search may put first a writing that shares only a reader's common words ("ragazzi",
        "aula": an Italian post on reading aloud to a class at a distance, for "come gestisce
        gli iPhone dei ragazzi in aula?"), or one in the question's own language on another
        subject (an English post on Latin for an English question on homework, beside the
        Italian posts on homework)."""
        shown = [s for s in dict.fromkeys(sources) if s in self._row]
        if len(shown) < 2 or shown[0] != sources[0]:
            return None
        asked = {s: float(self.means[self._row[s]] @ question) for s in shown}
        best = max(shown, key=asked.__getitem__)
        if best == shown[0] or asked[best] < asked[shown[0]] + margin or self.linked(shown[0], best):
            return None
        row = self._at.get(int(first)) if first is not None else None
        if row is not None and asked[best] < float(self.vectors[row].astype(np.float32) @ question) + margin:
            return None  # the first passage itself is as near: a long writing on many things
        return best

    def subject(self, question: np.ndarray) -> str | None:
        """Of all the writings, the one `question` is nearest (None with fewer than two)."""
        if len(self.writings) < 2:
            return None
        return self.writings[int(np.argmax(self.means @ question))]

    def closest(self, sources: Sequence[str], question: np.ndarray, than: str,
                share: float = SHARE) -> str | None:
        """Of `sources`, the writing `question` is nearest, when it is at least `share` as
        near it as to `than`; None otherwise."""
        i = self._row.get(than)
        rows = [j for s in sources if (j := self._row.get(s)) is not None and j != i]
        if i is None or not rows:
            return None
        asked = self.means @ question
        j = max(rows, key=lambda r: asked[r])
        return self.writings[j] if asked[i] > 0 and asked[j] >= share * asked[i] else None

    def alike(self, word: str, candidates: Sequence[str], near: float = WORD_NEAR,
              margin: float = WORD_MARGIN) -> list[str]:
        """The words of `candidates` (another language's) that translate `word`: those this
        encoder puts at least `near` it and within `margin` of the nearest, nearest first
        ("homework" among a post's Italian words: "compiti")."""
        if not candidates:
            return []
        vectors = self.encoded([word, *candidates])
        sims = vectors[1:] @ vectors[0]
        best = float(sims.max())
        order = np.argsort(-sims)
        return [candidates[n] for n in order if sims[n] >= near and sims[n] >= best - margin]

    def encoded(self, words: Sequence[str]) -> np.ndarray:
        """The encoder's unit vectors of `words` (or sentences), those met before read back (a
        passage's words are looked among again and again, a writing's sentences too)."""
        new = list(dict.fromkeys(w for w in words if w not in self._words))
        if new:
            if len(self._words) + len(new) > WORDS_KEPT:
                self._words.clear()
            self._words.update(zip(new, self.encoder.queries(new).astype(np.float32)))
        return np.stack([self._words[w] for w in words])

    def linked(self, source: str, other: str) -> bool:
        """Whether either writing is the other's nearest: on the same subject, one way at least
        (a writing on a subject of its own still has a nearest one: this errs towards "the
        same subject", which, for a newer writing shown beside a quote, holds the quote back)."""
        i, j = self._row.get(source), self._row.get(other)
        if i is None or j is None or i == j or len(self.writings) < 2:
            return i is not None and i == j
        return self._nearest(i, 1)[0] == j or self._nearest(j, 1)[0] == i

    def neighbours(self, source: str) -> list[str]:
        """The writings `linked` to `source`: its nearest, and those whose nearest it is."""
        i = self._row.get(source)
        if i is None or len(self.writings) < 2:
            return []
        nearest = self._nearest_each()
        return [self.writings[j] for j in np.flatnonzero((nearest == i) | (np.arange(len(nearest)) == nearest[i]))
                if j != i]

    def _nearest_each(self, block: int = 1024) -> np.ndarray:
        """Each writing's nearest writing (its row), computed once, a block of rows at a time."""
        if self._each is None:
            rows = []
            for start in range(0, len(self.writings), block):
                close = self.means[start:start + block] @ self.means.T
                close[np.arange(close.shape[0]), np.arange(start, start + close.shape[0])] = -2.0
                rows.append(np.argmax(close, axis=1))
            self._each = np.concatenate(rows)
        return self._each

    def mutual(self, source: str) -> str | None:
        """The writing that `source` and it are each other's nearest (not itself), or None: a
        link both ways, so on one subject, however a question stands between them."""
        i = self._row.get(source)
        if i is None or len(self.writings) < 2:
            return None
        j = self._nearest(i, 1)[0]
        return self.writings[j] if self._nearest(j, 1)[0] == i else None

    def nearness(self, source: str, question: np.ndarray) -> float:
        """The cosine between `source`'s mean vector and `question` (-1 for a writing unknown)."""
        i = self._row.get(source)
        return -1.0 if i is None else float(self.means[i] @ question)

    def reach(self, source: str, question: np.ndarray) -> float:
        """The cosine between `question` and `source`'s chunk nearest it (-1 for a writing
        unknown): a long writing on many things is far from a question by its mean, and may
        hold a passage on it."""
        sims = self._chunk_cosines(source, question)[1]
        return float(sims.max()) if len(sims) else -1.0

    def vector(self, chunk: int) -> np.ndarray | None:
        """The vector of chunk id `chunk` (None for a chunk unknown)."""
        row = self._at.get(int(chunk))
        return None if row is None else self.vectors[row].astype(np.float32)

    def _nearest(self, i: int, near: int) -> list[int]:
        """The rows of writing `i`'s `near` nearest writings, nearest first (for one, the cached
        `_nearest_each`)."""
        if near == 1:
            return [int(self._nearest_each()[i])]
        close = self.means @ self.means[i]
        close[i] = -2.0
        return np.argsort(-close)[:near].tolist()

    def best(self, source: str, question: np.ndarray) -> int | None:
        """The id of `source`'s chunk nearest `question`."""
        return next(iter(self.nearest_chunks(source, question, 1)), None)

    def nearest_chunks(self, source: str, question: np.ndarray, k: int) -> list[int]:
        """The ids of `source`'s `k` chunks nearest `question`, nearest first."""
        rows, sims = self._chunk_cosines(source, question)
        return [int(self.ids[rows[n]]) for n in np.argsort(-sims, kind="stable")[:k]]

    def chunks_of(self, source: str) -> list[int]:
        """The ids of `source`'s chunks, in the order they were read (none for a writing unknown)."""
        return [int(i) for i in self.ids[self._rows(source)]]

    def _rows(self, source: str) -> np.ndarray:
        return np.flatnonzero(self._of == self._row.get(source, -1))

    def _chunk_cosines(self, source: str, question: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of `source`'s chunks and their cosines to `question` (none for a writing unknown)."""
        rows = self._rows(source)
        return rows, self.vectors[rows].astype(np.float32) @ question


@functools.cache
def encoder(threads: int = 2):
    """The cross-lingual encoder (USE multilingual), or None when its package is missing; one
    per process, shared by every twin (it holds no state)."""
    from .errors import MissingExtra

    try:
        from .embed.use import USEEmbedder

        return USEEmbedder(threads=threads)
    except MissingExtra:
        return None


def _cache_file(cache: Path, name: str) -> Path:
    return cache / CACHE.format(name=re.sub(r"[^\w.-]+", "_", name))


def load(store: Index, enc: Embedder, cache: Path | None = None) -> Subjects:
    """The store's chunks with their cross-lingual vectors: those cached under `cache` by the
    chunk's key, the others encoded now (and the cache rewritten when anything changed)."""
    path = _cache_file(cache, enc.name) if cache is not None else None
    known: dict[str, np.ndarray] = {}
    if path is not None and path.exists():
        try:
            with np.load(path) as saved:
                known = dict(zip(saved["keys"].tolist(), saved["vectors"]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            known = {}  # an unreadable cache is rebuilt
    chunks: list[tuple[int, Chunk]] = [item for batch in store.chunk_texts() for item in batch]
    keys = [c.key for _, c in chunks]
    missing = [n for n, k in enumerate(keys) if k not in known]
    if missing:
        new = enc.passages([chunks[n][1].context for n in missing])
        for n, v in zip(missing, new):
            known[keys[n]] = v.astype(np.float16)
    dim = enc.dim
    vectors = np.stack([known[k] for k in keys]).astype(np.float16) if keys else np.zeros((0, dim), np.float16)
    if path is not None and (missing or len(known) != len(keys)):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")  # workers may write at once
        np.savez(tmp, keys=np.array(keys, dtype=str), vectors=vectors)
        tmp.replace(path)
    return Subjects(enc, np.array([i for i, _ in chunks], dtype=np.int64), [c.source for _, c in chunks], vectors)
