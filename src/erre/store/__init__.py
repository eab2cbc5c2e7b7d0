"""The twin's database: the writings' index and the conversation log, behind small protocols.

SQLite (one file) is the default; a scale-out backend (PostgreSQL with pgvector) implements
the same protocols: `Index` (the writings: sync bookkeeping, vectors, the search primitives
that retrieve.py builds hybrid search from) and `ConversationLog` (store/log.py, written once
for both). Writes of one file's documents happen in one transaction, so a crash
leaves either the old version of a file or the new one, never half of it. Conversations live
in the same database, so every channel shares them; a question and its answer are written
together, so a conversation never holds a question without its answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..documents import Answer, Chunk, Document, Turn


@dataclass(frozen=True)
class FileRecord:
    path: str  # absolute path of the file on disk
    root: str  # the folder (or file) given to `erre ingest`
    hash: str
    documents: int


@dataclass(frozen=True)
class ChunkVectors:
    """A chunk's vectors: one per sentence unit, and their normalised mean for the chunk."""

    chunk: np.ndarray  # (dim,)
    units: Sequence[tuple[int, int, str]]  # (start, end, hash of the embedded text)
    unit_vectors: np.ndarray  # (len(units), dim)


@dataclass(frozen=True)
class Indexed:
    """A document ready to be written: its chunks, their index terms and vectors."""

    document: Document
    chunks: Sequence[Chunk]
    terms: Sequence[str]  # space-separated stems, one string per chunk
    vectors: Sequence[ChunkVectors]
    hash: str | None = None  # the document's hash as stored elsewhere (copying between stores)

    @property
    def document_hash(self) -> str:
        return self.hash or self.document.hash


@dataclass(frozen=True)
class Vectors:
    """A chunk's stored vectors: its own, and its sentence units' with their spans."""

    chunk: np.ndarray  # (dim,)
    spans: np.ndarray  # (n, 2): each unit's (start, end), in document offsets
    units: np.ndarray  # (n, dim)


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    channel: str  # where it happens: cli, web, api, telegram
    owner: str | None  # who may see it (a chat id, a browser), None for local use
    created: str
    updated: str
    turns: int


class Index(Protocol):
    """The writings: files and their documents, chunks, lexical terms and vectors."""

    # -- sync ---------------------------------------------------------------
    def files(self, root: str | None = None) -> list[FileRecord]: ...
    def file(self, path: str) -> FileRecord | None: ...
    def document_hashes(self, path: str) -> dict[str, str]: ...
    def vectors_by_text(self, path: str) -> dict[str, bytes]: ...
    def write_file(self, path: str, root: str, hash: str, documents: Sequence[Indexed],
                   keep: Iterable[str] = ()) -> None: ...
    def delete_file(self, path: str) -> None: ...
    def export_file(self, path: str) -> list[Indexed]:
        """The file's documents as stored, to copy them into another store (terms left empty:
        the copy recomputes them)."""
        ...

    # -- embeddings ---------------------------------------------------------
    def embedder(self) -> tuple[str, int] | None: ...
    def reset_vectors(self, name: str, dim: int) -> None: ...
    def chunk_texts(self, batch: int = 256) -> Iterator[list[tuple[int, Chunk]]]: ...
    def set_vectors(self, items: Sequence[tuple[int, ChunkVectors]]) -> None: ...
    def finish_vectors(self, name: str, dim: int) -> None: ...
    def settle(self) -> None:
        """After a batch of writes (an ingest, a migration): bring derived search structures
        up to date and persist them. A store whose indexes follow every write does nothing."""
        ...

    # -- search -------------------------------------------------------------
    def nearest(self, vector: np.ndarray, units: int, chunks: int) -> tuple[list[int], list[int]]:
        """The chunks owning the `units` sentence units nearest `vector` (a chunk may come
        more than once), and the `chunks` chunks nearest by their own vector; nearest first.
        Approximate where the store uses an approximate index."""
        ...
    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, Vectors]:
        """The stored vectors of these chunks (a chunk without vectors is left out)."""
        ...
    def search_lexical(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """BM25 over the chunks' terms: (chunk id, score), best first."""
        ...
    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]: ...
    def documents(self) -> Iterator[tuple[str, str, str | None, str]]: ...
    def document(self, source: str) -> tuple[str, str | None, str] | None: ...
    def languages(self) -> dict[str, int]: ...
    def dates(self) -> tuple[str | None, str | None]:
        """The earliest and the latest document date (ISO strings as stored), None when no
        document has one."""
        ...
    def document_dates(self) -> dict[str, str | None]:
        """Each document's date (ISO) by source, None for a document without one."""
        ...
    def stats(self) -> dict: ...


class ConversationLog(Protocol):
    """Conversations and their turns (store/log.py writes them once for both backends)."""

    def new_conversation(self, title: str, channel: str = "cli", owner: str | None = None,
                         exchange: tuple[str, Answer] | None = None) -> str:
        """A new conversation's id; with its first `exchange` (question, answer) written in
        the same transaction."""
        ...
    def conversations(self, owner: str | None = None, limit: int = 50) -> list[Conversation]: ...
    def conversation(self, id: str) -> Conversation | None: ...
    def turns(self, conversation_id: str) -> list[Turn]: ...
    def add_exchange(self, conversation_id: str, question: str, answer: Answer, *,
                     title: str | None = None) -> None:
        """Store a question and its answer in one transaction; `title` names the
        conversation if it has no title yet."""
        ...
    def rename_conversation(self, id: str, title: str) -> None: ...
    def delete_conversation(self, id: str) -> bool: ...
    def put_conversation(self, conversation: Conversation, turns: Sequence[Turn]) -> None:
        """Write a conversation exactly as given (copying between stores)."""
        ...


class Store(Index, ConversationLog, Protocol):
    """One database holding both: SQLite (store/sqlite.py) or PostgreSQL (store/postgres.py)."""

    def close(self) -> None: ...
