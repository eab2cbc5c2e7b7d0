"""The approximate index of the SQLite store: same hits as exact search on a small corpus,
kept up to date from the change log across connections, saved beside the store."""

from __future__ import annotations

import pytest

from erre import retrieve, sync
from erre.config import Settings
from erre.store import sqlite_dense
from erre.store.sqlite import SQLiteStore

from .conftest import SAMPLE

QUESTIONS = ("Perché scrivi ancora a mano?", "How many times do you read a book?", "biblioteca",
             "la penna stilografica del nonno")


def _log(store: SQLiteStore) -> int:
    return store._db.execute("SELECT count(*) FROM vector_log").fetchone()[0]


def _hits(store: SQLiteStore, vector, k: int = 5) -> dict[int, tuple]:
    return {h.id: (round(h.chunk, 5), round(h.unit, 5), h.span) for h in retrieve.dense(store, vector, k)}


@pytest.fixture
def twin_files(e5, tmp_path):
    store = SQLiteStore(tmp_path / "index.db")
    sync.run(store, e5, [str(SAMPLE)], Settings())
    yield store
    store.close()


def test_small_twins_search_exactly_and_keep_no_log(twin_files, e5):
    assert isinstance(twin_files.dense.current(), sqlite_dense.Exact)
    assert _log(twin_files) == 0  # settled at the end of the ingest
    assert not twin_files.dense.folder.exists()


def test_approximate_search_finds_what_exact_search_finds(twin_files, e5, monkeypatch):
    vectors = [e5.queries([q])[0] for q in QUESTIONS]
    exact = [_hits(twin_files, v) for v in vectors]
    monkeypatch.setattr(sqlite_dense, "EXACT_VECTORS", 0)
    approx = SQLiteStore(twin_files.path)
    assert approx.dense.current().__class__.__name__ == "Graphs"
    for v, want in zip(vectors, exact):
        got = _hits(approx, v)
        best = lambda hits: sorted(hits, key=lambda i: -hits[i][1])[:3]  # noqa: E731
        assert best(got) == best(want)
        for cid in set(got) & set(want):  # scored from float16 copies: the same to 1e-3
            assert got[cid][2] == want[cid][2]
            assert got[cid][:2] == pytest.approx(want[cid][:2], abs=1e-3)
    approx.close()


def test_the_index_follows_other_connections_and_is_saved(twin_files, e5, tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_dense, "EXACT_VECTORS", 0)
    reader = SQLiteStore(twin_files.path)
    pen = e5.queries(["la penna stilografica del nonno"])[0]
    before = set(_hits(reader, pen, 3))
    graphs = reader.dense.graphs
    assert graphs is not None and graphs.seq > 0

    # another connection adds a file; the reader replays the log on its graphs
    (tmp_path / "nuova").mkdir()
    page = tmp_path / "nuova" / "penna.md"
    page.write_text("# La penna\n\nLa penna stilografica del nonno scrive ancora, dopo cinquant'anni.\n",
                    encoding="utf-8")
    writer = SQLiteStore(twin_files.path)
    writer.dense.forget()
    sync.run(writer, e5, [str(tmp_path / "nuova")], Settings())  # settles: saves and trims
    assert _log(writer) == 0
    saved = sqlite_dense.ann.saved_seq(writer.dense.folder, graphs.epoch)
    assert saved is not None and saved > graphs.seq
    after = _hits(reader, pen, 3)
    new = set(after) - before
    assert new and max(after, key=lambda i: after[i][1]) in new
    assert reader.dense.graphs.seq == saved  # trimmed past its position: it loaded the saved graphs

    # a new process loads the saved graphs and builds nothing
    calls = []
    original = sqlite_dense.DenseIndex.vector_batches
    monkeypatch.setattr(sqlite_dense.DenseIndex, "vector_batches",
                        lambda self, kind, ids=None, **kw: calls.append(ids) or original(self, kind, ids, **kw))
    fresh = SQLiteStore(twin_files.path)
    assert _hits(fresh, pen, 3) == after
    assert None not in calls  # never every vector: only the chunks it scored

    # a deleted file leaves the graphs, without a save in between
    page.unlink()
    sync.run(writer, e5, [str(tmp_path / "nuova")], Settings())
    gone = _hits(reader, pen, 3)
    assert not new & set(gone)
    for store in (reader, writer, fresh):
        store.close()


def test_re_embedding_starts_new_graphs(twin_files, e5, monkeypatch):
    monkeypatch.setattr(sqlite_dense, "EXACT_VECTORS", 0)
    twin_files.dense.forget()  # chosen by the ingest's settle, under the usual limit
    v = e5.queries([QUESTIONS[0]])[0]
    first = _hits(twin_files, v)
    twin_files.settle()
    old_epoch = twin_files.dense.graphs.epoch
    twin_files.reset_vectors(e5.name, e5.dim)
    assert sync.ensure_embedder(twin_files, e5, Settings()) > 0
    again = _hits(twin_files, v)
    assert again.keys() == first.keys()
    assert twin_files.dense.graphs.epoch != old_epoch
    twin_files.settle()
    assert sqlite_dense.ann.saved_seq(twin_files.dense.folder, twin_files.dense.graphs.epoch) is not None
