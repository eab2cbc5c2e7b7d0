"""The scale-out store: PostgreSQL with pgvector, for a twin served by several workers.

The same protocol as the SQLite store, on a database server that several `erre serve`
processes share, conversations included:

- vectors in pgvector columns with HNSW indexes (cosine distance), giving the nearest
  sentence units and chunks and their vectors; retrieve.py scores them, as for SQLite;
- lexical search with PostgreSQL's full-text search (a GIN index over a tsvector). The
  language analysis is erre's own (`language.terms`: the Snowball stemmers and stop words of
  each language, the same family PostgreSQL's `italian` and `english` configurations use),
  stored as stems with the `simple` configuration, so both backends index identical terms
  and a twin moved from one to the other finds the same passages;
- a versioned schema: migrations run when a store opens, under an advisory lock, so workers
  starting together do not race;
- a connection pool: each call borrows a connection, and every write is one transaction;
- the conversation log in the SQL store/log.py writes for both backends.

The password never goes in the URL (erre.toml is not a place for secrets): libpq reads it
from PGPASSWORD or ~/.pgpass.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ..documents import Chunk, Document
from ..errors import ConfigError, ErreError, MissingExtra
from . import ChunkVectors, FileRecord, Indexed, Vectors
from .log import ConversationSQL
from .log import now as log_now

# one entry per schema version; a new version appends, never edits, an entry
MIGRATIONS = [
    """
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE files(
        id bigserial PRIMARY KEY, path text NOT NULL UNIQUE, root text NOT NULL, hash text NOT NULL,
        ingested_at text NOT NULL);
    CREATE TABLE documents(
        id bigserial PRIMARY KEY, file_id bigint NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        source text NOT NULL, title text NOT NULL, date text, url text, tags text NOT NULL,
        language text, format text NOT NULL, hash text NOT NULL, text text NOT NULL);
    CREATE INDEX documents_file ON documents(file_id);
    CREATE INDEX documents_source ON documents(source);
    CREATE TABLE chunks(
        id bigserial PRIMARY KEY,
        document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        key text NOT NULL, ordinal integer NOT NULL, text text NOT NULL, heading text NOT NULL,
        page integer, start integer NOT NULL, "end" integer NOT NULL, tokens integer NOT NULL,
        text_hash text NOT NULL, terms tsvector NOT NULL, n_terms integer NOT NULL, embedding vector);
    CREATE INDEX chunks_document ON chunks(document_id);
    CREATE INDEX chunks_terms ON chunks USING gin(terms);
    CREATE TABLE units(
        id bigserial PRIMARY KEY, chunk_id bigint NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
        start integer NOT NULL, "end" integer NOT NULL, text_hash text NOT NULL, embedding vector NOT NULL);
    CREATE INDEX units_chunk ON units(chunk_id);
    CREATE TABLE conversations(
        id text PRIMARY KEY, seq bigserial, title text NOT NULL, channel text NOT NULL, owner text,
        created text NOT NULL, updated text NOT NULL);
    CREATE INDEX conversations_owner ON conversations(owner, updated);
    CREATE TABLE turns(
        id bigserial PRIMARY KEY,
        conversation_id text NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role text NOT NULL, content text NOT NULL, citations text NOT NULL, abstained boolean NOT NULL,
        created text NOT NULL);
    CREATE INDEX turns_conversation ON turns(conversation_id, id);
    """,
]

_LOCK = 0x65727265  # "erre": the advisory lock migrations run under
BM25_K1, BM25_B = 1.2, 0.75
HNSW_EF_SEARCH = 40  # pgvector's default; raised per query when more neighbours are asked


def _modules():
    try:
        import psycopg
        from pgvector.psycopg import register_vector
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise MissingExtra("the PostgreSQL store", "'erre[postgres]'") from None
    return psycopg, register_vector, ConnectionPool


def check_url(url: str) -> None:
    """Refuse a URL that carries a password: secrets come from the environment."""
    psycopg, _, _ = _modules()
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as e:
        raise ConfigError(f"The store URL is not a PostgreSQL connection string: {e}") from None
    if params.get("password"):
        raise ConfigError("The store URL holds a password. Remove it and put it in the PGPASSWORD "
                          "environment variable (or ~/.pgpass) instead.")


def redact(url: str) -> str:
    """The URL without a password, for messages and stats."""
    try:
        psycopg, _, _ = _modules()
        params = psycopg.conninfo.conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - a message must never fail
        return "postgresql://…"
    params.pop("password", None)
    return psycopg.conninfo.make_conninfo(**params)


class PostgresStore(ConversationSQL):
    _MARK, _ORDER = "%s", "c.seq"

    def __init__(self, url: str, *, pool_size: int = 8, timeout: float = 30.0):
        psycopg, register_vector, ConnectionPool = _modules()
        check_url(url)
        self.url = url
        self._psycopg = psycopg
        self._languages: tuple[str, dict[str, int]] | None = None
        self._counts: tuple[str, tuple[int, float]] | None = None
        try:
            with psycopg.connect(url, connect_timeout=int(timeout)) as conn:
                self._migrate(conn)
        except psycopg.OperationalError as e:
            raise ErreError(f"Cannot reach the PostgreSQL store at {redact(url)}: {str(e).strip()}. "
                            "Is the server running, and is PGPASSWORD set?") from None

        def configure(conn) -> None:
            register_vector(conn)

        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, timeout=timeout, configure=configure,
                                    open=True, kwargs={"connect_timeout": int(timeout)})

    @staticmethod
    def _migrate(conn) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS erre_schema(version integer NOT NULL)")
            row = conn.execute("SELECT max(version) FROM erre_schema").fetchone()
            version = row[0] or 0
            if version > len(MIGRATIONS):
                raise ErreError(f"The store's schema is version {version}, newer than this erre "
                                f"({len(MIGRATIONS)}). Upgrade erre.")
            for n, sql in enumerate(MIGRATIONS[version:], start=version + 1):
                conn.execute(sql)
                conn.execute("INSERT INTO erre_schema VALUES (%s)", (n,))

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _conn(self):
        """A connection for one transaction: committed when the block ends, rolled back on error."""
        try:
            with self._pool.connection() as conn:
                yield conn
        except self._psycopg.OperationalError as e:
            raise ErreError(f"The PostgreSQL store at {redact(self.url)} failed: {str(e).strip()}") from None

    def _tx(self):
        return self._conn()

    def _read(self):
        return self._conn()

    @staticmethod
    def _text(text: str) -> str:
        return _clean(text)

    def _bump(self, conn) -> None:
        # a generation number that moves with every change of the index (caches compare it)
        conn.execute("INSERT INTO meta VALUES ('generation', '1') ON CONFLICT (key) "
                     "DO UPDATE SET value = (meta.value::bigint + 1)::text")

    @staticmethod
    def _meta(conn, key: str) -> str | None:
        row = conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else None

    # -- sync ---------------------------------------------------------------
    def files(self, root: str | None = None) -> list[FileRecord]:
        sql = "SELECT f.path, f.root, f.hash, count(d.id) FROM files f LEFT JOIN documents d ON d.file_id = f.id"
        args: tuple = ()
        if root is not None:
            sql, args = sql + " WHERE f.root = %s", (root,)
        with self._conn() as conn:
            rows = conn.execute(sql + " GROUP BY f.id ORDER BY f.path", args).fetchall()
        return [FileRecord(*r) for r in rows]

    def file(self, path: str) -> FileRecord | None:
        with self._conn() as conn:
            row = conn.execute("SELECT f.path, f.root, f.hash, (SELECT count(*) FROM documents WHERE file_id = f.id) "
                               "FROM files f WHERE f.path = %s", (path,)).fetchone()
        return FileRecord(*row) if row else None

    def document_hashes(self, path: str) -> dict[str, str]:
        with self._conn() as conn:
            return dict(conn.execute("SELECT d.source, d.hash FROM documents d JOIN files f ON f.id = d.file_id "
                                     "WHERE f.path = %s", (path,)).fetchall())

    def vectors_by_text(self, path: str) -> dict[str, bytes]:
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT u.text_hash, u.embedding FROM units u JOIN chunks c ON c.id = u.chunk_id "
                "JOIN documents d ON d.id = c.document_id JOIN files f ON f.id = d.file_id WHERE f.path = %s",
                (path,)).fetchall()
        return {h: _array(v).tobytes() for h, v in rows}

    def write_file(self, path: str, root: str, hash: str, documents: Sequence[Indexed],
                   keep: Iterable[str] = ()) -> None:
        """Make the file's documents exactly `keep` (unchanged, left as they are) plus `documents`."""
        keep = set(keep)
        now = log_now()
        with self._conn() as conn:
            row = conn.execute("SELECT id FROM files WHERE path = %s FOR UPDATE", (path,)).fetchone()
            if row:
                file_id = row[0]
                conn.execute("UPDATE files SET root = %s, hash = %s, ingested_at = %s WHERE id = %s",
                             (root, hash, now, file_id))
                stale = [r[0] for r in conn.execute("SELECT id, source FROM documents WHERE file_id = %s",
                                                    (file_id,)).fetchall() if r[1] not in keep]
                if stale:
                    conn.execute("DELETE FROM documents WHERE id = ANY(%s)", (stale,))
            else:
                file_id = conn.execute("INSERT INTO files(path, root, hash, ingested_at) VALUES (%s,%s,%s,%s) "
                                       "RETURNING id", (path, root, hash, now)).fetchone()[0]
            for item in documents:
                self._insert(conn, file_id, item)
            self._bump(conn)

    def _insert(self, conn, file_id: int, item: Indexed) -> None:
        d = item.document
        if len(item.vectors) != len(item.chunks) or len(item.terms) != len(item.chunks):
            raise ValueError("one vector and one term string per chunk")
        doc_id = conn.execute(
            "INSERT INTO documents(file_id, source, title, date, url, tags, language, format, hash, text) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
            (file_id, d.source, d.title, d.date, d.url, json.dumps(list(d.tags), ensure_ascii=False),
             d.language, d.format, item.document_hash, _clean(d.text))).fetchone()[0]
        for c, terms, vec in zip(item.chunks, item.terms, item.vectors):
            cid = conn.execute(
                'INSERT INTO chunks(document_id, key, ordinal, text, heading, page, start, "end", tokens, '
                "text_hash, terms, n_terms, embedding) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,"
                "to_tsvector('simple', %s),%s,%s) RETURNING id",
                (doc_id, c.key, c.ordinal, _clean(c.text), json.dumps(list(c.heading), ensure_ascii=False), c.page,
                 c.start, c.end, c.tokens, c.context_hash, _clean(terms), len(terms.split()),
                 _vector(vec.chunk))).fetchone()[0]
            self._write_units(conn, cid, vec)

    @staticmethod
    def _write_units(conn, cid: int, vec: ChunkVectors) -> None:
        with conn.cursor() as cur:
            cur.executemany('INSERT INTO units(chunk_id, start, "end", text_hash, embedding) VALUES (%s,%s,%s,%s,%s)',
                            [(cid, a, b, h, _vector(v)) for (a, b, h), v in zip(vec.units, vec.unit_vectors)])

    def delete_file(self, path: str) -> None:
        with self._conn() as conn:
            if conn.execute("DELETE FROM files WHERE path = %s", (path,)).rowcount:
                self._bump(conn)

    def export_file(self, path: str) -> list[Indexed]:
        out = []
        with self._conn() as conn:
            docs = conn.execute(
                "SELECT d.id, d.source, d.title, d.date, d.url, d.tags, d.language, d.format, d.hash, d.text "
                "FROM documents d JOIN files f ON f.id = d.file_id WHERE f.path = %s ORDER BY d.id", (path,)).fetchall()
            for doc_id, source, title, date, url, tags, lang, fmt, h, text in docs:
                doc = Document(source=source, title=title, text=text, blocks=(), date=date, url=url,
                               tags=tuple(json.loads(tags)), language=lang, format=fmt)
                rows = conn.execute("SELECT id, embedding FROM chunks WHERE document_id = %s ORDER BY ordinal, id",
                                    (doc_id,)).fetchall()
                ids = [r[0] for r in rows]
                chunks = self._chunks(conn, ids)
                vecs = []
                for cid, emb in rows:
                    if emb is None:
                        raise ErreError(f"{path} has chunks without vectors: finish the ingest (erre ingest) first")
                    units = conn.execute('SELECT start, "end", text_hash, embedding FROM units WHERE chunk_id = %s '
                                         "ORDER BY id", (cid,)).fetchall()
                    vecs.append(ChunkVectors(_array(emb), [(a, b, t) for a, b, t, _ in units],
                                             np.array([_array(u[3]) for u in units])))
                out.append(Indexed(doc, [chunks[i] for i in ids], [], vecs, hash=h))
        return out

    # -- embeddings ---------------------------------------------------------
    def embedder(self) -> tuple[str, int] | None:
        with self._conn() as conn:
            name, dim = self._meta(conn, "embedder"), self._meta(conn, "dim")
        return (name, int(dim)) if name is not None and dim is not None else None

    def reset_vectors(self, name: str, dim: int) -> None:
        """Drop every vector and prepare for `dim`-sized ones from embedder `name`."""
        dim = int(dim)
        with self._conn() as conn:
            conn.execute("DROP INDEX IF EXISTS chunks_embedding")
            conn.execute("DROP INDEX IF EXISTS units_embedding")
            conn.execute("DELETE FROM units")
            conn.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({dim}) USING NULL")
            conn.execute(f"ALTER TABLE units ALTER COLUMN embedding TYPE vector({dim}) USING NULL")
            # the HNSW indexes come back in settle(), built once over every new vector: far
            # faster than keeping them up to date row by row while a whole corpus arrives
            conn.execute("DELETE FROM meta WHERE key IN ('embedder', 'dim')")
            conn.execute("INSERT INTO meta VALUES ('embedder_pending', %s) ON CONFLICT (key) DO UPDATE "
                         "SET value = excluded.value", (name,))
            self._bump(conn)

    def chunk_texts(self, batch: int = 256) -> Iterator[list[tuple[int, Chunk]]]:
        last = 0
        while True:
            with self._conn() as conn:
                ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE id > %s ORDER BY id LIMIT %s",
                                                  (last, batch)).fetchall()]
                got = self._chunks(conn, ids)
            if not ids:
                return
            yield [(i, got[i]) for i in ids]
            last = ids[-1]

    def set_vectors(self, items: Sequence[tuple[int, ChunkVectors]]) -> None:
        with self._conn() as conn:
            for cid, vec in items:
                conn.execute("DELETE FROM units WHERE chunk_id = %s", (cid,))
                conn.execute("UPDATE chunks SET embedding = %s WHERE id = %s", (_vector(vec.chunk), cid))
                self._write_units(conn, cid, vec)
            self._bump(conn)

    def finish_vectors(self, name: str, dim: int) -> None:
        with self._conn() as conn:
            for key, value in (("embedder", name), ("dim", str(int(dim)))):
                conn.execute("INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (key, value))
            conn.execute("DELETE FROM meta WHERE key = 'embedder_pending'")
            self._bump(conn)

    def settle(self) -> None:
        """Build the HNSW indexes that reset_vectors dropped (HNSW with pgvector's defaults,
        m 16 and ef_construction 64: about 2.5 ms for the 10 nearest of 100k vectors at recall
        0.95). Once they exist they follow every write, and this does nothing."""
        with self._conn() as conn:
            missing = {"chunks_embedding", "units_embedding"} - {r[0] for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexname IN ('chunks_embedding', 'units_embedding')")}
            if not missing:
                return
            # the graph is built in memory when it fits (pgvector warns and slows down otherwise)
            conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
            for table in ("chunks", "units"):
                if f"{table}_embedding" in missing:
                    conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_embedding ON {table} "
                                 "USING hnsw (embedding vector_cosine_ops)")

    # -- search -------------------------------------------------------------
    def nearest(self, vector: np.ndarray, units: int, chunks: int) -> tuple[list[int], list[int]]:
        """pgvector's HNSW indexes (after settle()), else an exact scan."""
        q = _vector(vector)
        with self._conn() as conn:
            if self._meta(conn, "dim") is None:
                return [], []
            # HNSW returns at most ef_search rows: ask for as many as are wanted
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(HNSW_EF_SEARCH, int(units), int(chunks))}")
            near_units = [r[0] for r in conn.execute(
                "SELECT chunk_id FROM units ORDER BY embedding <=> %s LIMIT %s", (q, int(units))).fetchall()]
            near_chunks = [r[0] for r in conn.execute(
                "SELECT id FROM chunks WHERE embedding IS NOT NULL ORDER BY embedding <=> %s LIMIT %s",
                (q, int(chunks))).fetchall()]
        return near_units, near_chunks

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, Vectors]:
        if not chunk_ids:
            return {}
        units: dict[int, list[tuple[int, int, np.ndarray]]] = {}
        with self._conn() as conn:
            for cid, start, end, v in conn.execute(
                    'SELECT chunk_id, start, "end", embedding FROM units WHERE chunk_id = ANY(%s) '
                    "ORDER BY chunk_id, id", (list(chunk_ids),)).fetchall():
                units.setdefault(cid, []).append((start, end, _array(v)))
            chunks = conn.execute("SELECT id, embedding FROM chunks WHERE id = ANY(%s) AND embedding IS NOT NULL",
                                  (list(chunk_ids),)).fetchall()
        return {cid: Vectors(_array(v), np.array([(a, b) for a, b, _ in units[cid]], np.int64),
                             np.vstack([u for _, _, u in units[cid]]))
                for cid, v in chunks if units.get(cid)}

    def search_lexical(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """BM25 (k1 1.2, b 0.75, the IDF of SQLite's FTS5), so that both backends rank alike;
        the GIN index finds the chunks holding any of the terms."""
        terms = [_clean(t) for t in terms if t and t.strip()]
        if not terms:
            return []
        with self._conn() as conn:
            total, average = self._lengths(conn)
            # the lexemes exactly as the index holds them (the simple parser may split a term)
            words = list(dict.fromkeys(w for (w,) in conn.execute(
                "SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('simple', t))) FROM unnest(%s::text[]) t",
                (terms,)).fetchall()))
            if not words:
                return []
            found = conn.execute("SELECT (SELECT count(*) FROM chunks WHERE terms @@ q::tsquery) "
                                 "FROM unnest(%s::text[]) WITH ORDINALITY AS x(q, n) ORDER BY n",
                                 ([_lexeme(w) for w in words],)).fetchall()
            idf = [max(math.log((total - df + 0.5) / (df + 0.5)), 1e-6) for (df,) in found]
            query = " | ".join(_lexeme(w) for w in words)
            rows = conn.execute(
                "WITH q(word, idf) AS (SELECT * FROM unnest(%s::text[], %s::float8[])) "
                "SELECT c.id, sum(q.idf * u.tf * %s / (u.tf + %s * (1 - %s + %s * c.n_terms / %s))) AS score "
                "FROM chunks c CROSS JOIN LATERAL (SELECT lexeme, coalesce(array_length(positions, 1), 1) AS tf "
                "FROM unnest(c.terms)) u JOIN q ON q.word = u.lexeme "
                "WHERE c.terms @@ %s::tsquery GROUP BY c.id ORDER BY score DESC, c.id LIMIT %s",
                (words, idf, BM25_K1 + 1, BM25_K1, BM25_B, BM25_B, average, query, int(k))).fetchall()
        return [(r[0], float(r[1])) for r in rows]

    def _lengths(self, conn) -> tuple[int, float]:
        """Chunks and their mean length in terms, cached until the index changes."""
        generation = self._meta(conn, "generation") or "0"
        if self._counts is None or self._counts[0] != generation:
            n, avg = conn.execute("SELECT count(*), coalesce(avg(n_terms), 1) FROM chunks").fetchone()
            self._counts = (generation, (int(n), max(float(avg), 1.0)))
        return self._counts[1]

    def chunks(self, ids: Sequence[int]) -> dict[int, Chunk]:
        with self._conn() as conn:
            return self._chunks(conn, ids)

    @staticmethod
    def _chunks(conn, ids: Sequence[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        rows = conn.execute(
            'SELECT c.id, d.source, d.title, c.text, c.start, c."end", c.heading, c.page, d.date, d.url, '
            "d.language, c.tokens, c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE c.id = ANY(%s)", (list(ids),)).fetchall()
        return {r[0]: Chunk(source=r[1], title=r[2], text=r[3], start=r[4], end=r[5], heading=tuple(json.loads(r[6])),
                            page=r[7], date=r[8], url=r[9], language=r[10], tokens=r[11], ordinal=r[12])
                for r in rows}

    def documents(self) -> Iterator[tuple[str, str, str | None, str]]:
        """(source, title, language, text) of every document, in source order."""
        with self._conn() as conn:
            rows = conn.execute("SELECT source, title, language, text FROM documents ORDER BY source, id").fetchall()
        yield from rows

    def document(self, source: str) -> tuple[str, str | None, str] | None:
        with self._conn() as conn:
            row = conn.execute("SELECT title, url, text FROM documents WHERE source = %s ORDER BY id LIMIT 1",
                               (source,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def languages(self) -> dict[str, int]:
        """Chunks per language; asked on every search, so cached until the index changes
        (any worker's write moves the generation number)."""
        with self._conn() as conn:
            generation = self._meta(conn, "generation") or "0"
            if self._languages is None or self._languages[0] != generation:
                rows = conn.execute("SELECT coalesce(d.language, 'und'), count(*) FROM chunks c "
                                    "JOIN documents d ON d.id = c.document_id GROUP BY 1 ORDER BY 2 DESC").fetchall()
                self._languages = (generation, dict(rows))
        return dict(self._languages[1])

    def dates(self) -> tuple[str | None, str | None]:
        with self._conn() as conn:
            row = conn.execute(
            "SELECT min(date), max(date) FROM documents WHERE date IS NOT NULL AND date <> ''").fetchone()
        return (row[0], row[1]) if row else (None, None)

    def document_dates(self) -> dict[str, str | None]:
        with self._conn() as conn:
            rows = conn.execute("SELECT source, date FROM documents ORDER BY source").fetchall()
        return {s: d or None for s, d in rows}

    def stats(self) -> dict:
        with self._conn() as conn:
            one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
            stats = {
                "files": one("SELECT count(*) FROM files"),
                "documents": one("SELECT count(*) FROM documents"),
                "undated": one("SELECT count(*) FROM documents WHERE date IS NULL OR date = ''"),
                "chunks": one("SELECT count(*) FROM chunks"),
                "units": one("SELECT count(*) FROM units"),
                "tokens": int(one("SELECT coalesce(sum(tokens), 0) FROM chunks")),
                "roots": dict(conn.execute("SELECT root, count(*) FROM files GROUP BY root ORDER BY root").fetchall()),
                "formats": dict(conn.execute("SELECT format, count(*) FROM documents GROUP BY 1 "
                                             "ORDER BY 2 DESC").fetchall()),
                "last_ingest": one("SELECT max(ingested_at) FROM files"),
                "size_bytes": int(one("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
                                      "current_schema() AND c.relkind = 'r'") or 0),
            }
        emb = self.embedder()
        return {**stats, "dates": list(self.dates()), "languages": self.languages(),
                "embedder": emb[0] if emb else None, "dim": emb[1] if emb else None, "path": redact(self.url)}



def _vector(v) -> np.ndarray:
    return np.ascontiguousarray(v, dtype=np.float32)


def _lexeme(word: str) -> str:
    """A word as a quoted tsquery lexeme: quotes and backslashes inside are escaped, so no
    character of a question can become query syntax."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _array(v) -> np.ndarray:
    """A vector read back (pgvector's Vector, or a list) as float32."""
    return np.asarray(v.to_numpy() if hasattr(v, "to_numpy") else v, dtype=np.float32)


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL characters (SQLite can): each becomes U+FFFD, one
    character for one, so offsets into the text stay right."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
