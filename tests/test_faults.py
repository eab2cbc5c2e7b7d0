"""Faults: a disk that fills up and a folder that turns read-only give a clear error and
lose nothing written before (on a real, small tmpfs); erre serve killed with SIGKILL in the
middle of a streamed answer leaves no half-written turn, and the conversation goes on after
a restart. (A kill during ingest is in test_sync.py, on both store backends.)"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from erre import config

from .conftest import write
from .test_sync import assert_consistent, counts


def _erre(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "erre.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs mounted for the test (needs the right to mount, as root in a container)."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _corpus(folder: Path, n: int) -> Path:
    for i in range(n):
        write(folder / f"post-{i:03}.md", f"---\ntitle: Post {i}\n---\n" + " ".join(
            f"Frase {j} del post {i}: il quaderno {i * j} è a righe e la penna numero {j} scrive blu."
            for j in range(20)))
    return folder


def test_a_full_disk_stops_ingest_with_a_clear_error_and_keeps_what_was_written(small_disk, tmp_path):
    home = small_disk / "twin"
    config.init(home, "Lucia")
    folder = _corpus(tmp_path / "w", 3)
    assert _erre("ingest", str(folder), "--home", str(home)).returncode == 0, "3 posts fit"
    _corpus(folder, 30)
    stat = os.statvfs(small_disk)
    ballast = small_disk / "ballast"
    ballast.write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - 400_000))  # leave 400 kB free
    out = _erre("ingest", str(folder), "--home", str(home))
    assert out.returncode == 1, out.stdout
    assert "full" in out.stderr and "Free some space" in out.stderr and "Traceback" not in out.stderr
    from erre.twin import Twin

    twin = Twin.open(home)
    kept = counts(twin.store)["documents"]
    assert 3 <= kept < 30
    assert_consistent(twin.store)
    twin.close()
    ballast.unlink()
    again = _erre("ingest", str(folder), "--home", str(home), "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["unchanged"] == kept and report["added"] == 30 - kept


def test_a_read_only_folder_gives_a_clear_error(small_disk, tmp_path):
    home = small_disk / "twin"
    config.init(home, "Lucia")
    folder = _corpus(tmp_path / "w", 2)
    assert _erre("ingest", str(folder), "--home", str(home)).returncode == 0
    write(folder / "nuovo.md", "Un post nuovo sulla biblioteca di quartiere e sui suoi lettori.")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    out = _erre("ingest", str(folder), "--home", str(home))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "read-only" in out.stderr or "not writable" in out.stderr, out.stderr


# -- a kill in the middle of a streamed answer -------------------------------------------

class SlowModel:
    """An OpenAI-compatible chat server on loopback that writes one word every 0.1 s: the
    model stands outside erre's process, as a vLLM or Ollama server would."""

    def __init__(self):
        from fastapi.responses import StreamingResponse

        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request):
            import asyncio

            body = await request.json()

            async def words():
                for i in range(60):
                    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                             "choices": [{"index": 0, "delta": {"content": f"parola{i} "}, "finish_reason": None}]}
                    yield f"data: {json.dumps(chunk)}\n\n"
                    await asyncio.sleep(0.1)
                yield "data: [DONE]\n\n"

            assert body.get("stream") is True
            return StreamingResponse(words(), media_type="text/event-stream")

        from .conftest import Served

        self.served = Served(app)
        self.url = self.served.url + "/v1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(home: Path, model_url: str, port: int):
    proc = subprocess.Popen([sys.executable, "-m", "erre.cli", "serve", "--port", str(port), "--home", str(home),
                             "--llm", "openai", "--base-url", model_url, "--model", "slow"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            # the slow model's numbered words would be cut by the grounding check as
                            # invented figures; this test is about the exchange being stored whole
                            env={**os.environ, "OPENAI_API_KEY": "x", "ERRE_CHAT_CHECKS": "false"})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("erre serve did not start: " + proc.stderr.read().decode())


def test_a_kill_during_a_streamed_answer_leaves_no_half_turn(sample_twin):
    model = SlowModel()
    home = sample_twin.home
    sample_twin.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(home, model.url, port)
    try:
        client = httpx.Client(base_url=url, timeout=30)
        client.get("/")  # the owner cookie
        cid = client.post("/api/conversations", json={}).json()["id"]
        tokens = 0
        with client.stream("POST", f"/api/conversations/{cid}/messages",
                           json={"question": "Perché scrivi ancora a mano?"}) as r:
            for line in r.iter_lines():
                if line.startswith("event: token"):
                    tokens += 1
                if tokens >= 5:
                    os.kill(proc.pid, signal.SIGKILL)  # mid-answer
                    break
        proc.wait(10)
        assert tokens >= 5
        proc = _serve(home, model.url, port)
        conv = client.get(f"/api/conversations/{cid}").json()
        assert conv["turns"] == []  # nothing half-written: the exchange is stored whole or not at all
        events = client.post(f"/api/conversations/{cid}/messages", json={"question": "Perché scrivi ancora a mano?"},
                             timeout=60).text
        assert "event: done" in events
        messages = client.get(f"/api/conversations/{cid}").json()["turns"]
        assert [m["role"] for m in messages] == ["user", "assistant"] and "parola59" in messages[1]["text"]
    finally:
        proc.kill()
        proc.wait(10)
        model.served.stop()
