"""Chat backends for real: llama.cpp embedded on a random-weight GGUF, and the
OpenAI-compatible client against llama.cpp's own HTTP server on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest

from erre.errors import BackendError, ConfigError
from erre.llm import openai_compat

MESSAGES = [{"role": "system", "content": "Sei Lucia."}, {"role": "user", "content": "Perché scrivi a mano?"}]


def test_llamacpp_streams_pieces_and_stops_at_max_tokens(tiny_model):
    stream = tiny_model.stream(MESSAGES, max_tokens=6, temperature=0.0)
    assert iter(stream) is stream  # a generator: text arrives while the model writes
    pieces = list(stream)
    assert pieces and all(isinstance(p, str) and p for p in pieces)
    longer = "".join(tiny_model.stream(MESSAGES, max_tokens=40, temperature=0.0))
    assert longer.startswith("".join(pieces)) and len(longer) > len("".join(pieces))


def test_llamacpp_is_deterministic_at_temperature_zero(tiny_model):
    first = "".join(tiny_model.stream(MESSAGES, max_tokens=8, temperature=0.0))
    assert first == "".join(tiny_model.stream(MESSAGES, max_tokens=8, temperature=0.0))


def test_llamacpp_samples_each_answer_from_the_same_seed(tiny_model):
    # an answer depends on its prompt alone, not on the answers sampled before it
    first = "".join(tiny_model.stream(MESSAGES, max_tokens=12, temperature=1.5))
    other = [{"role": "user", "content": "Altro."}]
    for _ in range(3):
        "".join(tiny_model.stream(other, max_tokens=12, temperature=1.5))
    assert first == "".join(tiny_model.stream(MESSAGES, max_tokens=12, temperature=1.5))


def test_llamacpp_reads_a_message_without_disturbing_the_chat(tiny_model):
    import numpy as np

    before = "".join(tiny_model.stream(MESSAGES, max_tokens=8, temperature=0.0))
    reader = tiny_model.reader
    assert reader is tiny_model.reader and reader.name == "llamacpp:tiny"
    x = reader.read(["Scrivimi una poesia sul mare.", "Perché scrivi a mano?", "Perché scrivi a mano?"])
    assert x.shape == (3, 64) and x.dtype == np.float32 and reader.dim == 64
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert np.allclose(x[1], x[2]) and not np.allclose(x[0], x[1])  # the same text reads the same
    assert reader.read(["x" * 20_000]).shape == (1, 64)  # a long text is cut, not refused
    assert "".join(tiny_model.stream(MESSAGES, max_tokens=8, temperature=0.0)) == before


def test_a_model_whose_weight_layouts_crash_the_machine_is_opened_with_the_plain_one(tiny_gguf, monkeypatch):
    import llama_cpp.llama_cpp as lib

    from erre.llm import llamacpp

    default = lib.llama_model_default_params
    monkeypatch.setattr(llamacpp, "extra_layouts_safe", lambda path: False)
    model = llamacpp.LlamaCppModel(tiny_gguf, context=512, threads=1)
    assert model._llm.model_params.use_extra_bufts is False
    assert "".join(model.stream(MESSAGES, max_tokens=4, temperature=0.0))  # it runs
    assert model.reader.read(["Perché scrivi a mano?"]).shape == (1, 64)
    assert model.reader._llm.model_params.use_extra_bufts is False
    assert lib.llama_model_default_params is default and default().use_extra_bufts  # only while opening
    monkeypatch.setattr(llamacpp, "extra_layouts_safe", lambda path: True)
    assert llamacpp.LlamaCppModel(tiny_gguf, context=512, threads=1)._llm.model_params.use_extra_bufts


def test_the_weight_layouts_are_tried_in_a_child_process_only_where_the_cpu_lists_amx(tiny_gguf, tmp_path,
                                                                                        monkeypatch):
    from erre.llm import llamacpp

    def probes_forbidden(*a, **k):
        raise AssertionError("no child process expected")

    monkeypatch.setattr(llamacpp, "_SAFE", {})
    monkeypatch.setattr(llamacpp, "_cpu", lambda: ("Some CPU", {"avx2", "fma"}))
    monkeypatch.setattr(llamacpp.subprocess, "run", probes_forbidden)
    assert llamacpp.extra_layouts_safe(tiny_gguf, tmp_path / "a.json") and not (tmp_path / "a.json").exists()
    monkeypatch.undo()

    monkeypatch.setattr(llamacpp, "_SAFE", {})
    monkeypatch.setattr(llamacpp, "_cpu", lambda: ("Some CPU", {"avx512f", "amx_tile", "amx_int8"}))
    assert llamacpp.extra_layouts_safe(tiny_gguf, tmp_path / "b.json")  # a real child ran the model and lived
    assert list(json.loads((tmp_path / "b.json").read_text()).values()) == [True]
    # a child killed by a signal, as by the AMX fault: the plain layout, remembered across processes
    monkeypatch.setattr(llamacpp, "_SAFE", {})
    monkeypatch.setattr(llamacpp, "_PROBE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert not llamacpp.extra_layouts_safe(tiny_gguf, tmp_path / "c.json")
    monkeypatch.setattr(llamacpp, "_SAFE", {})
    monkeypatch.setattr(llamacpp.subprocess, "run", probes_forbidden)
    assert not llamacpp.extra_layouts_safe(tiny_gguf, tmp_path / "c.json")  # read back, not tried again


def test_llamacpp_count_is_the_rendered_prompt(tiny_model):
    base = tiny_model.count(MESSAGES)
    longer = [*MESSAGES[:1], {"role": "user", "content": MESSAGES[1]["content"] + " il la di e che" * 10}]
    assert base > 10  # template tokens included, not just the words
    assert tiny_model.count(longer) > base + 40


def test_llamacpp_refuses_a_prompt_over_its_context(tiny_model):
    huge = [{"role": "user", "content": "parola " * 3000}]
    assert tiny_model.count(huge) > tiny_model.context
    with pytest.raises(BackendError, match="do not fit"):
        list(tiny_model.stream(huge, max_tokens=10, temperature=0.0))


def test_llamacpp_names_a_file_that_is_not_a_model(tmp_path):
    pytest.importorskip("llama_cpp")
    from erre.llm.llamacpp import LlamaCppModel

    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model")
    with pytest.raises(BackendError, match="notes.gguf"):
        LlamaCppModel(bad)


def test_a_missing_model_file_says_how_to_set_one(tmp_path):
    from erre.llm import models

    with pytest.raises(ConfigError, match="llm.model"):
        models.resolve(str(tmp_path / "missing.gguf"), tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tiny_gguf):
    """llama.cpp's OpenAI-compatible server, on loopback, with an API key."""
    pytest.importorskip("sse_starlette")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_gguf), "--host", "127.0.0.1",
         "--port", str(port), "--api_key", "test-key", "--n_ctx", "2048", "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/models", headers={"Authorization": "Bearer test-key"}).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("llama.cpp server did not start")
    yield base
    proc.terminate()
    proc.wait(10)


def test_openai_backend_streams_from_a_real_server(llama_server, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "test-key")
    model = openai_compat.OpenAIChatModel(llama_server, "tiny", api_key_env="TEST_LLM_KEY", context=2048)
    pieces = list(model.stream(MESSAGES, max_tokens=6, temperature=0.0))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert model.count(MESSAGES) > 0


def test_openai_backend_reports_a_refused_key(llama_server, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "wrong")
    model = openai_compat.OpenAIChatModel(llama_server, "tiny", api_key_env="TEST_LLM_KEY")
    with pytest.raises(BackendError, match="401"):
        list(model.stream(MESSAGES, max_tokens=4, temperature=0.0))


def test_openai_backend_says_when_nothing_listens():
    model = openai_compat.OpenAIChatModel(f"http://127.0.0.1:{_free_port()}/v1", "m", timeout=2)
    with pytest.raises(BackendError, match="Is it running"):
        list(model.stream(MESSAGES, max_tokens=4, temperature=0.0))


def test_openai_backend_needs_a_url_and_a_model():
    with pytest.raises(ConfigError, match="--base-url"):
        openai_compat.OpenAIChatModel("", "")


@pytest.mark.parametrize("line, piece", [
    ('data: {"choices": [{"delta": {"content": "Ciao"}}]}', "Ciao"),
    ('data: {"choices": [{"delta": {"role": "assistant"}}]}', ""),
    ("data: [DONE]", None),
    (": keep-alive", ""),
    ("", ""),
])
def test_sse_lines(line, piece):
    assert openai_compat._piece(line, "x") == piece


def test_sse_error_event_is_reported():
    with pytest.raises(BackendError, match="overloaded"):
        openai_compat._piece('data: {"error": {"message": "overloaded"}}', "x")


def test_llamacpp_reuses_the_fixed_prefix_of_the_previous_prompt(tiny_gguf):
    # the rules and card come first in every prompt: a second question pays only for the rest,
    # and writes what a model without the cache writes
    import llama_cpp

    from erre.llm.llamacpp import LlamaCppModel

    rules = {"role": "system", "content": "Sei Lucia. Rispondi solo dai passaggi. " * 8}
    first = [rules, {"role": "user", "content": "Passaggi: il quaderno. Domanda: perché scrivi a mano?"}]
    second = [rules, {"role": "user", "content": "Passaggi: la penna. Domanda: da quando usi la stilografica?"}]
    warm = LlamaCppModel(tiny_gguf, context=2048, threads=2)

    def processed() -> int:  # prompt tokens llama.cpp itself ran, by its own counter
        return llama_cpp.llama_perf_context(warm._llm._ctx.ctx).n_p_eval

    "".join(warm.stream(first, max_tokens=4, temperature=0.0))
    before = processed()
    out = "".join(warm.stream(second, max_tokens=12, temperature=0.7))
    ran = processed() - before
    assert warm.usage["prompt_tokens"] == warm.count(second)
    fixed = warm.count([rules])
    assert warm.usage["cached_tokens"] >= fixed - 4  # the system turn, up to where the user turn starts
    assert ran == warm.usage["prompt_tokens"] - warm.usage["cached_tokens"] < warm.usage["prompt_tokens"] - fixed + 8
    cold = LlamaCppModel(tiny_gguf, context=2048, threads=2)
    assert "".join(cold.stream(second, max_tokens=12, temperature=0.7)) == out
    assert cold.usage["cached_tokens"] == 0
