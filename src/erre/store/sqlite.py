"""The default store: one SQLite file with FTS5 for lexical search and sqlite-vec for vectors.

Chunk ids are SQLite rowids shared by three tables: `chunks` (text and place), `chunks_fts`
(stemmed terms, BM25) and `chunks_vec` (vectors, cosine). Every write that touches them is
one transaction, so the three always hold the same chunks. Dense search and the approximate
index's life cycle are in sqlite_dense.py, the conversation log's SQL in log.py.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np

from ..documents import Chunk, Document
from ..errors import ErreError, MissingExtra
from . import ChunkVectors, FileRecord, Indexed, Vectors
from .log import ConversationSQL
from .log import now as log_now
from .sqlite_dense import DenseIndex, blob

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, root TEXT NOT NULL, hash TEXT NOT NULL,
    ingested_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    source TEXT NOT NULL, title TEXT NOT NULL, date TEXT, url TEXT, tags TEXT NOT NULL,
    language TEXT, format TEXT NOT NULL, hash TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_file ON documents(file_id);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    key TEXT NOT NULL, ordinal INTEGER NOT NULL, text TEXT NOT NULL, heading TEXT NOT NULL,
    page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL, tokens INTEGER NOT NULL,
    text_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE TABLE IF NOT EXISTS units(
    id INTEGER PRIMARY KEY, chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS units_chunk ON units(chunk_id);
CREATE TABLE IF NOT EXISTS conversations(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, channel TEXT NOT NULL, owner TEXT,
    created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_owner ON conversations(owner, updated);
CREATE TABLE IF NOT EXISTS turns(
    id INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL, content TEXT NOT NULL, citations TEXT NOT NULL, abstained INTEGER NOT NULL,
    created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, id);
-- chunks whose vectors were written or deleted, and the units deleted with them, in order:
-- what the approximate index replays
CREATE TABLE IF NOT EXISTS vector_log(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id INTEGER NOT NULL, unit_id INTEGER);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    terms, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
"""


def _sqlite():
    """A SQLite module that can load extensions (the system one often cannot)."""
    try:
        import pysqlite3.dbapi2 as sqlite
    except ImportError:
        import sqlite3 as sqlite
    if not hasattr(sqlite.Connection, "enable_load_extension"):
        raise MissingExtra("A SQLite that can load extensions", "pysqlite3-binary")
    return sqlite


class SQLiteStore(ConversationSQL):
    def __init__(self, path: Path | str, *, readonly: bool = False):
        sqlite = _sqlite()
        try:
            import sqlite_vec
        except ImportError:
            raise MissingExtra("sqlite-vec", "sqlite-vec") from None
        self.path = Path(path)
        if readonly and not self.path.exists():
            raise FileNotFoundError(self.path)
        try:
            self._db = sqlite.connect(str(self.path), isolation_level=None, check_same_thread=False)
        except sqlite.Error as e:
            raise _storage_error(self.path, e) from None
        self._languages: tuple[tuple[int, int], dict[str, int]] | None = None
        self.dense = DenseIndex(self)  # dense search and its approximate index (sqlite_dense.py)
        self._readonly = readonly
        self._write = threading.RLock()
        self._db.enable_load_extension(True)
        sqlite_vec.load(self._db)
        self._db.enable_load_extension(False)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA busy_timeout = 10000")
        if not readonly:
            with self._errors():
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._db.executescript(
                    f"BEGIN; {_SCHEMA} INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA_VERSION}'); COMMIT;")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self):
        # one connection serves the server's threads: one transaction at a time on it
        with self._write, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self):
        return nullcontext(self._db)

    @contextmanager
    def _errors(self):
        """SQLite's storage errors as errors that say what to do; the transaction in
        progress is rolled back, so what was written before it stays."""
        sqlite = _sqlite()
        try:
            yield
        except sqlite.OperationalError as e:
            raise _storage_error(self.path, e) from None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- sync ---------------------------------------------------------------
    def files(self, root: str | None = None) -> list[FileRecord]:
        sql = ("SELECT f.path, f.root, f.hash, count(d.id) FROM files f "
               "LEFT JOIN documents d ON d.file_id = f.id")
        args: tuple = ()
        if root is not None:
            sql += " WHERE f.root = ?"
            args = (root,)
        rows = self._db.execute(sql + " GROUP BY f.id ORDER BY f.path", args).fetchall()
        return [FileRecord(*r) for r in rows]

    def file(self, path: str) -> FileRecord | None:
        row = self._db.execute(
            "SELECT f.path, f.root, f.hash, (SELECT count(*) FROM documents WHERE file_id = f.id) "
            "FROM files f WHERE f.path = ?", (path,)).fetchone()
        return FileRecord(*row) if row else None

    def document_hashes(self, path: str) -> dict[str, str]:
        rows = self._db.execute(
            "SELECT d.source, d.hash FROM documents d JOIN files f ON f.id = d.file_id "
            "WHERE f.path = ?", (path,)).fetchall()
        return dict(rows)

    def vectors_by_text(self, path: str) -> dict[str, bytes]:
        if not self._has_vectors():
            return {}
        rows = self._db.execute(
            "SELECT u.text_hash, v.embedding FROM units u JOIN chunks c ON c.id = u.chunk_id "
            "JOIN documents d ON d.id = c.document_id JOIN files f ON f.id = d.file_id "
            "JOIN units_vec v ON v.rowid = u.id WHERE f.path = ?",
            (path,)).fetchall()
        return dict(rows)

    def write_file(self, path: str, root: str, hash: str, documents: Sequence[Indexed],
                   keep: Iterable[str] = ()) -> None:
        """Make the file's documents exactly `keep` (unchanged, left as they are) plus `documents`."""
        keep = set(keep)
        now = log_now()
        with self._tx() as db:
            row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if row:
                file_id = row[0]
                db.execute("UPDATE files SET root = ?, hash = ?, ingested_at = ? WHERE id = ?",
                           (root, hash, now, file_id))
                stale = [r[0] for r in db.execute(
                    "SELECT id, source FROM documents WHERE file_id = ?", (file_id,)) if r[1] not in keep]
                self._delete_documents(stale)
            else:
                file_id = db.execute("INSERT INTO files(path, root, hash, ingested_at) VALUES (?,?,?,?)",
                                     (path, root, hash, now)).lastrowid
            for item in documents:
                self._insert(file_id, item)

    def _insert(self, file_id: int, item: Indexed) -> None:
        d = item.document
        doc_id = self._db.execute(
            "INSERT INTO documents(file_id, source, title, date, url, tags, language, format, hash, text) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (file_id, d.source, d.title, d.date, d.url, json.dumps(list(d.tags), ensure_ascii=False),
             d.language, d.format, item.document_hash, d.text)).lastrowid
        if len(item.vectors) != len(item.chunks) or len(item.terms) != len(item.chunks):
            raise ValueError("one vector and one term string per chunk")
        for c, terms, vec in zip(item.chunks, item.terms, item.vectors):
            cid = self._db.execute(
                'INSERT INTO chunks(document_id, key, ordinal, text, heading, page, start, "end", tokens, '
                "text_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (doc_id, c.key, c.ordinal, c.text, json.dumps(list(c.heading), ensure_ascii=False),
                 c.page, c.start, c.end, c.tokens, c.context_hash)).lastrowid
            self._db.execute("INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)", (cid, terms))
            self._write_vectors(cid, vec)

    def _vectors_moved(self) -> None:
        """Count vector writes in `meta`, so that every connection's in-memory copy knows when
        it is stale (data_version would also move for conversations)."""
        self._db.execute("INSERT INTO meta VALUES ('vectors', '1') ON CONFLICT(key) DO UPDATE "
                         "SET value = CAST(value AS INTEGER) + 1")

    def _write_vectors(self, cid: int, vec: ChunkVectors) -> None:
        self._vectors_moved()
        self._db.execute("INSERT INTO vector_log(chunk_id) VALUES (?)", (cid,))
        self._db.execute("INSERT OR REPLACE INTO chunks_vec(rowid, embedding) VALUES (?, ?)",
                         (cid, blob(vec.chunk)))
        for (start, end, h), v in zip(vec.units, vec.unit_vectors):
            uid = self._db.execute('INSERT INTO units(chunk_id, start, "end", text_hash) VALUES (?,?,?,?)',
                                   (cid, start, end, h)).lastrowid
            self._db.execute("INSERT INTO units_vec(rowid, embedding) VALUES (?, ?)", (uid, blob(v)))

    def _delete_documents(self, doc_ids: Sequence[int]) -> None:
        for doc_id in doc_ids:
            ids = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE document_id = ?", (doc_id,))]
            self._db.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
            self._delete_vectors(ids)
            self._db.execute("DELETE FROM chunks WHERE document_id = ?", (doc_id,))
            self._db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def _delete_vectors(self, chunk_ids: Sequence[int]) -> None:
        if not self._has_vectors():
            return
        if chunk_ids:
            self._vectors_moved()
            self._db.executemany("INSERT INTO vector_log(chunk_id) VALUES (?)", [(c,) for c in chunk_ids])
            self._db.executemany("INSERT INTO vector_log(chunk_id, unit_id) SELECT chunk_id, id FROM units "
                                 "WHERE chunk_id = ?", [(c,) for c in chunk_ids])
        for cid in chunk_ids:
            self._db.execute("DELETE FROM units_vec WHERE rowid IN (SELECT id FROM units WHERE chunk_id = ?)",
                             (cid,))
            self._db.execute("DELETE FROM units WHERE chunk_id = ?", (cid,))
            self._db.execute("DELETE FROM chunks_vec WHERE rowid = ?", (cid,))

    def delete_file(self, path: str) -> None:
        with self._tx() as db:
            row = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if not row:
                return
            self._delete_documents([r[0] for r in db.execute(
                "SELECT id FROM documents WHERE file_id = ?", (row[0],))])
            db.execute("DELETE FROM files WHERE id = ?", (row[0],))

    def export_file(self, path: str) -> list[Indexed]:
        out = []
        vectors = self._has_vectors()
        for doc_id, source, title, date, url, tags, lang, fmt, h, text in self._db.execute(
                "SELECT d.id, d.source, d.title, d.date, d.url, d.tags, d.language, d.format, d.hash, d.text "
                "FROM documents d JOIN files f ON f.id = d.file_id WHERE f.path = ? ORDER BY d.id", (path,)).fetchall():
            doc = Document(source=source, title=title, text=text, blocks=(), date=date, url=url,
                           tags=tuple(json.loads(tags)), language=lang, format=fmt)
            ids = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE document_id = ? ORDER BY ordinal, id",
                                                  (doc_id,))]
            chunks = self.chunks(ids)
            vecs = []
            for cid in ids:
                units = self._db.execute(
                    'SELECT u.start, u."end", u.text_hash, v.embedding FROM units u JOIN units_vec v ON v.rowid = u.id '
                    "WHERE u.chunk_id = ? ORDER BY u.id", (cid,)).fetchall() if vectors else []
                row = self._db.execute("SELECT embedding FROM chunks_vec WHERE rowid = ?",
                                       (cid,)).fetchone() if vectors else None
                if row is None:
                    raise ErreError(f"{path} has chunks without vectors: finish the ingest (erre ingest) first")
                vecs.append(ChunkVectors(np.frombuffer(row[0], np.float32), [(a, b, h) for a, b, h, _ in units],
                                         np.array([np.frombuffer(u[3], np.float32) for u in units])))
            out.append(Indexed(doc, [chunks[i] for i in ids], [], vecs, hash=h))
        return out

    # -- embeddings ---------------------------------------------------------
    def _has_vectors(self) -> bool:
        return self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'chunks_vec'").fetchone() is not None

    def embedder(self) -> tuple[str, int] | None:
        name, dim = self._meta("embedder"), self._meta("dim")
        if name is None or dim is None or not self._has_vectors():
            return None
        return name, int(dim)

    def reset_vectors(self, name: str, dim: int) -> None:
        """Drop every vector and prepare for `dim`-sized ones from embedder `name`."""
        with self._tx() as db:
            db.execute("DROP TABLE IF EXISTS chunks_vec")
            db.execute("DROP TABLE IF EXISTS units_vec")
            self._vectors_moved()
            db.execute("INSERT INTO meta VALUES ('vectors_epoch', '1') ON CONFLICT(key) DO UPDATE "
                       "SET value = CAST(value AS INTEGER) + 1")
            db.execute("DELETE FROM vector_log")
            db.execute("DELETE FROM units")
            for table in ("chunks_vec", "units_vec"):
                db.execute(f"CREATE VIRTUAL TABLE {table} USING vec0("
                           f"embedding float[{int(dim)}] distance_metric=cosine)")
            db.execute("DELETE FROM meta WHERE key IN ('embedder', 'dim')")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('embedder_pending', ?)", (name,))

    def chunk_texts(self, batch: int = 256) -> Iterator[list[tuple[int, Chunk]]]:
        last = 0
        while True:
            ids = [r[0] for r in self._db.execute(
                "SELECT id FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last, batch))]
            if not ids:
                return
            got = self.chunks(ids)
            yield [(i, got[i]) for i in ids]
            last = ids[-1]

    def set_vectors(self, items: Sequence[tuple[int, ChunkVectors]]) -> None:
        with self._tx():
            for cid, vec in items:
                self._delete_vectors([cid])
                self._write_vectors(cid, vec)

    def finish_vectors(self, name: str, dim: int) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('embedder', ?)", (name,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('dim', ?)", (str(dim),))
            db.execute("DELETE FROM meta WHERE key = 'embedder_pending'")

    # -- search -------------------------------------------------------------
    def nearest(self, vector: np.ndarray, units: int, chunks: int) -> tuple[list[int], list[int]]:
        if not self._has_vectors():
            return [], []
        return self.dense.nearest(vector, units, chunks)

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, Vectors]:
        if not self._has_vectors() or not chunk_ids:
            return {}
        return self.dense.vectors(chunk_ids)

    def settle(self) -> None:
        """After an ingest: save the approximate index (when dense search uses one) beside
        the store, so the next process loads it instead of building it, and trim the log."""
        if self._readonly or not self._has_vectors():
            return
        self.dense.settle()

    def documents(self) -> Iterator[tuple[str, str, str | None, str]]:
        """(source, title, language, text) of every document, in source order."""
        yield from self._db.execute("SELECT source, title, language, text FROM documents ORDER BY source, id")

    def document(self, source: str) -> tuple[str, str | None, str] | None:
        """(title, url, text) of the document stored under `source`, or None."""
        row = self._db.execute("SELECT title, url, text FROM documents WHERE source = ? ORDER BY id LIMIT 1",
                               (source,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def search_lexical(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        terms = [t for t in terms if t]
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = self._db.execute(
            "SELECT rowid, bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? "
            "ORDER BY bm25(chunks_fts) LIMIT ?", (match, int(k))).fetchall()
        return [(r[0], -r[1]) for r in rows]

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        out: dict[int, Chunk] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            for r in self._db.execute(
                    f'SELECT c.id, d.source, d.title, c.text, c.start, c."end", c.heading, c.page, d.date, '
                    f"d.url, d.language, c.tokens, c.ordinal FROM chunks c "
                    f"JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})", part):
                out[r[0]] = Chunk(source=r[1], title=r[2], text=r[3], start=r[4], end=r[5],
                                  heading=tuple(json.loads(r[6])), page=r[7], date=r[8], url=r[9],
                                  language=r[10], tokens=r[11], ordinal=r[12])
        return out

    def languages(self) -> dict[str, int]:
        """Chunks per language; asked on every search, so cached until the index changes
        (data_version moves when another connection commits, total_changes when this one does)."""
        version = (self._db.execute("PRAGMA data_version").fetchone()[0], self._db.total_changes)
        if self._languages is None or self._languages[0] != version:
            rows = self._db.execute(
                "SELECT coalesce(d.language, 'und'), count(*) FROM chunks c "
                "JOIN documents d ON d.id = c.document_id GROUP BY 1 ORDER BY 2 DESC").fetchall()
            self._languages = (version, dict(rows))
        return dict(self._languages[1])

    def dates(self) -> tuple[str | None, str | None]:
        row = self._db.execute(
            "SELECT min(date), max(date) FROM documents WHERE date IS NOT NULL AND date <> ''").fetchone()
        return (row[0], row[1]) if row else (None, None)

    def document_dates(self) -> dict[str, str | None]:
        return {s: d or None for s, d in self._db.execute("SELECT source, date FROM documents ORDER BY source")}

    def stats(self) -> dict:
        one = lambda sql: self._db.execute(sql).fetchone()[0]  # noqa: E731
        formats = dict(self._db.execute("SELECT format, count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC"))
        emb = self.embedder()
        size = sum(os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if os.path.exists(p))
        return {
            "files": one("SELECT count(*) FROM files"),
            "documents": one("SELECT count(*) FROM documents"),
            "undated": one("SELECT count(*) FROM documents WHERE date IS NULL OR date = ''"),
            "dates": list(self.dates()),
            "chunks": one("SELECT count(*) FROM chunks"),
            "units": one("SELECT count(*) FROM units"),
            "tokens": one("SELECT coalesce(sum(tokens), 0) FROM chunks"),
            "languages": self.languages(),
            "roots": dict(self._db.execute("SELECT root, count(*) FROM files GROUP BY root ORDER BY root")),
            "formats": formats,
            "embedder": emb[0] if emb else None,
            "dim": emb[1] if emb else None,
            "last_ingest": one("SELECT max(ingested_at) FROM files"),
            "size_bytes": size,
            "path": str(self.path),
        }


def _storage_error(path: Path, e: Exception) -> ErreError:
    text = str(e).lower()
    if "disk is full" in text or "disk i/o" in text:
        return ErreError(f"The disk holding {path} is full ({e}). Free some space and run the command again: "
                         "what was written before is kept.")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return ErreError(f"Cannot write to {path} ({e}): its folder is read-only or not writable. Make it "
                         "writable, or point ERRE_HOME at a writable folder.")
    return ErreError(f"The index {path} failed: {e}")

