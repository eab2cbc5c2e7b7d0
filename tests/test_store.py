"""The PostgreSQL store on a real server (pgserver: PostgreSQL 16 with pgvector), beside the
SQLite one: a twin copied with `erre migrate` answers the same, several workers share
conversations, the schema migrates once, and mistakes get clear errors. The common store
suite (sync, search, conversations) runs on both backends through the `twin` fixture."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from erre import language, retrieve, sync
from erre.documents import Answer, Citation
from erre.errors import ConfigError, ErreError
from erre.twin import Twin, open_store

from .conftest import SAMPLE, sql

QUESTIONS = ["Perché scrivi ancora a mano?", "Why not use the famous commercial services in your workshops?",
             "Chi era la signora Rina?", "How many times do you read a book?"]


def cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "erre.cli", *args], capture_output=True, text=True, timeout=timeout)


def test_migrate_copies_a_twin_into_postgresql_and_it_answers_the_same(sample_twin, pg_url):
    store = sample_twin.store
    cid = store.new_conversation("Scrittura", channel="web", owner="browser-1")
    store.add_exchange(cid, "Perché scrivi a mano?", Answer(
        text="Per rallentare [1].", abstained=False, language="it",
        citations=(Citation(1, "_posts/a.md", "A", None, None, "rallentare", 0.9),)))
    before = {q: [p.chunk.source for p in retrieve.search(store, sample_twin.embedder, q, k=3)] for q in QUESTIONS}
    bm25 = {q: _lexical(store, q) for q in QUESTIONS}
    home = str(sample_twin.home)
    sample_twin.close()

    out = cli("migrate", pg_url, "--use", "--json", "--home", home)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["files"] >= 7 and report["conversations"] == 1 and report["turns"] == 2 and report["using"]

    twin = Twin.open(home)
    assert twin.settings.store_url == pg_url
    pg = twin.store
    assert type(pg).__name__ == "PostgresStore"
    after = {q: [p.chunk.source for p in retrieve.search(pg, twin.embedder, q, k=3)] for q in QUESTIONS}
    assert after == before
    assert {q: _lexical(pg, q) for q in QUESTIONS} == bm25  # the same BM25 on both backends
    turns = pg.turns(cid)
    assert [t.role for t in turns] == ["user", "assistant"] and turns[1].citations[0].quote == "rallentare"
    assert pg.conversations(owner="browser-1")[0].title == "Scrittura"
    # hashes and vectors came along: a new ingest of the same folder finds nothing to do
    report = sync.run(pg, twin.embedder, [str(SAMPLE)], twin.settings)
    assert report.added == report.updated == report.embedded == 0 and report.unchanged >= 7
    status = cli("status", "--json", "--home", home)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["chunks"] == sql(pg, "SELECT count(*) FROM chunks")[0][0]
    twin.close()


def _lexical(store, question):
    hits = store.search_lexical(language.query_terms(question, ("it", "en")), 5)
    chunks = store.chunks([i for i, _ in hits])
    return [(chunks[i].source, chunks[i].ordinal, round(s, 4)) for i, s in hits]


@pytest.mark.parametrize("backend", ["postgresql"])  # copies out of PostgreSQL
def test_migrate_back_to_sqlite_and_refuse_a_full_target(twin, tmp_path):
    assert twin.settings.store_url
    sync.run(twin.store, twin.embedder, [str(SAMPLE)], twin.settings)
    backup = tmp_path / "backup.db"
    out = cli("migrate", str(backup), "--home", str(twin.home))
    assert out.returncode == 0, out.stderr
    copy = open_store(backup)
    q = "Chi era la signora Rina?"
    assert ([p.chunk.source for p in retrieve.search(copy, twin.embedder, q, k=3)]
            == [p.chunk.source for p in retrieve.search(twin.store, twin.embedder, q, k=3)])
    copy.close()
    again = cli("migrate", str(backup), "--home", str(twin.home))
    assert again.returncode == 1 and "not empty" in again.stderr


def test_workers_share_conversations_and_see_each_others_writes(pg_url, e5, tmp_path):
    a, b = open_store(pg_url), open_store(pg_url)  # two erre serve workers
    cid = a.new_conversation("Ciao", channel="web", owner="o")
    b.add_exchange(cid, "Domanda?", Answer(text="Risposta.", abstained=False, language="it"))
    assert [t.content for t in a.turns(cid)] == ["Domanda?", "Risposta."]
    assert a.conversation(cid).turns == 2
    assert b.languages() == {}
    from erre import config

    settings = config.Settings()
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "uno.md").write_text("---\ntitle: Uno\n---\nIl quaderno a righe mi obbliga a rallentare.\n")
    sync.run(a, e5, [str(folder)], settings)
    assert b.languages() == {"it": 1}  # b's cache follows a's write
    a.close()
    b.close()


def test_dense_search_returns_as_many_neighbours_as_asked(pg_url):
    """HNSW returns at most hnsw.ef_search rows (40 by default): the store raises it per query."""
    from erre.documents import Chunk, Document
    from erre.store import ChunkVectors, Indexed

    store = open_store(pg_url)
    store.reset_vectors("test", 8)
    rng = np.random.default_rng(0)
    docs = []
    for i in range(30):
        text = f"testo {i}"
        vecs = rng.normal(size=(3, 8)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunk = Chunk(source=f"d{i}", title=f"D{i}", text=text, start=0, end=len(text))
        docs.append(Indexed(Document(f"d{i}", f"D{i}", text, ()), [chunk], [f"test {i}"],
                            [ChunkVectors(vecs.mean(0), [(0, 2, "a"), (2, 4, "b"), (4, 7, "c")], vecs)]))
    store.write_file("/f", "/", "h", docs)
    store.finish_vectors("test", 8)
    q = rng.normal(size=8).astype(np.float32)
    q /= np.linalg.norm(q)  # questions are embedded as unit vectors
    scanned = retrieve.dense(store, q, 20)  # before settle(): no HNSW index yet, an exact scan
    store.settle()  # builds the HNSW indexes once, after the load
    assert {r[0] for r in sql(store, "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_embedding'")} \
        == {"chunks_embedding", "units_embedding"}
    hits = retrieve.dense(store, q, 20)
    assert len(hits) >= 20 and len({h.id for h in hits}) == len(hits)
    assert {h.id for h in scanned} <= {h.id for h in hits}
    assert all(-1.0 <= h.chunk <= 1.0 and -1.0 <= h.unit <= 1.0 for h in hits)
    # lexical: a term with tsquery operators in it is a word, never syntax
    assert store.search_lexical(["test", "1"], 5) and store.search_lexical(["a'|!(b"], 5) == []
    store.close()


def test_the_schema_migrates_once_and_a_newer_one_is_refused(pg_url):
    import psycopg

    open_store(pg_url).close()
    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM erre_schema").fetchone()[0] == 1
        conn.execute("INSERT INTO erre_schema VALUES (99)")
    with pytest.raises(ErreError, match="newer than this erre"):
        open_store(pg_url)


def test_a_password_in_the_url_is_refused(pg_url):
    with pytest.raises(ConfigError, match="PGPASSWORD"):
        open_store("postgresql://erre:segreto@127.0.0.1:5432/twin")


def test_an_unreachable_server_says_so(tmp_path):
    with pytest.raises(ErreError, match="Cannot reach the PostgreSQL store") as e:
        open_store(f"postgresql://erre@/twin?host={tmp_path}&connect_timeout=2")
    assert "PGPASSWORD" in str(e.value)


def test_an_unknown_store_scheme_is_a_config_error():
    with pytest.raises(ConfigError, match="postgresql://"):
        open_store("mysql://x/y")


def test_the_store_knows_the_span_of_its_writings_dates(twin, tmp_path):
    from tests.conftest import write

    assert twin.store.dates() == (None, None)
    write(tmp_path / "w" / "2021-05-01-old.md", "---\ntitle: Old\n---\nUn testo vecchio sul quaderno.")
    write(tmp_path / "w" / "2024-09-19-new.md", "---\ntitle: New\n---\nUn testo nuovo sul quaderno.")
    write(tmp_path / "w" / "undated.txt", "Un testo senza data.")
    sync.run(twin.store, twin.embedder, [str(tmp_path / "w")], twin.settings)
    first, last = twin.store.dates()
    assert first.startswith("2021-05-01") and last.startswith("2024-09-19")
