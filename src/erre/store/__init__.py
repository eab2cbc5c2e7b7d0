"""The twin's index: documents, chunks, a full-text index and vectors, behind one protocol.

SQLite (one file) is the default; a scale-out backend (PostgreSQL with pgvector) implements
the same protocol. Writes of one file's documents happen in one transaction, so a crash
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
class DenseHit:
    """A chunk found by vector search: cosine with the chunk's vector and with its best unit."""

    id: int
    chunk: float
    unit: float
    span: tuple[int, int]  # the best unit, in document offsets


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    channel: str  # where it happens: cli, web, api, telegram
    owner: str | None  # who may see it (a chat id, a browser), None for local use
    created: str
    updated: str
    turns: int


class Store(Protocol):
    def close(self) -> None: ...

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
    def search_dense(self, vector: np.ndarray, k: int) -> list[DenseHit]: ...
    def search_lexical(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]: ...
    def unit_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]: ...
    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]: ...
    def documents(self) -> Iterator[tuple[str, str, str | None, str]]: ...
    def document(self, source: str) -> tuple[str, str | None, str] | None: ...
    def languages(self) -> dict[str, int]: ...
    def dates(self) -> tuple[str | None, str | None]:
        """The earliest and the latest document date (ISO strings as stored), None when no
        document has one."""
        ...
    def stats(self) -> dict: ...

    # -- conversations ------------------------------------------------------
    def new_conversation(self, title: str, channel: str = "cli", owner: str | None = None) -> str: ...
    def conversations(self, owner: str | None = None, limit: int = 50) -> list[Conversation]: ...
    def conversation(self, id: str) -> Conversation | None: ...
    def turns(self, conversation_id: str) -> list[Turn]: ...
    def add_exchange(self, conversation_id: str, question: str, answer: Answer) -> None: ...
    def rename_conversation(self, id: str, title: str) -> None: ...
    def delete_conversation(self, id: str) -> bool: ...
    def put_conversation(self, conversation: Conversation, turns: Sequence[Turn]) -> None:
        """Write a conversation exactly as given (copying between stores)."""
        ...
