"""Load test of erre serve, on loopback, bounded in sessions, turns and time: a llama.cpp
OpenAI-compatible server as the model, one or more `erre serve` workers over one store
(PostgreSQL, shared by the workers, or SQLite for one worker), and many web-chat sessions
at once (erre.eval.load). Prints the figures as JSON.

    python bench/serve_load.py --sessions 40 --turns 3 --workers 2 --store postgresql
    python bench/serve_load.py --model default --sessions 8 --turns 2     (the real 1.5B model)
    python bench/serve_load.py --model default --sessions 8 --turns 2 --store sqlite --workers 1 \
        --engine xllamacpp --parallel 8       (a server writing 8 answers at once)

The default model is a tiny random-weight GGUF (what tests use): it answers in milliseconds,
so the figures measure erre's serving — retrieval, the line, streaming, storage — under
load, not the model's speed; `--model default` or a GGUF path measures a real model.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


MORE_QUESTIONS = ["Why do you prefer open models to closed ones?", "Che cosa ti ha insegnato la signora Rina?",
                  "Come valuti un tema scritto con l'aiuto di un chatbot?", "Cosa lascia una pagina letta lentamente?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, what: str, log: Path, timeout: float = 120) -> None:
    import httpx

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not start in {timeout:.0f} s")


@contextmanager
def process(args: list[str], url: str, what: str, env: dict | None = None):
    # the log goes to a file: a pipe nobody reads fills up and blocks the server's logging
    log = Path(tempfile.mkstemp(prefix="erre-load-", suffix=".log")[1])
    with log.open("wb") as sink:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=sink, env={**os.environ, **(env or {})})
    try:
        _wait(url, proc, what, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


_XLLAMACPP = """
import sys, time, xllamacpp
p = xllamacpp.CommonParams()
p.model.path, p.port, p.n_parallel = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
p.n_ctx = int(sys.argv[4]) * p.n_parallel
p.cpuparams.n_threads = p.cpuparams_batch.n_threads = 2
server = xllamacpp.Server(p)
while True:
    time.sleep(3600)
"""


@contextmanager
def llama_server(model: Path, context: int = 4096, engine: str = "llama-cpp-python", parallel: int = 1):
    """An OpenAI-compatible server for `model`: llama-cpp-python's (one answer at a time), a
    llama.cpp `llama-server` binary (`engine` its path) or xllamacpp's, with `parallel` slots."""
    port = free_port()
    if engine == "llama-cpp-python":
        if parallel != 1:
            raise SystemExit("llama-cpp-python's server answers one request at a time: --parallel 1")
        args = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                "--port", str(port), "--n_ctx", str(context), "--n_threads", "2", "--verbose", "false"]
    elif engine == "xllamacpp":
        args = [sys.executable, "-c", _XLLAMACPP, str(model), str(port), str(parallel), str(context)]
    else:  # a llama-server binary: continuous batching over `parallel` slots sharing the context
        args = [engine, "-m", str(model), "--host", "127.0.0.1", "--port", str(port), "-c", str(context * parallel),
                "-np", str(parallel), "-t", "2", "-tb", "2"]
    with process(args, f"http://127.0.0.1:{port}/v1/models", f"model server ({engine})"):
        yield f"http://127.0.0.1:{port}/v1"


@contextmanager
def cluster(home: Path, model_url: str, workers: int, queue: int, store_url: str = "", max_tokens: int = 0,
            parallel: int = 1):
    """`workers` erre serve processes over the twin in `home`, each writing `parallel`
    answers at once; yields their URLs."""
    env = {"ERRE_SERVER_QUEUE": str(queue), "ERRE_SERVER_PARALLEL": str(parallel), "OPENAI_API_KEY": "none",
           **({"ERRE_STORE_URL": store_url} if store_url else {}),
           **({"ERRE_LLM_MAX_TOKENS": str(max_tokens)} if max_tokens else {})}
    with ExitStack() as stack:
        urls = []
        for _ in range(workers):
            port = free_port()
            stack.enter_context(process(
                [sys.executable, "-m", "erre.cli", "serve", "--port", str(port), "--home", str(home),
                 "--llm", "openai", "--base-url", model_url, "--model", "local"],
                f"http://127.0.0.1:{port}/health", "erre serve", env))
            urls.append(f"http://127.0.0.1:{port}")
        yield urls


def sample_twin(home: Path, store_url: str = "") -> Path:
    from erre import config, migrate, sync
    from erre.twin import Twin, open_store

    config.init(home, "Lucia Ferri")
    twin = Twin.open(home)
    sync.run(twin.store, twin.embedder, [str(ROOT / "src" / "erre" / "sample")], twin.settings)
    if store_url:
        target = open_store(store_url)
        migrate.copy(twin.store, target)
        target.close()
    twin.close()
    return home


@contextmanager
def postgres(where: Path):
    import uuid

    import pgserver
    import psycopg

    server = pgserver.get_server(where, cleanup_mode="stop")
    name = f"load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield server.get_uri(name)
    finally:
        server.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=40)
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queue", type=int, default=8, help="server.queue of each worker")
    ap.add_argument("--store", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--model", default="tiny", help="tiny (random weights), default (the shipped model), or a GGUF")
    ap.add_argument("--deadline", type=float, default=600)
    ap.add_argument("--max-tokens", type=int, default=0, help="llm.max_tokens of the workers (0: the twin's)")
    ap.add_argument("--engine", default="llama-cpp-python",
                    help="the model server: llama-cpp-python (one answer at a time), xllamacpp (pip install "
                         "xllamacpp), or the path of a llama.cpp llama-server binary")
    ap.add_argument("--distinct", action="store_true",
                    help="ten questions instead of six, so that no two of up to 9 sessions of 2 turns send "
                         "the same prompt (a model server's prompt cache would answer repeats at once)")
    ap.add_argument("--parallel", type=int, default=1,
                    help="slots of the model server, and server.parallel of each worker")
    args = ap.parse_args()
    if args.store == "sqlite" and args.workers > 1:
        ap.error("several workers need the PostgreSQL store (SQLite is one machine, one process)")

    from erre.eval import load

    tmp = Path(tempfile.mkdtemp(prefix="erre-load-"))
    if args.model == "tiny":
        sys.path.insert(0, str(ROOT))
        from tests import tiny_gguf

        model = tiny_gguf.write(tmp / "tiny.gguf", context=4096)
    elif args.model == "default":
        from erre.llm import models

        model = models.resolve("", tmp)
    else:
        model = Path(args.model)
    with ExitStack() as stack:
        url = stack.enter_context(postgres(tmp / "pg")) if args.store == "postgresql" else ""
        home = sample_twin(tmp / "twin", url)
        model_url = stack.enter_context(llama_server(model, engine=args.engine, parallel=args.parallel))
        urls = stack.enter_context(cluster(home, model_url, args.workers, args.queue, url, args.max_tokens,
                                           args.parallel))
        report = load.run(urls, sessions=args.sessions, turns=args.turns, deadline_s=args.deadline,
                          questions=[*load.QUESTIONS, *MORE_QUESTIONS] if args.distinct else None)
    report.update(store=args.store, model=args.model, queue=args.queue, max_tokens=args.max_tokens or None,
                  engine=args.engine, parallel=args.parallel)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
