"""The nouns of erre: documents, their chunks, and passages (chunks found by a search).

Frozen dataclasses with no I/O, shared by every stage. A document's `text` is the plain
text extracted from its file; its blocks and every chunk point into it by character
offsets, so a citation can show the exact place a passage comes from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A paragraph (or list, or table row group) of a document, located in `Document.text`."""

    start: int
    end: int
    heading: tuple[str, ...] = ()  # heading path, outermost first
    page: int | None = None  # 1-based page for paged formats (PDF)


@dataclass(frozen=True)
class Document:
    source: str  # the path relative to the ingested folder, or the JSONL id
    title: str
    text: str
    blocks: tuple[Block, ...]
    date: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    format: str = "text"

    @property
    def hash(self) -> str:
        """Content hash over everything that ends up in the index."""
        h = hashlib.sha256()
        for part in (self.source, self.title, self.date or "", self.url or "", "\x1f".join(self.tags),
                     self.text):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x00")
        for b in self.blocks:
            h.update(f"{b.start},{b.end},{b.page},{'/'.join(b.heading)};".encode("utf-8", "surrogatepass"))
        return h.hexdigest()


@dataclass(frozen=True)
class Paragraph:
    """What a loader produces before the document text is assembled."""

    text: str
    heading: tuple[str, ...] = ()
    page: int | None = None


def assemble(source: str, title: str, paragraphs: list[Paragraph], **meta) -> Document:
    """Join paragraphs with blank lines into one text, keeping each one's span."""
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for p in paragraphs:
        text = p.text.strip()
        if not text:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        parts.append(text)
        blocks.append(Block(pos, pos + len(text), tuple(p.heading), p.page))
        pos += len(text)
    return Document(source=source, title=title, text="".join(parts), blocks=tuple(blocks), **meta)


@dataclass(frozen=True)
class Chunk:
    """A span of a document, small enough to embed and to quote."""

    source: str
    title: str
    text: str
    start: int  # character span in the document text
    end: int
    heading: tuple[str, ...] = ()
    page: int | None = None
    date: str | None = None
    url: str | None = None
    language: str | None = None
    tokens: int = 0
    ordinal: int = 0  # position of the chunk in its document

    @property
    def key(self) -> str:
        """Stable identity: the same text at the same place of the same source."""
        raw = f"{self.source}\x00{self.start}\x00{self.text}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(raw).hexdigest()[:24]

    @property
    def header(self) -> str:
        """Title and heading path: the context a passage is read in."""
        return " > ".join(h for h in (self.title, *self.heading) if h)

    @property
    def context(self) -> str:
        """The text as it is indexed: title and headings give it context."""
        return f"{self.header}\n\n{self.text}" if self.header else self.text

    def in_context(self, start: int, end: int) -> str:
        """A span of the chunk (document offsets) with the chunk's header before it."""
        part = self.text[start - self.start:end - self.start]
        return f"{self.header}\n\n{part}" if self.header else part

    @property
    def context_hash(self) -> str:
        """Hash of what the embedder sees: chunks with equal hashes can share a vector."""
        return hashlib.sha256(self.context.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(frozen=True)
class Passage:
    """A stored chunk returned by a search, with the evidence that ranked it."""

    id: int
    chunk: Chunk
    score: float  # fused score, higher is better
    dense: float | None = None  # cosine similarity with the query, when the dense side found it
    lexical: float | None = None  # BM25 score, when the lexical side found it
    rank_dense: int | None = None
    rank_lexical: int | None = None
    quote: tuple[int, int] | None = None  # span (document offsets) of the sentence that matched best
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def matched(self) -> str:
        """The text of the sentence that matched best (`quote`), or the whole chunk's."""
        c = self.chunk
        if self.quote and c.start <= self.quote[0] < c.end:
            return c.text[self.quote[0] - c.start:self.quote[1] - c.start]
        return c.text


@dataclass(frozen=True)
class Citation:
    """A passage an answer relies on; `n` is the number the answer's [n] markers use."""

    n: int
    source: str
    title: str
    url: str | None
    page: int | None
    quote: str
    score: float
    passage_id: int = 0
    start: int = 0  # span of the quoted passage in its document
    end: int = 0
    date: str | None = None  # when the document was written (ISO: YYYY-MM-DD, YYYY-MM or YYYY)

    @property
    def where(self) -> str:
        """Where a reader finds it: "source, p. 3, 2016-03-12"."""
        return ", ".join(x for x in (self.source, f"p. {self.page}" if self.page else "", self.date or "") if x)

    def as_dict(self) -> dict:
        return {"n": self.n, "source": self.source, "title": self.title, "url": self.url,
                "page": self.page, "date": self.date, "quote": self.quote, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Answer:
    """What the twin said, the passages it rests on, and how long it took."""

    text: str
    abstained: bool
    language: str
    citations: tuple[Citation, ...] = ()
    timings: dict = field(default_factory=dict, compare=False)
    query: str = ""  # the standalone question that was searched (a follow-up, condensed)
    model: str = ""
    style: dict | None = None  # {"score": probability the author wrote it}, when a style model exists
    # why it abstained (one of ABSTAIN_REASONS); for an answer, "cut" (the grounding check removed
    # sentences), "quoted" (the draft was cut whole and the author's own words answer instead) or
    # "latest" (asked for the latest writing on a subject: named, dated, quoted; no model run) or
    # "then" (asked about a time gone by or a change: the author's words of then, each with its
    # year; no model run)
    reason: str | None = None
    uncovered: tuple[str, ...] = ()  # what the question asked that the writings do not hold

    def as_dict(self) -> dict:
        out = {"answer": self.text, "abstained": self.abstained, "language": self.language,
               "citations": [c.as_dict() for c in self.citations], "timings": dict(self.timings),
               "style": self.style}
        if self.reason:
            out["reason"] = self.reason
        if self.uncovered:
            out["uncovered"] = list(self.uncovered)
        return out


# Why the twin did not answer from the model's draft:
ABSTAIN_REASONS = {
    "declined": "an order to the twin (change role, reveal instructions, write malware)",
    "task": "a task for an assistant, not a question to the author (write, translate, summarise, role play)",
    "empty_index": "nothing ingested yet",
    "not_covered": "no passage close enough to the question",
    "missing_terms": "the names, figures or titles asked about are in none of the passages",
    "after_writings": "the question is about a time after the latest writing",
    "personal": "a private fact the writings do not state",
    "unsupported": "the draft answer was not supported by the passages",
}


@dataclass(frozen=True)
class Turn:
    """One message of a stored conversation."""

    role: str  # "user" or "assistant"
    content: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    created: str = ""
