"""Dense search in the SQLite store, and the life cycle of its approximate index.

Up to EXACT_VECTORS vectors (sentence units and chunks together), search is exact: every
vector in memory, one matrix product (`Exact`). Past it, HNSW graphs (store/ann.py) propose
the chunks and score them from their float16 copies. Without usearch, sqlite-vec scans
(`scan`). Every vector write logs the chunk in `vector_log`; the graphs replay the log to
catch up with writes from any connection, `settle()` saves them beside the store after an
ingest and trims the log, and a new embedder (a new epoch) starts new graphs.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MissingExtra
from . import Vectors, ann

if TYPE_CHECKING:
    from .sqlite import SQLiteStore

# Up to this many vectors (sentence units and chunks together), dense search is exact, by one
# matrix product in memory (384 floats each: 1.5 KB; 150,000 = 230 MB, about 12 ms a query
# on two cores, as it reads every vector). Past it, an approximate index (store/ann.py)
# proposes the chunks and scores them from its float16 copies.
EXACT_VECTORS = 150_000


class DenseIndex:
    """The dense side of one SQLiteStore: the nearest units and chunks, their vectors, and the
    index they come from (`current()`: `Exact`, `ann.Graphs`, or None when sqlite-vec is asked)."""

    def __init__(self, store: SQLiteStore):
        self._store = store
        self._in_use: tuple[str, Exact | ann.Graphs | None] | None = None  # (vectors version, index)
        self._graphs: ann.Graphs | None = None

    @property
    def _db(self):
        return self._store._db

    def _meta(self, key: str) -> str | None:
        return self._store._meta(key)

    @property
    def graphs(self) -> ann.Graphs | None:
        """This process's approximate index, when dense search uses one."""
        return self._graphs

    def forget(self) -> None:
        """Drop what this process holds in memory: the next search reloads or rebuilds it."""
        self._in_use, self._graphs = None, None

    def nearest(self, vector: np.ndarray, units: int, chunks: int) -> tuple[list[int], list[int]]:
        """The chunks owning the `units` nearest sentence units, and the `chunks` nearest chunks."""
        vector = np.asarray(vector, np.float32)
        index = self.current()
        if isinstance(index, Exact):
            return index.nearest(vector, units, chunks)
        if isinstance(index, ann.Graphs):
            near_units, near_chunks = index.nearest(vector, units, chunks)
            owner: dict[int, int] = {}
            for part in parts(near_units):
                owner.update(self._db.execute(
                    f"SELECT id, chunk_id FROM units WHERE id IN ({','.join('?' * len(part))})", part).fetchall())
            return [owner[u] for u in near_units if u in owner], near_chunks
        return self.scan(vector, units, chunks)

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, Vectors]:
        """These chunks' vectors, from the index in use (the approximate index keeps float16
        copies), else from the tables."""
        index = self.current()
        if isinstance(index, Exact):
            return index.vectors(chunk_ids)
        ids = sorted(set(chunk_ids))
        units: dict[int, list[tuple[int, int, int]]] = {}
        for part in parts(ids):
            for uid, cid, start, end in self._db.execute(
                    'SELECT id, chunk_id, start, "end" FROM units WHERE chunk_id IN '
                    f"({','.join('?' * len(part))}) ORDER BY chunk_id, id", part):
                units.setdefault(cid, []).append((uid, start, end))
        if isinstance(index, ann.Graphs):
            chunk_vecs = dict(zip(ids, index.vectors("chunks", ids)))
            flat = [u for cid in ids for u in units.get(cid, ())]
            unit_vecs = dict(zip((u[0] for u in flat), index.vectors("units", [u[0] for u in flat])))
        else:
            chunk_vecs, unit_vecs = {}, {}
            for part in parts(ids):
                q = ",".join("?" * len(part))
                chunk_vecs.update((r, np.frombuffer(e, np.float32)) for r, e in self._db.execute(
                    f"SELECT rowid, embedding FROM chunks_vec WHERE rowid IN ({q})", part))
                unit_vecs.update((r, np.frombuffer(e, np.float32)) for r, e in self._db.execute(
                    "SELECT v.rowid, v.embedding FROM units u JOIN units_vec v ON v.rowid = u.id "
                    f"WHERE u.chunk_id IN ({q})", part))
        out = {}
        for cid in ids:
            # None: written after the approximate index was brought up to date
            rows = [(s, e, v) for u, s, e in units.get(cid, ()) if (v := unit_vecs.get(u)) is not None]
            chunk = chunk_vecs.get(cid)
            if chunk is not None and rows:
                out[cid] = Vectors(chunk, np.array([(s, e) for s, e, _ in rows], np.int64),
                                   np.vstack([v for _, _, v in rows]))
        return out

    def current(self) -> Exact | ann.Graphs | None:
        """What dense search uses now: every vector in memory up to EXACT_VECTORS, else the
        approximate graphs (None without usearch: sqlite-vec is asked). Brought up to date
        when a write, from any connection, moved the vectors."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'vectors'").fetchone()
        version = row[0] if row else "0"
        with self._store._write:
            if self._in_use is not None and self._in_use[0] == version:
                return self._in_use[1]
            size = self._db.execute("SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM chunks)").fetchone()[0]
            index: Exact | ann.Graphs | None
            if size <= EXACT_VECTORS:
                rows = self._db.execute(
                    'SELECT u.chunk_id, u.start, u."end", v.embedding FROM units u '
                    "JOIN units_vec v ON v.rowid = u.id ORDER BY u.chunk_id, u.id").fetchall()
                chunks = self._db.execute("SELECT rowid, embedding FROM chunks_vec ORDER BY rowid").fetchall()
                index, self._graphs = Exact(rows, chunks), None
            else:
                try:
                    index = self._graphs = self._brought_up_to_date()
                except MissingExtra:
                    index = None
            self._in_use = (version, index)
            return index

    @property
    def folder(self) -> Path:
        return Path(f"{self._store.path}.ann")

    def _log_position(self) -> tuple[int, int]:
        """(last change written, last change trimmed away) in vector_log."""
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'vector_log'").fetchone():
            return 0, 0
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'vector_log'").fetchone()
        return (int(row[0]) if row else 0), int(self._meta("vectors_trimmed") or 0)

    def _brought_up_to_date(self) -> ann.Graphs:
        """The graphs of this process, else the saved ones, else built from every vector;
        then the changes logged since they were made."""
        epoch = self._meta("vectors_epoch") or "0"
        _, trimmed = self._log_position()
        graphs = self._graphs
        if graphs is None or graphs.epoch != epoch or graphs.seq < trimmed:
            graphs = ann.load(self.folder, epoch)
        self._db.execute("BEGIN")  # one snapshot for the log and the vectors
        try:
            last, trimmed = self._log_position()
            if graphs is None or graphs.epoch != epoch or graphs.seq < trimmed:
                row = self._db.execute("SELECT embedding FROM chunks_vec LIMIT 1").fetchone()
                graphs = ann.Graphs(len(row[0]) // 4 if row else 1, epoch, last)
                graphs.add(self.vector_batches("units"), self.vector_batches("chunks"))
            elif graphs.seq < last:
                rows = self._db.execute("SELECT chunk_id, unit_id FROM vector_log WHERE seq > ?",
                                        (graphs.seq,)).fetchall()
                changed = sorted({c for c, _ in rows})
                now = [u for part in parts(changed) for (u,) in self._db.execute(
                    f"SELECT id FROM units WHERE chunk_id IN ({','.join('?' * len(part))})", part)]
                graphs.remove(sorted({u for _, u in rows if u is not None} | set(now)), changed)
                graphs.add(self.vector_batches("units", changed), self.vector_batches("chunks", changed))
                graphs.seq = last
        finally:
            self._db.execute("COMMIT")
        return graphs

    def vector_batches(self, kind: str, chunk_ids: Sequence[int] | None = None,
                        size: int = 20_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of every unit or chunk vector, or of these chunks'."""
        sql = ("SELECT u.id, v.embedding FROM units u JOIN units_vec v ON v.rowid = u.id"
               if kind == "units" else "SELECT rowid, embedding FROM chunks_vec")
        column = "u.chunk_id" if kind == "units" else "rowid"
        for part in [None] if chunk_ids is None else parts(chunk_ids):
            cursor = (self._db.execute(sql) if part is None else
                      self._db.execute(f"{sql} WHERE {column} IN ({','.join('?' * len(part))})", part))
            while rows := cursor.fetchmany(size):
                dim = len(rows[0][1]) // 4
                yield (np.array([r[0] for r in rows], np.uint64),
                       np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, dim))

    def settle(self) -> None:
        """Save the approximate index (when search uses one) beside the store, so the next
        process loads it instead of building it, and trim the change log."""
        index = self.current()
        with self._store._write:
            last, trimmed = self._log_position()
            if isinstance(index, ann.Graphs):
                folder = self.folder
                with locked(folder):
                    saved = ann.saved_seq(folder, index.epoch)
                    if saved is None or saved < index.seq:
                        index.save(folder)
                upto = index.seq
            else:
                if isinstance(index, Exact) and self.folder.exists():
                    shutil.rmtree(self.folder, ignore_errors=True)
                upto = last
            if upto > trimmed:
                with self._store._tx() as db:
                    db.execute("DELETE FROM vector_log WHERE seq <= ?", (upto,))
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('vectors_trimmed', ?)", (str(upto),))

    def scan(self, vector: np.ndarray, units: int, chunks: int) -> tuple[list[int], list[int]]:
        """`nearest` inside SQLite (sqlite-vec scans every vector)."""
        q = blob(vector)
        near_units = [cid for (cid,) in self._db.execute(
            "SELECT u.chunk_id FROM (SELECT rowid, distance FROM units_vec WHERE embedding MATCH ? AND k = ?) n "
            "JOIN units u ON u.id = n.rowid ORDER BY n.distance", (q, int(units)))]
        near_chunks = [cid for (cid,) in self._db.execute(
            "SELECT rowid FROM chunks_vec WHERE embedding MATCH ? AND k = ? ORDER BY distance", (q, int(chunks)))]
        return near_units, near_chunks


def parts(ids: Sequence[int], size: int = 500) -> list[list[int]]:
    """`ids` in slices small enough for one IN (...) list."""
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


def blob(vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


@contextmanager
def locked(folder: Path):
    """One process at a time saves the approximate index."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)



class Exact:
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

    def nearest(self, vector: np.ndarray, units: int, chunks: int) -> tuple[list[int], list[int]]:
        if not len(self.chunk_ids):
            return [], []
        unit_sim = self.units @ vector
        chunk_sim = self.chunks @ vector
        near_units = top(unit_sim, units)
        near_chunks = top(chunk_sim, chunks)
        near_units = near_units[np.argsort(-unit_sim[near_units], kind="stable")]
        near_chunks = near_chunks[np.argsort(-chunk_sim[near_chunks], kind="stable")]
        return self.unit_chunk[near_units].tolist(), self.chunk_ids[near_chunks].tolist()

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, Vectors]:
        out = {}
        for cid in chunk_ids:
            row = int(np.searchsorted(self.chunk_ids, cid))
            if row < len(self.chunk_ids) and self.chunk_ids[row] == cid:
                a, b = self.first[row], self.last[row]
                if a < b:
                    out[int(cid)] = Vectors(self.chunks[row], self.spans[a:b], self.units[a:b])
        return out



def top(scores: np.ndarray, n: int) -> np.ndarray:
    if n >= len(scores):
        return np.arange(len(scores))
    return np.argpartition(-scores, n)[:n]
