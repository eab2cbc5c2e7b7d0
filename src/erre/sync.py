"""Bring the index in line with the files given to `erre ingest`.

Sync, not append: a file whose content hash is unchanged is not read again and nothing is
written for it; a changed file has its documents replaced (vectors of unchanged chunk texts
are reused, not recomputed); a file that disappeared from an ingested folder leaves the
index. Each file is written in one transaction. A file that can't be read is reported and
its previous version, if any, stays in the index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import chunk, ingest, language
from .config import Settings
from .documents import Chunk, Document
from .embed import Embedder
from .errors import ErreError, LoadError
from .store import ChunkVectors, Indexed, Store

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass
class Report:
    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    documents: int = 0
    chunks: int = 0  # chunks written
    embedded: int = 0  # sentence units whose vector was computed (the rest were reused)
    reembedded: int = 0
    errors: list[LoadError] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    undated: list[str] = field(default_factory=list)  # documents written now that have no date
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{self.files} files", f"{self.added} added", f"{self.updated} updated",
                 f"{self.unchanged} unchanged", f"{self.removed} removed",
                 f"{self.chunks} chunks written ({self.embedded} sentences embedded)"]
        if self.reembedded:
            parts.append(f"{self.reembedded} chunks re-embedded")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        parts.append(f"{len(self.errors)} failed")
        return ", ".join(parts) + f" in {self.seconds:.1f}s"

    def as_dict(self) -> dict:
        return {
            "files": self.files, "added": self.added, "updated": self.updated,
            "unchanged": self.unchanged, "removed": self.removed, "documents": self.documents,
            "chunks": self.chunks, "embedded": self.embedded, "reembedded": self.reembedded,
            "errors": [{"source": e.path, "reason": e.reason} for e in self.errors],
            "skipped": [{"source": s, "reason": why} for s, why in self.skipped],
            "undated": self.undated,
            "seconds": round(self.seconds, 3),
        }


def ensure_embedder(store: Store, embedder: Embedder, settings: Settings,
                    progress: Progress | None = None) -> int:
    """Make every vector in the store come from `embedder`; returns how many chunks were redone."""
    current = store.embedder()
    if current == (embedder.name, embedder.dim):
        return 0
    store.reset_vectors(embedder.name, embedder.dim)
    total = store.stats()["chunks"]
    done = 0
    for batch in store.chunk_texts():
        vectors, _ = embed_chunks([c for _, c in batch], embedder, {}, settings.embed_batch)
        store.set_vectors([(i, v) for (i, _), v in zip(batch, vectors)])
        done += len(batch)
        if progress:
            progress("re-embedding", done, total)
    store.finish_vectors(embedder.name, embedder.dim)
    return done


@dataclass
class _Units:
    """The sentence units of some chunks: their texts, hashes and the vectors known so far."""

    chunks: Sequence[Chunk]
    spans: list[list[tuple[int, int]]]
    texts: list[str]
    hashes: list[str]
    vectors: np.ndarray
    todo: list[int]  # positions whose vector must be computed

    def assemble(self) -> list[ChunkVectors]:
        out = []
        pos = 0
        for sp in self.spans:
            v = self.vectors[pos:pos + len(sp)]
            mean = v.mean(axis=0)
            mean /= np.linalg.norm(mean) or 1.0
            out.append(ChunkVectors(mean, [(a, b, h) for (a, b), h in zip(sp, self.hashes[pos:pos + len(sp)])], v))
            pos += len(sp)
        return out


def _units(chunks: Sequence[Chunk], dim: int, reuse: dict[str, bytes]) -> _Units:
    spans = [chunk.units(c) for c in chunks]
    texts = [c.in_context(a, b) for c, sp in zip(chunks, spans) for a, b in sp]
    hashes = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()[:32] for t in texts]
    vectors = np.zeros((len(texts), dim), np.float32)
    todo = []
    for i, h in enumerate(hashes):
        cached = reuse.get(h)
        if cached is not None and len(cached) == 4 * dim:
            vectors[i] = np.frombuffer(cached, np.float32)
        else:
            todo.append(i)
    return _Units(chunks, spans, texts, hashes, vectors, todo)


def _embed(groups: Sequence[_Units], embedder: Embedder, batch: int) -> int:
    """Compute every missing unit vector of `groups`, `batch` texts per embedder call (an
    embedder sorts a call's texts by length and runs them in parallel: the larger the call,
    the less padding and the more cores busy). Returns how many texts were embedded."""
    wanted = [(g, i) for g in groups for i in g.todo]
    batch = max(1, batch)
    for s in range(0, len(wanted), batch):
        part = wanted[s:s + batch]
        vectors = embedder.passages([g.texts[i] for g, i in part])
        for (g, i), v in zip(part, vectors):
            g.vectors[i] = v
    return len(wanted)


def embed_chunks(chunks: Sequence[Chunk], embedder: Embedder, reuse: dict[str, bytes],
                 batch: int = 512) -> tuple[list[ChunkVectors], int]:
    """Sentence-unit vectors of each chunk (reusing known ones by text hash) and their mean.
    Returns the vectors and how many unit texts were embedded."""
    units = _units(chunks, embedder.dim, reuse)
    embedded = _embed([units], embedder, batch)
    return units.assemble(), embedded


# bump when loaders or chunking change what a file becomes, so every file is read again
PIPELINE_VERSION = 1


def _digest(data: bytes, settings: Settings) -> str:
    """Hash of a file's bytes and of the settings that shape its chunks: changing the chunk
    budget or including drafts re-reads files whose bytes did not change."""
    h = hashlib.sha256(f"{PIPELINE_VERSION}/{settings.chunk_tokens}/{settings.chunk_overlap}/"
                       f"{settings.ingest_include_drafts}\n".encode())
    h.update(data)
    return h.hexdigest()


def _targets(sources: Sequence[str | Path]) -> list[tuple[Path, list[tuple[Path, str]] | None]]:
    """(root, [(file, source)]) for each argument; None for a path that no longer exists."""
    out: list[tuple[Path, list[tuple[Path, str]] | None]] = []
    for s in sources:
        root = Path(s).expanduser().absolute()
        if root.is_dir():
            out.append((root, [(p, p.relative_to(root).as_posix()) for p in ingest.discover(root)]))
        elif root.is_file():
            out.append((root, [(root, root.name)]))
        else:
            out.append((root, None))
    return out


@dataclass
class _Pending:
    """A changed file, read and chunked, waiting for its unit vectors before it is written."""

    path: str
    root: str
    digest: str
    keep: set[str]
    documents: list[tuple[Document, list[str], _Units]]  # (document, chunk terms, units)


def run(store: Store, embedder: Embedder, sources: Sequence[str | Path], settings: Settings,
        progress: Progress | None = None) -> Report:
    """Ingest `sources` (files and folders) into `store`.

    Files are read and chunked one by one; their sentence units are embedded together, many
    files per embedder call, and each file is then written in its own transaction."""
    started = time.perf_counter()
    report = Report()
    targets = _targets(sources)
    for root, files in targets:
        if files is None and not store.files(str(root)):
            raise ErreError(f"Not found: {root} (give a folder or a file to ingest)")
    report.reembedded = ensure_embedder(store, embedder, settings, progress)
    options = ingest.Options(include_drafts=settings.ingest_include_drafts,
                             max_bytes=settings.ingest_max_file_mb * 1024 * 1024)
    total = sum(len(f or ()) for _, f in targets)
    done = 0
    pending: list[_Pending] = []
    waiting = 0  # unit texts of `pending` still to embed

    def flush() -> None:
        nonlocal waiting
        report.embedded += _embed([u for p in pending for _, _, u in p.documents], embedder,
                                  settings.embed_batch)
        for p in pending:
            indexed = [Indexed(d, u.chunks, terms, u.assemble()) for d, terms, u in p.documents]
            store.write_file(p.path, p.root, p.digest, indexed, keep=p.keep)
        pending.clear()
        waiting = 0

    for root, files in targets:
        seen: set[str] = set()
        for path, source in files or ():
            seen.add(str(path))
            item = _read_file(store, embedder, path, source, str(root), settings, options, report)
            if item is not None:
                pending.append(item)
                waiting += sum(len(u.todo) for _, _, u in item.documents)
                if waiting >= settings.embed_batch:
                    flush()
            done += 1
            if progress:
                progress("ingesting", done, total)
        flush()
        for record in store.files(str(root)):
            if record.path not in seen:
                store.delete_file(record.path)
                report.removed += 1
    store.settle()
    report.seconds = time.perf_counter() - started
    return report


def _read_file(store: Store, embedder: Embedder, path: Path, source: str, root: str,
               settings: Settings, options: ingest.Options, report: Report) -> _Pending | None:
    """Read and chunk a file if it changed; None when there is nothing to embed for it."""
    report.files += 1
    try:
        data = ingest.read_bytes(path, source, options)
    except LoadError as e:
        report.errors.append(e)
        return None
    digest = _digest(data, settings)
    known = store.file(str(path))
    if known is not None and known.hash == digest:
        report.unchanged += 1
        return None
    result = ingest.read(path, source, data, options)
    report.errors.extend(result.errors)
    report.skipped.extend(result.skipped)
    if not result.documents and result.errors:
        return None  # unreadable now: whatever was indexed before stays
    if not result.documents and known is None:
        store.write_file(str(path), root, digest, [])  # remembered, so it is not read again
        return None  # only drafts: reported as skipped, not added
    old = store.document_hashes(str(path))
    keep = {d.source for d in result.documents if old.get(d.source) == d.hash}
    changed = [d for d in result.documents if d.source not in keep]
    reuse = store.vectors_by_text(str(path)) if changed and old else {}
    documents = []
    for doc in changed:
        chunks = chunk.split(doc, settings.chunk_tokens, settings.chunk_overlap, embedder.count_tokens)
        terms = [" ".join(language.terms(c.context, c.language)) for c in chunks]
        documents.append((doc, terms, _units(chunks, embedder.dim, reuse)))
        report.chunks += len(chunks)
    report.documents += len(changed)
    report.undated.extend(d.source for d in changed if not d.date)
    if known is None or known.documents == 0:
        report.added += 1
    else:
        report.updated += 1
    return _Pending(str(path), root, digest, keep, documents)
