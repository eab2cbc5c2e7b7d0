"""Copying a twin's store into another: SQLite into PostgreSQL when one machine is no longer
enough (or back). Everything moves as it is, vectors included, so nothing is re-embedded:
files with their hashes (the next ingest finds them unchanged), documents, chunks, sentence
units, and conversations with their turns. Index terms are recomputed from the chunks with
the same analyser ingest uses (SQLite's full-text index does not keep them).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from . import language
from .errors import ErreError
from .store import Store


def copy(source: Store, target: Store, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Copy everything in `source` into the empty store `target`; returns what was copied."""
    started = time.perf_counter()
    if target.files() or target.conversations(limit=1):
        raise ErreError("The target store is not empty. Copy into a new database (or an empty one).")
    embedder = source.embedder()
    if embedder is None and source.files():
        raise ErreError("The twin's vectors are incomplete (an ingest or re-embedding was interrupted). "
                        "Run erre ingest again, then migrate.")
    if embedder:
        target.reset_vectors(*embedder)
    files = source.files()
    counts: dict[str, float] = {"files": 0, "documents": 0, "chunks": 0, "conversations": 0, "turns": 0}
    for i, record in enumerate(files):
        items = [dataclasses.replace(item, terms=[" ".join(language.terms(c.context, c.language))
                                                  for c in item.chunks])
                 for item in source.export_file(record.path)]
        target.write_file(record.path, record.root, record.hash, items)
        counts["files"] += 1
        counts["documents"] += len(items)
        counts["chunks"] += sum(len(item.chunks) for item in items)
        if progress:
            progress("files", i + 1, len(files))
    if embedder:
        target.finish_vectors(*embedder)
    target.settle()
    conversations = source.conversations(limit=10**9)
    for i, c in enumerate(reversed(conversations)):  # oldest first
        turns = source.turns(c.id)
        target.put_conversation(c, turns)
        counts["conversations"] += 1
        counts["turns"] += len(turns)
        if progress:
            progress("conversations", i + 1, len(conversations))
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts
