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


@pytest.fixture
def twin(tmp_path, e5):
    """A fresh twin using the session's embedder."""
    from erre import config
    from erre.twin import Twin

    home = tmp_path / "twin"
    config.init(home, "Lucia Ferri")
    t = Twin.open(home)
    t.__dict__["embedder"] = e5  # share the loaded model across tests
    yield t
    t.close()


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
