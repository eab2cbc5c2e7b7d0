"""A topic's timeline: the author's dated writings on it, oldest to newest, one line each.

For the author (and the console to come) to see how a view evolved: the writings near the
topic, one entry per document (its passage nearest the topic), in order of date, each
summed up by the author's own sentence that matches the topic best, never by a model's
paraphrase. Writings without a date come last.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import retrieve
from .answer import policy
from .documents import Passage

POOL = 40  # passages searched for a topic (the entries come from the documents among them)
SUMMARY_CHARS = 220  # a summary longer than this is cut at a word


@dataclass(frozen=True)
class Entry:
    date: str | None
    source: str
    title: str
    url: str | None
    summary: str  # the author's sentence nearest the topic
    score: float
    passage_id: int

    def as_dict(self) -> dict:
        return {"date": self.date, "source": self.source, "title": self.title, "url": self.url,
                "summary": self.summary, "score": round(self.score, 4), "passage_id": self.passage_id}


def _summary(p: Passage) -> str:
    text = " ".join(p.matched.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"


def timeline(twin, topic: str, limit: int = 12) -> list[Entry]:
    """Up to `limit` writings on `topic`, oldest first: those whose nearest passage passes the
    twin's relevance threshold (the one its answers abstain under)."""
    s = twin.settings
    found = retrieve.find(twin.store, twin.embedder, topic, POOL, candidates=max(s.search_candidates, POOL))
    limit_cos = policy.threshold(s, twin.embedder.name)
    best: dict[str, Passage] = {}
    for p in found.passages:
        if p.dense is not None and p.dense < limit_cos:
            continue
        if p.chunk.source not in best:  # passages come best first
            best[p.chunk.source] = p
    entries = [Entry(p.chunk.date, p.chunk.source, p.chunk.title, p.chunk.url, _summary(p), p.score, p.id)
               for p in list(best.values())[:limit]]
    return sorted(entries, key=lambda e: (e.date is None, e.date or "", e.source))
