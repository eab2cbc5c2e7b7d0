"""Fuzzing with hypothesis: every loader on random and mutated files, the question-set JSONL
parser and the API's request parsers on arbitrary JSON. Nothing may crash: a bad file is an
error naming it, a bad request a 400 error object, and what is loaded is consistent (every
block and chunk points at its own text)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erre import chunk, ingest
from erre.errors import ErreError

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])


def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Titolo", 1)
    d.add_paragraph("Un paragrafo con città, perché e caffè.")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.multi_cell(0, 10, "Una pagina di prova. Il quaderno a righe mi obbliga a rallentare.")
    return bytes(pdf.output())


def _epub() -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("x")
    book.set_title("Libro")
    book.set_language("it")
    ch = epub.EpubHtml(title="Uno", file_name="uno.xhtml", lang="it")
    ch.content = "<html><body><h1>Uno</h1><p>Il primo capitolo parla di quaderni.</p></body></html>"
    book.add_item(ch)
    book.toc = [ch]
    book.spine = ["nav", ch]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    out = io.BytesIO()
    epub.write_epub(out, book)
    return out.getvalue()


SEEDS = {
    ".md": "---\ntitle: Prova\ntags: [a, b]\ndate: 2024-01-02\n---\n# Titolo\n\nUn *paragrafo* con [link](http://x).\n\n"
           "- uno\n- due\n\n| a | b |\n|---|---|\n| 1 | 2 |\n".encode(),
    ".txt": "Titolo\n\nUn paragrafo di testo semplice.\n\nUn altro, con accenti: è, à, ù.\n".encode(),
    ".html": b"<html><head><title>T</title></head><body><article><h1>T</h1><p>Un paragrafo &amp; altro.</p>"
             b"<ul><li>uno</li></ul><script>x()</script></article></body></html>",
    ".jsonl": b'{"id": "a", "title": "A", "text": "Il primo testo."}\n{"id": "b", "text": "Il secondo."}\n',
}


def _seed(suffix: str) -> bytes:
    if suffix not in SEEDS:
        SEEDS[suffix] = {".docx": _docx, ".pdf": _pdf, ".epub": _epub}[suffix]()
    return SEEDS[suffix]


@st.composite
def mutated(draw, suffix: str) -> bytes:
    """A valid file of the format with bytes flipped, cut, repeated or inserted, or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=4000))
    data = bytearray(_seed(suffix))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 200))] * draw(st.integers(1, 20))
        else:
            del data[at:]
    return bytes(data)


def _check(result: ingest.Result, source: str) -> None:
    assert all(e.path == source or e.path.startswith(source) for e in result.errors)
    for d in result.documents:
        assert d.text.strip()
        for b in d.blocks:
            assert 0 <= b.start <= b.end <= len(d.text)
        for c in chunk.split(d, budget=60, overlap=10):
            assert d.text[c.start:c.end] == c.text and c.text.strip()


@pytest.mark.parametrize("suffix", [".md", ".txt", ".html", ".jsonl", ".docx", ".pdf", ".epub"])
def test_loaders_never_crash_on_mutated_files(suffix, tmp_path):
    path = tmp_path / f"file{suffix}"

    @FUZZ
    @given(data=mutated(suffix))
    def run(data: bytes) -> None:
        result = ingest.read(path, path.name, data)
        _check(result, path.name)
        assert result.documents or result.errors or result.skipped

    run()


def test_a_valid_seed_of_each_format_loads(tmp_path):
    for suffix in [".md", ".txt", ".html", ".jsonl", ".docx", ".pdf", ".epub"]:
        result = ingest.read(tmp_path / f"f{suffix}", f"f{suffix}", _seed(suffix))
        assert result.documents and not result.errors, (suffix, result.errors)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                        max_size=4), max_leaves=12)
messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool", 3]),
                                           "content": json_values | st.text(max_size=60)}), max_size=5)


@FUZZ
@given(value=json_values | messages)
def test_the_api_message_parser_returns_a_question_or_a_400(value):
    from erre.server.api import _conversation
    from erre.server.errors import ApiError

    try:
        question, history = _conversation(value)
    except ApiError as e:
        assert e.status == 400 and str(e)
        return
    assert isinstance(question, str) and question.strip()
    assert all(t.role in ("user", "assistant") for t in history)


@FUZZ
@given(lines=st.lists(json_values.map(json.dumps) | st.text(max_size=80), min_size=0, max_size=6))
def test_the_question_set_parser_returns_items_or_a_clear_error(lines, tmp_path_factory):
    from erre.eval import answers

    path = Path(tmp_path_factory.mktemp("q")) / "q.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        items = answers.load(path)
    except ErreError as e:
        assert str(path) in str(e) or "line" in str(e)
        return
    assert items and all(i.question.strip() for i in items)


def test_requests_with_random_bodies_get_error_objects_and_the_server_lives(serve):
    import httpx

    from tests.conftest import ScriptedModel

    s = serve(ScriptedModel())
    cookies = httpx.get(s.url + "/").cookies
    cid = httpx.post(s.url + "/api/conversations", json={}, cookies=cookies).json()["id"]
    seen: dict[int, int] = {}

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()) |
           messages.map(lambda m: json.dumps({"messages": m, "stream": False}).encode()),
           route=st.sampled_from(["/v1/chat/completions", f"/api/conversations/{cid}/messages",
                                  "/api/conversations"]))
    def run(body: bytes, route: str) -> None:
        r = httpx.post(s.url + route, content=body, cookies=cookies, headers={"Content-Type": "application/json"})
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (route, body, r.text)
        if r.status_code >= 400:
            assert r.json()["error"]["message"]

    run()
    assert httpx.get(s.url + "/health").status_code == 200
    assert seen.get(400, 0) > 0
