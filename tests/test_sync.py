"""Sync, not append: unchanged files write nothing, changed files replace their chunks,
deleted files leave, a corrupt file is reported while the rest is ingested, and a kill in
the middle of an ingest leaves a consistent index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from erre import sync
from erre.store.sqlite import SQLiteStore
from erre.twin import open_store

from .conftest import sql, write, writes


def ingest(twin, *paths):
    return sync.run(twin.store, twin.embedder, [str(p) for p in paths], twin.settings)


def counts(store) -> dict:
    one = lambda q: sql(store, q)[0][0]  # noqa: E731
    if isinstance(store, SQLiteStore):
        fts, vectors, unit_vectors = ("SELECT count(*) FROM chunks_fts_docsize", "SELECT count(*) FROM chunks_vec",
                                      "SELECT count(*) FROM units_vec")
    else:  # one table holds the text, the terms and the vector of a chunk
        fts, vectors, unit_vectors = ("SELECT count(*) FROM chunks WHERE length(terms) > 0",
                                      "SELECT count(*) FROM chunks WHERE embedding IS NOT NULL",
                                      "SELECT count(*) FROM units WHERE embedding IS NOT NULL")
    return {
        "documents": one("SELECT count(*) FROM documents"),
        "chunks": one("SELECT count(*) FROM chunks"),
        "fts": one(fts),
        "vectors": one(vectors),
        "units": one("SELECT count(*) FROM units"),
        "unit_vectors": one(unit_vectors),
    }


def assert_consistent(store):
    c = counts(store)
    assert c["chunks"] == c["fts"] == c["vectors"], c
    assert c["units"] == c["unit_vectors"] >= c["chunks"], c
    orphans = sql(store, "SELECT count(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)")[0][0]
    assert orphans == 0


def corpus(folder: Path) -> Path:
    write(folder / "uno.md", "---\ntitle: Uno\n---\nIl quaderno a righe mi obbliga a rallentare.\n")
    write(folder / "due.md", "---\ntitle: Due\n---\nLa biblioteca di quartiere era sopra la farmacia.\n")
    write(folder / "sub dir/tre è.txt", "Tre\n\nLeggo pochi libri, e li leggo due volte.\n")
    return folder


def test_unchanged_reingest_writes_nothing(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    first = ingest(twin, folder)
    assert (first.added, first.errors) == (3, [])
    before = writes(twin.store)
    again = ingest(twin, folder)
    assert (again.unchanged, again.added, again.updated, again.removed, again.chunks) == (3, 0, 0, 0, 0)
    assert writes(twin.store) == before
    assert_consistent(twin.store)


def test_changed_file_replaces_its_chunks(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    ingest(twin, folder)
    old = counts(twin.store)
    write(folder / "uno.md", "---\ntitle: Uno\n---\nIl quaderno a righe mi obbliga a rallentare.\n\n"
                             "Ho aggiunto un paragrafo nuovo sulla penna stilografica che uso da anni.\n")
    report = ingest(twin, folder)
    assert (report.updated, report.unchanged) == (1, 2)
    assert report.embedded < counts(twin.store)["units"]  # unchanged sentences were not embedded again
    texts = [r[0] for r in sql(twin.store, "SELECT text FROM chunks")]
    assert any("stilografica" in t for t in texts)
    assert counts(twin.store)["documents"] == old["documents"]
    assert_consistent(twin.store)


def test_deleted_file_leaves_the_index(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    ingest(twin, folder)
    (folder / "due.md").unlink()
    report = ingest(twin, folder)
    assert report.removed == 1
    sources = {r[0] for r in sql(twin.store, "SELECT source FROM documents")}
    assert sources == {"uno.md", "sub dir/tre è.txt"}
    assert_consistent(twin.store)


def test_deleted_single_file_argument_leaves_the_index(twin, tmp_path):
    path = write(tmp_path / "solo.md", "Un testo breve ma sufficiente per l'indice.\n")
    ingest(twin, path)
    path.unlink()
    assert ingest(twin, path).removed == 1
    assert counts(twin.store)["documents"] == 0


def test_corrupt_file_among_good_ones(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    write(folder / "rotto.pdf", b"%PDF-1.4 this is not really a PDF")
    write(folder / "binario.txt", b"\x00\x01" * 64)
    report = ingest(twin, folder)
    assert report.added == 3
    assert sorted(e.path for e in report.errors) == ["binario.txt", "rotto.pdf"]
    assert counts(twin.store)["documents"] == 3
    assert_consistent(twin.store)


def test_file_that_becomes_unreadable_keeps_its_previous_version(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    ingest(twin, folder)
    write(folder / "uno.md", b"\x00\x00 binary now")
    report = ingest(twin, folder)
    assert [e.path for e in report.errors] == ["uno.md"]
    assert counts(twin.store)["documents"] == 3


def test_jsonl_lines_sync_one_by_one(twin, tmp_path):
    path = write(tmp_path / "export.jsonl",
                 '{"id": "a", "text": "Il primo testo parla di quaderni."}\n'
                 '{"id": "b", "text": "Il secondo testo parla di biblioteche."}\n')
    ingest(twin, path)
    ids = dict(sql(twin.store, "SELECT source, id FROM documents"))
    write(path, '{"id": "a", "text": "Il primo testo parla di quaderni."}\n'
                '{"id": "c", "text": "Il terzo testo parla di scuola."}\n')
    ingest(twin, path)
    after = dict(sql(twin.store, "SELECT source, id FROM documents"))
    assert set(after) == {"a", "c"} and after["a"] == ids["a"]  # "a" was not rewritten
    assert_consistent(twin.store)


def test_changing_the_embedder_reembeds_everything(twin, tmp_path):
    from erre.embed.use import USEEmbedder

    folder = corpus(tmp_path / "w")
    ingest(twin, folder)
    twin.use(embedder=USEEmbedder())
    report = ingest(twin, folder)
    assert report.reembedded == counts(twin.store)["chunks"] > 0
    assert twin.store.embedder() == ("use:multilingual-v3", 512)
    assert_consistent(twin.store)


KILLER = """
import dataclasses, sys
from erre import config, sync
from erre.twin import Twin
twin = Twin.open(sys.argv[1])
# a file per embedder call, so that the kill lands between writes
sync.run(twin.store, twin.embedder, [sys.argv[2]], dataclasses.replace(twin.settings, embed_batch=1))
"""


def test_kill_during_ingest_leaves_a_consistent_store(twin, tmp_path):
    folder = tmp_path / "many"
    for i in range(40):
        write(folder / f"post-{i:02}.md", f"---\ntitle: Post {i}\n---\n" +
              " ".join(f"Questa è la frase {j} del post {i}, scritta per la prova." for j in range(12)))
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(twin.home), str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    index = twin.home / "index.db"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if twin.settings.store_url or index.exists():
            try:
                probe = SQLiteStore(index, readonly=True) if not twin.settings.store_url else \
                    open_store(twin.settings.store_url)
                n = probe.stats()["files"]
                probe.close()
            except Exception:
                continue
            if n >= 3:
                break
    assert proc.poll() is None, "ingest finished before it could be killed: " + proc.stderr.read().decode()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = twin.store
    done = counts(store)["documents"]
    assert 3 <= done < 40
    assert_consistent(store)
    report = ingest(twin, folder)  # resumes: the rest is added, nothing twice
    assert report.unchanged == done and report.added == 40 - done
    assert counts(store)["documents"] == 40
    assert_consistent(store)


def test_including_drafts_or_changing_the_budget_rereads_unchanged_files(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    write(folder / "bozza.md", "---\ntitle: Bozza\ndraft: true\n---\nUna bozza che ora voglio includere.\n")
    first = ingest(twin, folder)
    assert first.skipped == [("bozza.md", "draft")] and first.added == 3
    twin.settings = twin.settings.with_(ingest_include_drafts=True)
    report = ingest(twin, folder)
    assert report.added == 1 and report.updated == 3 and report.embedded == 1  # only the draft's sentence is new
    assert counts(twin.store)["documents"] == 4
    twin.settings = twin.settings.with_(chunk_tokens=100)
    assert ingest(twin, folder).updated == 4
    assert_consistent(twin.store)


def test_languages_follow_writes_from_another_connection(twin, tmp_path):
    folder = corpus(tmp_path / "w")
    ingest(twin, folder)
    reader = open_store(twin.settings.store_url or twin.index_path)  # another worker
    assert reader.languages() == twin.store.languages() and "en" not in reader.languages()
    write(folder / "english.md", "An English post about reading slowly and writing by hand every morning.\n")
    ingest(twin, folder)
    assert reader.languages().get("en") == 1
    reader.close()


class Counting:
    """The real embedder, counting its calls."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []
        self.name, self.dim = inner.name, inner.dim

    def passages(self, texts):
        self.calls.append(len(texts))
        return self.inner.passages(texts)

    def queries(self, texts):
        return self.inner.queries(texts)

    def count_tokens(self, text):
        return self.inner.count_tokens(text)


def test_many_files_share_one_embedder_call_and_each_is_written(twin, tmp_path):
    import dataclasses

    folder = corpus(tmp_path / "w")
    for i in range(6):
        write(folder / f"extra{i}.md", f"# Nota {i}\n\nScrivo la nota numero {i} con calma, a mano, la sera.\n")
    counting = Counting(twin.embedder)
    report = sync.run(twin.store, counting, [str(folder)], twin.settings)
    assert report.added == 9 and report.errors == []
    assert len(counting.calls) == 1 and counting.calls[0] == report.embedded  # nine files, one call
    assert len(twin.store.files()) == 9
    assert_consistent(twin.store)
    # a small batch: several calls, the same index
    small = dataclasses.replace(twin.settings, embed_batch=3)
    counting.calls.clear()
    write(folder / "extra0.md", "# Nota 0\n\nLa nota cambia: ora parla della penna stilografica.\n")
    for i in range(1, 6):
        write(folder / f"extra{i}.md", f"# Nota {i}\n\nAnche questa nota cambia, e parla d'altro: {i}.\n")
    report = sync.run(twin.store, counting, [str(folder)], small)
    assert report.updated == 6 and max(counting.calls) <= 3 and sum(counting.calls) == report.embedded
    assert_consistent(twin.store)
