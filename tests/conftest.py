"""Shared fixtures: real embedders, real SQLite twins in tmp_path, files written by the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "erre" / "sample"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """No test reads or writes the user's ~/erre or inherits their ERRE_* settings."""
    for var in [v for v in os.environ if v.startswith("ERRE_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("ERRE_ROOT", str(tmp_path / "erre-root"))


@pytest.fixture(scope="session")
def e5():
    from erre.embed.e5 import E5Embedder

    return E5Embedder(threads=2)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A real PostgreSQL 16 with pgvector (the pgserver wheel), started once, without root."""
    pgserver = pytest.importorskip("pgserver")
    pytest.importorskip("psycopg")
    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a new, empty database on the test server."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pg_server.get_uri(name)


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Where a twin's store lives: each test using it runs on both backends."""
    return request.param


@pytest.fixture
def store_url(backend, request):
    return request.getfixturevalue("pg_url") if backend == "postgresql" else ""


@pytest.fixture
def twin(tmp_path, e5, store_url):
    """A fresh twin using the session's embedder, on each store backend."""
    from erre import config
    from erre.twin import Twin

    home = tmp_path / "twin"
    home.mkdir(parents=True)
    (home / config.CONFIG_FILE).write_text(
        config.render(config.Settings(name="Lucia Ferri", store_url=store_url)), encoding="utf-8")
    t = Twin.open(home)
    t.use(embedder=e5)  # share the loaded model across tests
    yield t
    t.close()


def sql(store, query: str, args: tuple = ()) -> list[tuple]:
    """A read query on either backend's database (tests look inside the store)."""
    if hasattr(store, "_db"):
        return store._db.execute(query, args).fetchall()
    with store._conn() as conn:
        return conn.execute(query.replace("?", "%s"), args).fetchall()


def writes(store) -> int:
    """A number that moves with every write to the store's index."""
    if hasattr(store, "_db"):
        return store._db.total_changes
    return int(sql(store, "SELECT coalesce((SELECT value FROM meta WHERE key = 'generation'), '0')")[0][0])


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    """A random-weight GGUF that llama.cpp loads and runs for real."""
    pytest.importorskip("llama_cpp")
    from erre.llm import llamacpp
    from tests import tiny_gguf

    folder = tmp_path_factory.mktemp("gguf")
    llamacpp.PROBE_CACHE = folder / "layouts.json"  # where a CPU listing AMX has its models tried: not ~/.cache
    return tiny_gguf.write(folder / "tiny.gguf")


@pytest.fixture(scope="session")
def tiny_model(tiny_gguf):
    from erre.llm.llamacpp import LlamaCppModel

    return LlamaCppModel(tiny_gguf, context=2048, threads=2)


class ScriptedModel:
    """A ChatModel that answers from a script: for pipeline tests that need to know what the
    model says (real models are tested in test_llm.py). Counts about 4 characters a token."""

    name = "scripted"

    def __init__(self, *answers: str, context: int = 4096):
        self.answers = list(answers)
        self.context = context
        self.calls: list[list[dict]] = []

    def count(self, messages) -> int:
        return sum(len(m["content"]) // 4 + 4 for m in messages)

    def stream(self, messages, *, max_tokens, temperature, stop=()):
        self.calls.append([dict(m) for m in messages])
        text = self.answers.pop(0) if self.answers else "Va bene."
        for i in range(0, len(text), 3):  # in small pieces, as a model streams
            yield text[i:i + 3]


@pytest.fixture(scope="session")
def _sample_home(tmp_path_factory, e5) -> Path:
    from erre import config, sync
    from erre.twin import Twin

    home = tmp_path_factory.mktemp("sample-twin")
    (home / config.CONFIG_FILE).write_text(config.render(config.Settings(name="Lucia Ferri")), encoding="utf-8")
    t = Twin.open(home)
    sync.run(t.store, e5, [str(SAMPLE)], t.settings)
    t.close()
    return home


@pytest.fixture
def sample_twin(_sample_home, tmp_path, e5):
    """A twin with erre's sample corpus ingested (a copy of one made per session)."""
    import shutil

    from erre.twin import Twin

    home = tmp_path / "sample-twin"
    shutil.copytree(_sample_home, home)
    t = Twin.open(home)
    t.use(embedder=e5)
    yield t
    t.close()


class Served:
    """erre's app under uvicorn in a thread, on a free port."""

    def __init__(self, app):
        import threading
        import time

        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve(sample_twin):
    """Starts erre serve's app over the sample twin with `model`: serve(model, **options)."""
    from erre import server

    running: list[Served] = []

    def start(model, **options):
        sample_twin.use(model=model)
        s = Served(server.create_app(sample_twin, **options))
        running.append(s)
        return s

    yield start
    for s in running:
        s.stop()
