"""Answer quality: the whole pipeline (condense, retrieve, abstain or generate, cite) run over a
question set, as a visitor would meet it.

A question file is JSON Lines. Each line has `question` and may have:
- `kind`: "answerable" (default), "unanswerable" (the writings don't cover it), "partial"
  (two parts, one covered: the covered part must be answered, the other said uncovered) or
  "decline" (a task, a role change, another person to speak as: the twin must decline);
- `category` (reported separately), `split` ("dev" or "test": `--split` picks one),
  `history` (earlier messages, `[{"role", "content"}]`, for follow-ups);
- `sources` (paths as ingested), `passage_id` (a JSONL document id) or `essay_path`: the
  documents that answer it; a citation hits when its source is one of them (or a path suffix);
- `answers` or `keywords`: strings of which at least one should appear in the answer
  (compared without case and accents; an answer as whole words, a keyword as the start of
  a word, so "expert" finds "experts");
- `reference_answer`: a free-text answer, compared by token F1 and embedding cosine.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import chat, language
from ..documents import Answer, Turn
from ..errors import ErreError
from . import questions


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    answerable: bool
    sources: frozenset[str]
    expected: tuple[str, ...]
    reference: str | None
    prefix: bool = False  # expected strings are keywords (word starts), not whole answers
    kind: str = "answerable"
    category: str = ""
    split: str = ""
    history: tuple[Turn, ...] = ()


KINDS = ("answerable", "unanswerable", "partial", "decline")


def load(path: Path, *, limit: int | None = None, seed: int = 0, split: str | None = None) -> list[Item]:
    items = []
    for n, obj in questions(path):
        if not isinstance(obj.get("question"), str) or not obj["question"].strip():
            raise ErreError(f"{path} line {n}: expected an object with a 'question'")
        kind = obj.get("kind", "answerable")
        if kind not in KINDS:
            raise ErreError(f"{path} line {n}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if split and obj.get("split") != split:
            continue
        history = tuple(Turn(str(t["role"]), str(t["content"])) for t in obj.get("history") or ())
        gold = obj.get("sources") or [obj.get(k) for k in ("passage_id", "essay_path") if obj.get(k)]
        expected = obj.get("answers") or obj.get("keywords") or []
        if not isinstance(gold, list) or not isinstance(expected, list):
            raise ErreError(f"{path} line {n}: 'sources', 'answers' and 'keywords' must be lists")
        items.append(Item(str(obj.get("id", n)), obj["question"].strip(), kind in ("answerable", "partial"),
                          frozenset(str(g).removeprefix("./") for g in gold),
                          tuple(str(e) for e in expected if str(e).strip()), obj.get("reference_answer"),
                          prefix=not obj.get("answers"), kind=kind, category=str(obj.get("category", "")),
                          split=str(obj.get("split", "")), history=history))
    if not items:
        raise ErreError(f"{path}: no questions")
    if limit and limit < len(items):
        items = random.Random(seed).sample(items, limit)
    return items


def source_hit(gold: frozenset[str], source: str) -> bool:
    """A cited source matches a gold one when either is a path suffix of the other
    ("essays/worked.md" and "worked.md")."""
    return any(g == source or g.endswith("/" + source) or source.endswith("/" + g) for g in gold)


def contains(answer: str, expected: tuple[str, ...], *, prefix: bool = False) -> bool:
    text = " ".join(language.words(answer))
    end = "" if prefix else r"(?!\w)"
    return any(re.search(r"(?<!\w)" + re.escape(" ".join(language.words(e))) + end, text)
               for e in expected if language.words(e))


def token_f1(answer: str, reference: str) -> float:
    a, r = language.words(answer), language.words(reference)
    if not a or not r:
        return 0.0
    common = sum(min(a.count(w), r.count(w)) for w in set(a))
    if common == 0:
        return 0.0
    p, q = common / len(a), common / len(r)
    return 2 * p * q / (p + q)


def run(twin, items: list[Item], progress: Callable[[int, int], None] | None = None, *,
        voice: bool = True, candidates: int = 1) -> tuple[dict, list[dict]]:
    """Metrics over the set, and one record per question (question, answer, citations, hits).
    `voice=False` answers with the same evidence and a neutral assistant prompt; `candidates`
    drafts are written with the voice and the one the style model prefers is kept."""
    records: list[dict] = []
    for i, item in enumerate(items):
        r = chat.reply(twin, item.question, item.history, voice=voice, candidates=candidates)
        for _ in r:
            pass
        a: Answer = r.answer  # type: ignore[assignment]
        cited = [c.source for c in a.citations]
        rec = {"id": item.id, "question": item.question, "answerable": item.answerable,
               "kind": item.kind, "category": item.category, "split": item.split,
               "answer": a.text, "abstained": a.abstained, "reason": getattr(a, "reason", None), "language": a.language,
               "citations": [c.as_dict() for c in a.citations], "timings": a.timings,
               "relevance": round(r.evidence.relevance, 4) if r.evidence else None,
               "style": a.style["score"] if a.style else None,
               "style_drafts": a.style.get("candidates") if a.style else None,
               "citation_hit": any(source_hit(item.sources, s) for s in cited) if item.sources else None,
               "answer_hit": contains(a.text, item.expected, prefix=item.prefix) if item.expected else None,
               "echo": echoes(a.text, item.question) if not a.abstained else None,
               "placeholder": has_placeholder(a.text) if not a.abstained else None,
               "cut": r.cut[0] if r.cut else []}
        usage = getattr(twin.model, "usage", None)
        if "reading_ms" in a.timings and usage:  # the model read a prompt: its size, and how much was cached
            rec["prompt_tokens"], rec["cached_tokens"] = usage["prompt_tokens"], usage["cached_tokens"]
        if item.reference:
            rec["reference_f1"] = round(token_f1(a.text, item.reference), 4)
            if not a.abstained:
                vec = twin.embedder.passages([a.text, item.reference])
                rec["reference_cosine"] = round(float(vec[0] @ vec[1]), 4)
        records.append(rec)
        if progress:
            progress(i + 1, len(items))
    return summarize(records), records


def _share(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def _pct(values, q, digits: int = 1) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.percentile(values, q)), digits) if values else None


def has_placeholder(text: str) -> bool:
    """A bracketed slot left for a fact ("[nome]", "<anno>", "XXX"), not a citation."""
    from ..answer.grounding import PLACEHOLDER

    return bool(PLACEHOLDER.search(text))


def echoes(answer: str, question: str) -> bool:
    """The answer's first sentence is the question's own words (restated, not answered)."""
    from ..chunk import sentences

    spans = sentences(answer)
    if not spans:
        return False
    first = set(language.words(answer[spans[0][0]:spans[0][1]]))
    asked = set(language.words(question))
    return bool(first) and len(first - asked) <= 2 and len(first & asked) >= 3


def summarize(records: list[dict]) -> dict:
    out = _summary(records)
    categories = sorted({r.get("category") or "" for r in records} - {""})
    if categories:
        out["by_category"] = {c: _brief([r for r in records if r.get("category") == c]) for c in categories}
    splits = sorted({r.get("split") or "" for r in records} - {""})
    if len(splits) > 1:
        out["by_split"] = {sp: _summary([r for r in records if r.get("split") == sp]) for sp in splits}
    return out


def _brief(records: list[dict]) -> dict:
    """What matters for one category: answered right, or declined / abstained as it should."""
    kind = records[0].get("kind", "answerable")
    out: dict = {"questions": len(records), "kind": kind}
    if kind in ("answerable", "partial"):
        out |= {"citation_hit": _share(r["citation_hit"] for r in records),
                "answer_hit": _share(r["answer_hit"] for r in records),
                "false_abstention": _share(r["abstained"] for r in records)}
    else:
        out["abstained"] = _share(r["abstained"] for r in records)
    return out


def _summary(records: list[dict]) -> dict:
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"] and r.get("kind", "unanswerable") == "unanswerable"]
    dec = [r for r in records if r.get("kind") == "decline"]
    spoken = [r for r in records if not r["abstained"]]
    out: dict = {
        "questions": len(records), "answerable": len(ans), "unanswerable": len(una),
        "citation_hit": _share(r["citation_hit"] for r in ans),
        "answer_hit": _share(r["answer_hit"] for r in ans),
        "reference_f1": _share(r.get("reference_f1") for r in ans),
        "reference_cosine": _share(r.get("reference_cosine") for r in ans),
        "false_abstention": _share(r["abstained"] for r in ans),
        "abstention": _share(r["abstained"] for r in una),
        "declined": _share(r["abstained"] for r in dec),
        "echo": _share(r.get("echo") for r in records),
        "placeholder": _share(r.get("placeholder") for r in records),
        "reasons": {k: sum(1 for r in records if r.get("reason") == k)
                    for k in sorted({str(r["reason"]) for r in records if r.get("reason")})},
        "first_token_ms_p50": _pct([r["timings"].get("first_token_ms") for r in spoken], 50),
        "first_token_ms_p95": _pct([r["timings"].get("first_token_ms") for r in spoken], 95),
        # what the reader sees first: the passages being read (web chat, API, erre ask)
        "reading_ms_p50": _pct([r["timings"].get("reading_ms") for r in spoken], 50),
        "prompt_tokens_p50": _pct([r.get("prompt_tokens") for r in spoken], 50),
        "cached_tokens_p50": _pct([r.get("cached_tokens") for r in spoken], 50),
        "total_ms_p50": _pct([r["timings"].get("total_ms") for r in spoken], 50),
        "total_ms_p95": _pct([r["timings"].get("total_ms") for r in spoken], 95),
        # the answer checks' own time (classifiers, two-part search, answerability, grounding)
        "checks_ms_p50": _pct([r["timings"].get("checks_ms") for r in spoken], 50),
        "checks_ms_p95": _pct([r["timings"].get("checks_ms") for r in spoken], 95),
        "checks_share_of_total": _share(r["timings"]["checks_ms"] / r["timings"]["total_ms"] for r in spoken
                                        if r["timings"].get("checks_ms") is not None and r["timings"].get("total_ms")),
        # where the abstention threshold sits between the two kinds of question
        "relevance_answerable_p10": _pct([r.get("relevance") for r in ans], 10, 4),
        "relevance_unanswerable_p90": _pct([r.get("relevance") for r in una], 90, 4),
    }
    return out
