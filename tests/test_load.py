"""Load, bounded: two `erre serve` workers over one PostgreSQL store, a llama.cpp server
(tiny random-weight model) behind them, and more concurrent chat sessions than the workers'
lines hold. Only explicit "busy" answers may fail a request; no 5xx, no transport error,
and every answered turn is in the store, read back through either worker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def test_two_workers_under_load_answer_or_say_busy_and_lose_no_turn(pg_url, tmp_path):
    pytest.importorskip("sse_starlette")
    pytest.importorskip("llama_cpp")
    import serve_load

    from erre.eval import load
    from tests import tiny_gguf

    model = tiny_gguf.write(tmp_path / "tiny.gguf", context=4096)  # the twin's window (llm.context)
    home = serve_load.sample_twin(tmp_path / "twin", pg_url)
    with serve_load.llama_server(model, context=4096) as model_url, \
            serve_load.cluster(home, model_url, workers=2, queue=1, store_url=pg_url, max_tokens=32) as urls:
        report = load.run(urls, sessions=10, turns=2, deadline_s=300, retries=200)
    assert report["errors"] == {}, report
    assert report["answered"] == 10 * 2 and report["lost_turns"] == 0, report
    assert report["busy"] > 0, "the line of 1 must have turned some requests away"
    assert report["requests"] == report["answered"] + report["busy"]
    assert report["latency_p95_s"] >= report["latency_p50_s"] > 0
