"""Synthetic scale test of the stores: insert time, size on disk, search p50/p95.

    python bench/scale.py --chunks 100000                    # SQLite
    python bench/scale.py --chunks 100000 --store postgres   # PostgreSQL + pgvector (pgserver)
    python bench/scale.py --chunks 1000000 --units 1

Chunks are made of generated text (words drawn from a Zipf law over a 50,000-word
vocabulary, about 60 words each) and synthetic unit vectors (384 dimensions, e5's), with
`--units` sentence vectors per chunk (real corpora have about 10: the Paul Graham essays
give 3,417 chunks and 32,715 sentences). Vectors are clustered as texts are: each chunk
belongs to one of 2,000 topics (its vector is the topic's plus noise) and its sentences
vary around the chunk. Files of 100 chunks are written through the `Store` protocol, as
ingest writes them; then `settle()` runs, as at the end of an ingest (on SQLite past
150,000 vectors it builds and saves the approximate index).

Searches: the dense side (chunks and their units; the query is a stored sentence plus
noise), the lexical side (BM25 over stems) with 3-word queries of content words (ranks 100
to 5,000; the most frequent ones are stop words in a real index), each timed alone; p50/p95
over `--queries` searches after one warm-up. Dense recall@10: the share of the 10 chunks
with the nearest sentences (exact, numpy over every vector) that the search returned;
the exact numpy search itself is timed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384


def words(rng: np.random.Generator, vocab: list[str], n: int) -> list[str]:
    ranks = np.minimum(rng.zipf(1.15, n), len(vocab)) - 1
    return [vocab[i] for i in ranks]


TOPICS = 2_000


def unit_rows(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)


def make_file(rng, vocab, topics, f: int, per_file: int, units: int):
    from erre.documents import Chunk, Document
    from erre.store import ChunkVectors, Indexed

    texts, chunks, terms, vectors = [], [], [], []
    pos = 0
    source = f"synthetic/{f:07d}.md"
    for c in range(per_file):
        text = " ".join(words(rng, vocab, 60))
        chunk = Chunk(source=source, title=f"Doc {f}", text=text, start=pos, end=pos + len(text),
                      language="it", tokens=90, ordinal=c)
        pos += len(text) + 2
        texts.append(text)
        chunks.append(chunk)
        terms.append(text)  # the words are already "stems"
        own = unit_rows(topics[rng.integers(len(topics))] + 0.8 * rng.standard_normal(DIM) / np.sqrt(DIM))
        v = np.vstack([own, unit_rows(own + 0.6 * rng.standard_normal((units, DIM)) / np.sqrt(DIM))])
        step = max(1, len(text) // units)
        spans = [(chunk.start + i * step, chunk.start + min(len(text), (i + 1) * step), f"{f}-{c}-{i}")
                 for i in range(units)]
        vectors.append(ChunkVectors(v[0], spans, v[1:]))
    doc = Document(source=source, title=f"Doc {f}", text="\n\n".join(texts), blocks=(), language="it")
    return Indexed(doc, chunks, terms, vectors)


def store_ids(store) -> list[tuple[int]]:
    """Every chunk id, in the order the chunks were written."""
    db = getattr(store, "_db", None)
    if db is not None:
        return db.execute("SELECT id FROM chunks ORDER BY id").fetchall()
    with store._conn() as conn:
        return conn.execute("SELECT id FROM chunks ORDER BY id").fetchall()


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--units", type=int, default=10, help="sentence vectors per chunk")
    ap.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--dir", help="where the store goes (default: a temporary directory)")
    args = ap.parse_args()

    from erre import retrieve
    from erre import twin as twin_mod

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" + "abcdefghij"[i % 10] * (1 + i % 5) for i in range(50_000)]
    where = Path(args.dir or tempfile.mkdtemp(prefix="erre-scale-"))
    where.mkdir(parents=True, exist_ok=True)
    server = None
    if args.store == "postgres":
        import pgserver

        server = pgserver.get_server(where / "pg", cleanup_mode="stop")
        store = twin_mod.open_store(server.get_uri())
        size = lambda: dir_size(where / "pg")  # noqa: E731
    else:
        store = twin_mod.open_store(where / "index.db")
        size = lambda: dir_size(where)  # noqa: E731
    store.reset_vectors("synthetic", DIM)
    store.finish_vectors("synthetic", DIM)
    topics = unit_rows(rng.standard_normal((TOPICS, DIM)))
    per_file = 100
    t0 = time.perf_counter()
    files = args.chunks // per_file
    unit_vectors: list[np.ndarray] = []  # kept for the exact reference
    for f in range(files):
        indexed = make_file(rng, vocab, topics, f, per_file, args.units)
        store.write_file(f"/synthetic/{f:07d}.md", "/synthetic", f"h{f}", [indexed])
        unit_vectors.extend(v.unit_vectors for v in indexed.vectors)
        if f and f % max(1, files // 10) == 0:
            print(f"  {f * per_file:,} chunks, {time.perf_counter() - t0:.0f} s", flush=True)
    insert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.settle()
    settle_s = time.perf_counter() - t0
    out: dict = {"store": args.store, "chunks": files * per_file, "units": files * per_file * args.units,
                 "insert_s": round(insert_s, 1), "settle_s": round(settle_s, 1), "size_mb": round(size() / 1e6, 1)}

    def timed(fn, n):
        fn(0)
        times = []
        for i in range(1, n + 1):
            t = time.perf_counter()
            fn(i)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * (len(times) - 1) + 0.5))]
        return round(statistics.median(times), 1), round(p95, 1)

    units = np.vstack(unit_vectors)
    del unit_vectors
    picked = units[rng.integers(len(units), size=args.queries + 1)]
    qv = unit_rows(picked + 0.6 * rng.standard_normal(picked.shape) / np.sqrt(DIM))
    t0 = time.perf_counter()
    retrieve.dense(store, qv[0], 40)
    out["first_search_s"] = round(time.perf_counter() - t0, 2)  # loads the index
    graphs = getattr(store, "_graphs", None)
    if graphs is not None:  # SQLite's approximate index, in this process's memory
        out["ann_mb"] = round((graphs.units.memory_usage + graphs.chunks.memory_usage) / 1e6, 1)
    out["dense_p50_ms"], out["dense_p95_ms"] = timed(lambda i: retrieve.dense(store, qv[i], 40), args.queries)
    # the exact reference: every sentence vector in one matrix, the 10 chunks with the nearest
    owner = np.repeat(np.array([c for (c,) in store_ids(store)]), args.units)
    recalls = []

    def exact(i):
        sims = units @ qv[i]
        near = np.argpartition(-sims, 10 * args.units)[: 10 * args.units]  # holds the 10 best chunks
        order = near[np.argsort(-sims[near])]
        best: list[int] = []
        for o in owner[order].tolist():
            if o not in best:
                best.append(o)
            if len(best) == 10:
                break
        return best

    out["exact_p50_ms"], out["exact_p95_ms"] = timed(exact, args.queries)
    for i in range(1, args.queries + 1):
        got = {h.id for h in retrieve.dense(store, qv[i], 40)}
        recalls.append(len(set(exact(i)) & got) / 10)
    out["dense_recall_at_10"] = round(float(np.mean(recalls)), 3)
    # content words: the most frequent ranks are what stop-word lists remove from real queries
    qs = [[vocab[i] for i in rng.integers(100, 5000, 3)] for _ in range(args.queries + 1)]
    out["lexical_p50_ms"], out["lexical_p95_ms"] = timed(lambda i: store.search_lexical(qs[i], 40), args.queries)
    store.close()
    if server is not None:
        server.cleanup()
    print(json.dumps(out))
    if not args.dir:
        import shutil

        shutil.rmtree(where, ignore_errors=True)
    else:
        print(f"kept in {where}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    main()
