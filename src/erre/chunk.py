"""Split a document into chunks that fit a token budget, following its structure.

Paragraphs are packed whole under their heading; a paragraph too long for the budget is cut
between sentences, and a sentence too long is cut between words. A chunk never crosses a
heading unless it is still small, and a chunk that continues a section starts with the last
sentences of the previous one (the overlap). Every chunk is an exact slice
`doc.text[start:end]`, so a citation can point at the place it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .documents import Block, Chunk, Document

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
# a sentence ends at . ! ? … (with closing quotes or brackets) before white space, or at a line break
_SENTENCE_END = re.compile(r"(?:[.!?…]+[\"'”’»)\]]*)(?=\s)|\n+")


def estimate_tokens(text: str) -> int:
    """Subword tokens of a multilingual model, estimated: about 4 per 3 words and marks."""
    return (len(_TOKEN.findall(text)) * 4 + 2) // 3


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    block: Block


def split(doc: Document, budget: int = 300, overlap: int = 40,
          count: Callable[[str], int] = estimate_tokens) -> list[Chunk]:
    """Chunks of `doc`, each within `budget` tokens (as measured by `count`)."""
    if budget < 16:
        raise ValueError(f"chunk budget too small: {budget} tokens (use at least 16)")
    overlap = max(0, min(overlap, budget // 3))
    spans = list(_pack(doc, _units(doc, budget, count), budget, overlap, count))
    chunks = []
    for i, (start, end, block) in enumerate(spans):
        text = doc.text[start:end]
        chunks.append(Chunk(
            source=doc.source, title=doc.title, text=text, start=start, end=end,
            heading=block.heading, page=block.page, date=doc.date, url=doc.url,
            language=doc.language, tokens=count(text), ordinal=i,
        ))
    return chunks


def sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans of the sentences of `text`, shifted by `offset`, without surrounding space."""
    spans = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for a, b in spans:
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        if b - trail > a + lead:
            out.append((offset + a + lead, offset + b - trail))
    return out


def _units(doc: Document, budget: int, count: Callable[[str], int]) -> list[_Unit]:
    """Blocks that fit the budget, else their sentences, else runs of words."""
    units: list[_Unit] = []
    for block in doc.blocks:
        text = doc.text[block.start:block.end]
        n = count(text)
        if n <= budget:
            units.append(_Unit(block.start, block.end, n, block))
            continue
        for a, b in sentences(text, block.start):
            n = count(doc.text[a:b])
            if n <= budget:
                units.append(_Unit(a, b, n, block))
            else:
                units.extend(_word_runs(doc.text, a, b, budget, count, block))
    return units


def _word_runs(text: str, a: int, b: int, budget: int, count, block: Block) -> list[_Unit]:
    words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
    runs: list[_Unit] = []
    i = 0
    while i < len(words):
        # grow the run by halving steps: at least one word, as many as fit
        j = i + 1
        step = max(1, budget // 2)
        while step:
            k = min(len(words), j + step)
            if k > j and count(text[words[i][0]:words[k - 1][1]]) <= budget:
                j = k
            else:
                step //= 2
        s, e = words[i][0], words[j - 1][1]
        runs.append(_Unit(s, e, count(text[s:e]), block))
        i = j
    return runs


def _pack(doc: Document, units: list[_Unit], budget: int, overlap: int, count):
    """Greedy packing of units into (start, end, first block) spans."""
    cur: list[_Unit] = []
    used = 0
    small = budget // 3
    for u in units:
        if cur:
            new_section = u.block.heading != cur[-1].block.heading and u.block is not cur[-1].block
            fits = used + u.tokens <= budget
            if fits and (not new_section or used < small):
                cur.append(u)
                used = count(doc.text[cur[0].start:u.end])
                continue
            yield cur[0].start, cur[-1].end, cur[0].block
            carry = [] if new_section else _overlap(doc, cur, overlap, count)
            if carry and count(doc.text[carry[0].start:u.end]) <= budget:
                cur = carry + [u]
            else:
                cur = [u]
        else:
            cur = [u]
        used = count(doc.text[cur[0].start:cur[-1].end])
    if cur:
        yield cur[0].start, cur[-1].end, cur[0].block


def _overlap(doc: Document, cur: list[_Unit], overlap: int, count) -> list[_Unit]:
    """The trailing sentences of the chunk `cur` that fit in `overlap` tokens."""
    if overlap <= 0:
        return []
    end = cur[-1].end
    start = None
    for u in reversed(cur):
        for a, _ in reversed(sentences(doc.text[u.start:u.end], u.start)):
            if a <= cur[0].start or count(doc.text[a:end]) > overlap:
                return _carry(doc, start, end, cur[-1].block, count)
            start = a
    return _carry(doc, start, end, cur[-1].block, count)


def _carry(doc: Document, start: int | None, end: int, block: Block, count) -> list[_Unit]:
    return [] if start is None else [_Unit(start, end, count(doc.text[start:end]), block)]

def units(chunk: Chunk, min_words: int = 8) -> list[tuple[int, int]]:
    """Sentence spans of a chunk (document offsets) for sentence-level vectors; a sentence
    shorter than `min_words` joins the next one, so every unit says something."""
    spans = sentences(chunk.text, chunk.start)
    out: list[tuple[int, int]] = []
    start = None
    for a, b in spans:
        start = a if start is None else start
        if len(chunk.text[start - chunk.start:b - chunk.start].split()) >= min_words:
            out.append((start, b))
            start = None
    if start is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((start, spans[-1][1]))
    return out or [(chunk.start, chunk.end)]
