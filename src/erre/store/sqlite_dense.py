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
from . import DenseHit, ann

if TYPE_CHECKING:
    from .sqlite import SQLiteStore

# Up to this many vectors (sentence units and chunks together), dense search is exact, by one
# matrix product in memory (384 floats each: 1.5 KB; 150,000 = 230 MB, about 12 ms a query
# on two cores, as it reads every vector). Past it, an approximate index (store/ann.py)
# proposes the chunks and scores them from its float16 copies.
EXACT_VECTORS = 150_000


class DenseIndex:
    """The dense side of one SQLiteStore: `search`, and the index it uses (`current()`:
    `Exact`, `ann.Graphs`, or None when sqlite-vec is asked)."""

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

    def search(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """Chunks near `vector` by their own vector or by one of their sentence units."""
        vector = np.asarray(vector, np.float32)
        index = self.current()
        if isinstance(index, Exact):
            return index.search(vector, k)
        if isinstance(index, ann.Graphs):
            return self._score(index, vector, k)
        return self.scan(vector, k)

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

    def _score(self, graphs: ann.Graphs, vector: np.ndarray, k: int) -> list[DenseHit]:
        """The chunks owning one of the 4k nearest units, or among the k nearest by their own
        vector (as exact search), each scored by its own vector and its best unit."""
        near_units, near_chunks = graphs.nearest(vector, k)
        chunk_ids = set(near_chunks)
        for part in parts(near_units):
            chunk_ids.update(c for (c,) in self._db.execute(
                f"SELECT DISTINCT chunk_id FROM units WHERE id IN ({','.join('?' * len(part))})", part))
        ids = sorted(chunk_ids)
        units = [r for part in parts(ids) for r in self._db.execute(
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

    def scan(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """search_dense inside SQLite (sqlite-vec scans every vector)."""
        q = blob(vector)
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

    def search(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """The same hits as the SQL path: chunks whose best units are among the 4k nearest
        units, or whose own vector is among the k nearest; each with its best unit."""
        if not len(self.chunk_ids):
            return []
        unit_sim = self.units @ vector
        chunk_sim = self.chunks @ vector
        near_units = top(unit_sim, 4 * k)
        owners = np.searchsorted(self.chunk_ids, self.unit_chunk[near_units])
        owners = owners[owners < len(self.chunk_ids)]
        rows = set(owners.tolist()) | set(top(chunk_sim, k).tolist())
        hits = []
        for row in rows:
            a, b = self.first[row], self.last[row]
            if a == b:
                continue
            best = a + int(np.argmax(unit_sim[a:b]))
            hits.append(DenseHit(int(self.chunk_ids[row]), float(chunk_sim[row]), float(unit_sim[best]),
                                 (int(self.spans[best, 0]), int(self.spans[best, 1]))))
        return hits



def top(scores: np.ndarray, n: int) -> np.ndarray:
    if n >= len(scores):
        return np.arange(len(scores))
    return np.argpartition(-scores, n)[:n]
