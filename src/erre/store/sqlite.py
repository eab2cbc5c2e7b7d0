"""The default store: one SQLite file with FTS5 for lexical search and sqlite-vec for vectors.

Chunk ids are SQLite rowids shared by three tables: `chunks` (text and place), `chunks_fts`
(stemmed terms, BM25) and `chunks_vec` (vectors, cosine). Every write that touches them is
one transaction, so the three always hold the same chunks.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..documents import Answer, Chunk, Citation, Document, Turn
from ..errors import ErreError, MissingExtra
from . import ChunkVectors, Conversation, DenseHit, FileRecord, Indexed, ann

SCHEMA_VERSION = 1
# Up to this many vectors (sentence units and chunks together), dense search is exact, by one
# matrix product in memory (384 floats each: 1.5 KB; 150,000 = 230 MB, about 12 ms a query
# on two cores, as it reads every vector). Past it, an approximate index (store/ann.py)
# proposes the chunks and scores them from its float16 copies.
EXACT_VECTORS = 150_000

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


class SQLiteStore:
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
        self._dense: tuple[str, _Dense | ann.Graphs | None] | None = None
        self._graphs: ann.Graphs | None = None
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
        now = _now()
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
                         (cid, _blob(vec.chunk)))
        for (start, end, h), v in zip(vec.units, vec.unit_vectors):
            uid = self._db.execute('INSERT INTO units(chunk_id, start, "end", text_hash) VALUES (?,?,?,?)',
                                   (cid, start, end, h)).lastrowid
            self._db.execute("INSERT INTO units_vec(rowid, embedding) VALUES (?, ?)", (uid, _blob(v)))

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
    def search_dense(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """Chunks near `vector` by their own vector or by one of their sentence units."""
        if not self._has_vectors():
            return []
        vector = np.asarray(vector, np.float32)
        index = self._index()
        if isinstance(index, _Dense):
            return index.search(vector, k)
        if isinstance(index, ann.Graphs):
            return self._score(index, vector, k)
        return self._search_dense_sql(vector, k)

    def _index(self) -> _Dense | ann.Graphs | None:
        """What dense search uses now: every vector in memory up to EXACT_VECTORS, else the
        approximate graphs (None without usearch: sqlite-vec is asked). Brought up to date
        when a write, from any connection, moved the vectors."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'vectors'").fetchone()
        version = row[0] if row else "0"
        with self._write:
            if self._dense is not None and self._dense[0] == version:
                return self._dense[1]
            size = self._db.execute("SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM chunks)").fetchone()[0]
            index: _Dense | ann.Graphs | None
            if size <= EXACT_VECTORS:
                rows = self._db.execute(
                    'SELECT u.chunk_id, u.start, u."end", v.embedding FROM units u '
                    "JOIN units_vec v ON v.rowid = u.id ORDER BY u.chunk_id, u.id").fetchall()
                chunks = self._db.execute("SELECT rowid, embedding FROM chunks_vec ORDER BY rowid").fetchall()
                index, self._graphs = _Dense(rows, chunks), None
            else:
                try:
                    index = self._graphs = self._current_graphs()
                except MissingExtra:
                    index = None
            self._dense = (version, index)
            return index

    # -- the approximate index ------------------------------------------------
    @property
    def _ann_folder(self) -> Path:
        return Path(f"{self.path}.ann")

    def _log_position(self) -> tuple[int, int]:
        """(last change written, last change trimmed away) in vector_log."""
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vector_log'").fetchone():
            return 0, 0
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'vector_log'").fetchone()
        return (int(row[0]) if row else 0), int(self._meta("vectors_trimmed") or 0)

    def _current_graphs(self) -> ann.Graphs:
        """The graphs of this process, else the saved ones, else built from every vector;
        then the changes logged since they were made."""
        epoch = self._meta("vectors_epoch") or "0"
        _, trimmed = self._log_position()
        graphs = self._graphs
        if graphs is None or graphs.epoch != epoch or graphs.seq < trimmed:
            graphs = ann.load(self._ann_folder, epoch)
        self._db.execute("BEGIN")  # one snapshot for the log and the vectors
        try:
            last, trimmed = self._log_position()
            if graphs is None or graphs.epoch != epoch or graphs.seq < trimmed:
                row = self._db.execute("SELECT embedding FROM chunks_vec LIMIT 1").fetchone()
                graphs = ann.Graphs(len(row[0]) // 4 if row else 1, epoch, last)
                graphs.add(self._vector_batches("units"), self._vector_batches("chunks"))
            elif graphs.seq < last:
                rows = self._db.execute("SELECT chunk_id, unit_id FROM vector_log WHERE seq > ?",
                                        (graphs.seq,)).fetchall()
                changed = sorted({c for c, _ in rows})
                now = [u for part in _parts(changed) for (u,) in self._db.execute(
                    f"SELECT id FROM units WHERE chunk_id IN ({','.join('?' * len(part))})", part)]
                graphs.remove(sorted({u for _, u in rows if u is not None} | set(now)), changed)
                graphs.add(self._vector_batches("units", changed), self._vector_batches("chunks", changed))
                graphs.seq = last
        finally:
            self._db.execute("COMMIT")
        return graphs

    def _vector_batches(self, kind: str, chunk_ids: Sequence[int] | None = None,
                        size: int = 20_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of every unit or chunk vector, or of these chunks'."""
        sql = ("SELECT u.id, v.embedding FROM units u JOIN units_vec v ON v.rowid = u.id"
               if kind == "units" else "SELECT rowid, embedding FROM chunks_vec")
        column = "u.chunk_id" if kind == "units" else "rowid"
        for part in [None] if chunk_ids is None else _parts(chunk_ids):
            cursor = (self._db.execute(sql) if part is None else
                      self._db.execute(f"{sql} WHERE {column} IN ({','.join('?' * len(part))})", part))
            while rows := cursor.fetchmany(size):
                dim = len(rows[0][1]) // 4
                yield (np.array([r[0] for r in rows], np.uint64),
                       np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, dim))

    def _score(self, graphs: ann.Graphs, vector: np.ndarray, k: int) -> list[DenseHit]:
        """The chunks owning one of the 4k nearest units, or among the k nearest by their own
        vector (as exact search), each scored by its own vector and its best unit."""
        near_units, near_chunks = graphs.nearest(vector, k)
        chunk_ids = set(near_chunks)
        for part in _parts(near_units):
            chunk_ids.update(c for (c,) in self._db.execute(
                f"SELECT DISTINCT chunk_id FROM units WHERE id IN ({','.join('?' * len(part))})", part))
        ids = sorted(chunk_ids)
        units = [r for part in _parts(ids) for r in self._db.execute(
            'SELECT id, chunk_id, start, "end" FROM units WHERE chunk_id IN '
            f"({','.join('?' * len(part))}) ORDER BY chunk_id, id", part)]
        best: dict[int, tuple[float, int, int]] = {}
        for (_, cid, start, end), v in zip(units, graphs.vectors("units", [u[0] for u in units])):
            if v is not None:  # None: written after the graphs were brought up to date
                sim = float(v @ vector)
                if cid not in best or sim > best[cid][0]:
                    best[cid] = (sim, start, end)
        hits = []
        for cid, v in zip(ids, graphs.vectors("chunks", ids)):
            if v is not None and cid in best:
                sim, start, end = best[cid]
                hits.append(DenseHit(cid, float(v @ vector), sim, (start, end)))
        return hits

    def settle(self) -> None:
        """After an ingest: save the approximate index (when dense search uses one) beside
        the store, so the next process loads it instead of building it, and trim the log."""
        if self._readonly or not self._has_vectors():
            return
        index = self._index()
        with self._write:
            last, trimmed = self._log_position()
            if isinstance(index, ann.Graphs):
                folder = self._ann_folder
                with _locked(folder):
                    saved = ann.saved_seq(folder, index.epoch)
                    if saved is None or saved < index.seq:
                        index.save(folder)
                upto = index.seq
            else:
                if isinstance(index, _Dense) and self._ann_folder.exists():
                    shutil.rmtree(self._ann_folder, ignore_errors=True)
                upto = last
            if upto > trimmed:
                with self._tx() as db:
                    db.execute("DELETE FROM vector_log WHERE seq <= ?", (upto,))
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('vectors_trimmed', ?)", (str(upto),))

    def _search_dense_sql(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """search_dense inside SQLite (sqlite-vec scans every vector)."""
        q = _blob(vector)
        best: dict[int, tuple[float, int, int]] = {}  # chunk -> (unit cosine, span)
        for cid, start, end, dist in self._db.execute(
                'SELECT u.chunk_id, u.start, u."end", n.distance FROM (SELECT rowid, distance FROM units_vec '
                "WHERE embedding MATCH ? AND k = ?) n JOIN units u ON u.id = n.rowid", (q, int(k) * 4)):
            if cid not in best or 1 - dist > best[cid][0]:
                best[cid] = (1 - dist, start, end)
        ids = set(best) | {r[0] for r in self._db.execute(
            "SELECT rowid FROM chunks_vec WHERE embedding MATCH ? AND k = ?", (q, int(k)))}
        missing = [i for i in ids if i not in best]
        for i in range(0, len(missing), 500):
            part = missing[i:i + 500]
            for cid, start, end, sim in self._db.execute(
                    f'SELECT u.chunk_id, u.start, u."end", 1 - vec_distance_cosine(v.embedding, ?) '
                    f"FROM units u JOIN units_vec v ON v.rowid = u.id "
                    f"WHERE u.chunk_id IN ({','.join('?' * len(part))})", (q, *part)):
                if cid not in best or sim > best[cid][0]:
                    best[cid] = (sim, start, end)
        hits = []
        id_list = list(ids)
        for i in range(0, len(id_list), 500):
            part = id_list[i:i + 500]
            for cid, sim in self._db.execute(
                    f"SELECT rowid, 1 - vec_distance_cosine(embedding, ?) FROM chunks_vec "
                    f"WHERE rowid IN ({','.join('?' * len(part))})", (q, *part)):
                u = best.get(cid)
                if u is not None:
                    hits.append(DenseHit(cid, float(sim), float(u[0]), (u[1], u[2])))
        return hits

    def documents(self) -> Iterator[tuple[str, str, str | None, str]]:
        """(source, title, language, text) of every document, in source order."""
        yield from self._db.execute("SELECT source, title, language, text FROM documents ORDER BY source, id")

    def document(self, source: str) -> tuple[str, str | None, str] | None:
        """(title, url, text) of the document stored under `source`, or None."""
        row = self._db.execute("SELECT title, url, text FROM documents WHERE source = ? ORDER BY id LIMIT 1",
                               (source,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def unit_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        """The sentence units of these chunks with their vectors: (start, end, vector)."""
        out: dict[int, list[tuple[int, int, np.ndarray]]] = {}
        if not self._has_vectors() or not chunk_ids:
            return out
        ids = list(chunk_ids)
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            for cid, start, end, blob in self._db.execute(
                    f'SELECT u.chunk_id, u.start, u."end", v.embedding FROM units u '
                    f"JOIN units_vec v ON v.rowid = u.id WHERE u.chunk_id IN ({','.join('?' * len(part))}) "
                    f"ORDER BY u.chunk_id, u.start", part):
                out.setdefault(cid, []).append((start, end, np.frombuffer(blob, dtype=np.float32)))
        return out

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

    def stats(self) -> dict:
        one = lambda sql: self._db.execute(sql).fetchone()[0]  # noqa: E731
        formats = dict(self._db.execute("SELECT format, count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC"))
        emb = self.embedder()
        size = sum(os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if os.path.exists(p))
        return {
            "files": one("SELECT count(*) FROM files"),
            "documents": one("SELECT count(*) FROM documents"),
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


    # -- conversations ------------------------------------------------------
    def new_conversation(self, title: str, channel: str = "cli", owner: str | None = None) -> str:
        cid, now = uuid.uuid4().hex, _now()
        with self._tx() as db:
            db.execute("INSERT INTO conversations VALUES (?,?,?,?,?,?)", (cid, title[:200], channel, owner, now, now))
        return cid

    _CONVERSATION = ("SELECT c.id, c.title, c.channel, c.owner, c.created, c.updated, "
                     "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) FROM conversations c ")

    def conversations(self, owner: str | None = None, limit: int = 50) -> list[Conversation]:
        sql = self._CONVERSATION
        args: tuple[str, ...] = ()
        if owner is not None:
            sql, args = sql + "WHERE c.owner = ? ", (owner,)
        rows = self._db.execute(sql + "ORDER BY c.updated DESC, (SELECT max(t.id) FROM turns t WHERE "
                                "t.conversation_id = c.id) DESC, c.rowid DESC LIMIT ?", (*args, int(limit)))
        return [Conversation(*r) for r in rows]

    def conversation(self, id: str) -> Conversation | None:
        row = self._db.execute(self._CONVERSATION + "WHERE c.id = ?", (id,)).fetchone()
        return Conversation(*row) if row else None

    def turns(self, conversation_id: str) -> list[Turn]:
        rows = self._db.execute("SELECT role, content, citations, abstained, created FROM turns "
                                "WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [Turn(r[0], r[1], tuple(Citation(**c) for c in json.loads(r[2])), bool(r[3]), r[4])
                for r in rows]

    def add_exchange(self, conversation_id: str, question: str, answer: Answer) -> None:
        now = _now()
        cites = json.dumps([c.__dict__ for c in answer.citations], ensure_ascii=False)
        with self._tx() as db:
            if not db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id)).rowcount:
                raise ErreError(f"No conversation {conversation_id}. Start a new one.")
            db.execute("INSERT INTO turns(conversation_id, role, content, citations, abstained, created) "
                       "VALUES (?,?,?,?,?,?)", (conversation_id, "user", question, "[]", 0, now))
            db.execute("INSERT INTO turns(conversation_id, role, content, citations, abstained, created) "
                       "VALUES (?,?,?,?,?,?)", (conversation_id, "assistant", answer.text, cites,
                                                int(answer.abstained), now))

    def rename_conversation(self, id: str, title: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title[:200], id))

    def delete_conversation(self, id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM conversations WHERE id = ?", (id,)).rowcount > 0

    def put_conversation(self, conversation: Conversation, turns: Sequence[Turn]) -> None:
        c = conversation
        with self._tx() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (c.id,))
            db.execute("INSERT INTO conversations VALUES (?,?,?,?,?,?)",
                       (c.id, c.title, c.channel, c.owner, c.created, c.updated))
            db.executemany("INSERT INTO turns(conversation_id, role, content, citations, abstained, created) "
                           "VALUES (?,?,?,?,?,?)",
                           [(c.id, t.role, t.content, json.dumps([x.__dict__ for x in t.citations], ensure_ascii=False),
                             int(t.abstained), t.created) for t in turns])


def _storage_error(path: Path, e: Exception) -> ErreError:
    text = str(e).lower()
    if "disk is full" in text or "disk i/o" in text:
        return ErreError(f"The disk holding {path} is full ({e}). Free some space and run the command again: "
                         "what was written before is kept.")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return ErreError(f"Cannot write to {path} ({e}): its folder is read-only or not writable. Make it "
                         "writable, or point ERRE_HOME at a writable folder.")
    return ErreError(f"The index {path} failed: {e}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _parts(ids: Sequence[int], size: int = 500) -> list[list[int]]:
    """`ids` in slices small enough for one IN (...) list."""
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


@contextmanager
def _locked(folder: Path):
    """One process at a time saves the approximate index."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _blob(vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


class _Dense:
    """The index's vectors as matrices: sentence units sorted by chunk, and chunks."""

    def __init__(self, units: list, chunks: list):
        dim = len(chunks[0][1]) // 4 if chunks else 1  # float32 blobs
        self.unit_chunk = np.array([r[0] for r in units], np.int64)
        self.spans = np.array([(r[1], r[2]) for r in units], np.int64).reshape(-1, 2)
        self.units = np.frombuffer(b"".join(r[3] for r in units), np.float32).reshape(-1, dim)
        self.chunk_ids = np.array([r[0] for r in chunks], np.int64)
        self.chunks = np.frombuffer(b"".join(r[1] for r in chunks), np.float32).reshape(-1, dim)
        # the rows of each chunk's units: [first[i], first[i + 1])
        self.first = np.searchsorted(self.unit_chunk, self.chunk_ids)
        self.last = np.searchsorted(self.unit_chunk, self.chunk_ids, side="right")

    def search(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """The same hits as the SQL path: chunks whose best units are among the 4k nearest
        units, or whose own vector is among the k nearest; each with its best unit."""
        if not len(self.chunk_ids):
            return []
        unit_sim = self.units @ vector
        chunk_sim = self.chunks @ vector
        near_units = _top(unit_sim, 4 * k)
        owners = np.searchsorted(self.chunk_ids, self.unit_chunk[near_units])
        owners = owners[owners < len(self.chunk_ids)]
        rows = set(owners.tolist()) | set(_top(chunk_sim, k).tolist())
        hits = []
        for row in rows:
            a, b = self.first[row], self.last[row]
            if a == b:
                continue
            best = a + int(np.argmax(unit_sim[a:b]))
            hits.append(DenseHit(int(self.chunk_ids[row]), float(chunk_sim[row]), float(unit_sim[best]),
                                 (int(self.spans[best, 0]), int(self.spans[best, 1]))))
        return hits


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    if n >= len(scores):
        return np.arange(len(scores))
    return np.argpartition(-scores, n)[:n]
