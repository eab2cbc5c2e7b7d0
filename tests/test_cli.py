"""The `erre` command end to end, in a subprocess, on the sample corpus and a question file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from .conftest import write


def erre(*args, home=None, check=True):
    cmd = [sys.executable, "-m", "erre.cli", *args] + (["--home", str(home)] if home else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stderr)
    return proc


def test_init_ingest_search_status_eval(tmp_path):
    home = tmp_path / "lucia"
    assert "ready" in erre("init", "lucia", "--name", "Lucia Ferri", home=home).stdout
    out = json.loads(erre("ingest", "--sample", "--json", home=home).stdout)
    assert out["added"] == 7 and out["errors"] == [] and {"source": "README.md", "reason": "draft"} in out["skipped"]
    again = json.loads(erre("ingest", "--sample", "--json", home=home).stdout)
    assert again["added"] == 0 and again["unchanged"] == out["files"]

    hits = json.loads(erre("search", "Chi era la signora Rina?", "--json", "-k", "2", home=home).stdout)
    assert hits[0]["source"] == "note/biblioteca-di-quartiere.html"
    assert {"score", "dense", "lexical", "title", "page", "url", "start", "end"} <= set(hits[0])
    text = erre("search", "Chi era la signora Rina?", home=home).stdout
    assert text.startswith("[1] La biblioteca di quartiere")

    status = json.loads(erre("status", "--json", home=home).stdout)
    assert status["documents"] == out["documents"] and status["languages"]["it"] > 0
    assert status["embedder"].startswith("e5:")
    assert list(status["roots"].values()) == [out["files"]]
    assert "Languages:  it" in erre("status", home=home).stdout

    questions = write(tmp_path / "q.jsonl",
                      '{"question": "Chi era la signora Rina?", "sources": ["note/biblioteca-di-quartiere.html"]}\n'
                      '{"question": "Why open models?", "sources": ["_posts/2024-03-20-modelli-aperti.md"]}\n')
    result = json.loads(erre("eval", "retrieval", str(questions), "--json", home=home).stdout)
    assert result["questions"] == 2 and result["recall@5"] == 1.0


def test_errors_are_one_line_with_what_to_do(tmp_path):
    proc = erre("search", "x", home=tmp_path / "nessuno", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("erre: No twin in") and "erre init" in proc.stderr
    home = tmp_path / "vuoto"
    erre("init", "vuoto", home=home)
    proc = erre("search", "x", home=home, check=False)
    assert "No index" in proc.stderr and "erre ingest" in proc.stderr
    proc = erre("ingest", str(tmp_path / "non-esiste"), home=home, check=False)
    assert proc.returncode == 1 and "Not found" in proc.stderr


def test_home_from_environment(tmp_path, monkeypatch):
    home = tmp_path / "env-twin"
    erre("init", "x", home=home)
    monkeypatch.setenv("ERRE_HOME", str(home))
    assert "env-twin" in erre("config").stdout


def test_question_file_errors_name_the_line(tmp_path):
    home = tmp_path / "t"
    erre("init", "t", home=home)
    bad = write(tmp_path / "bad.jsonl", '{"question": "x", "sources": ["a.md"]}\n[1, 2]\n')
    proc = erre("eval", "retrieval", str(bad), home=home, check=False)
    assert proc.returncode == 1 and "line 2: expected a JSON object" in proc.stderr


def _sample(tmp_path, checks: bool = False):
    """The sample twin. The random-weight model writes noise, which the answer checks would
    refuse by chance of the prompt's bytes: the commands' plumbing is tested without them."""
    from erre import config

    home = tmp_path / "lucia"
    erre("init", "lucia", "--name", "Lucia Ferri", home=home)
    (home / config.CONFIG_FILE).write_text(
        config.render(config.load(home, env={}).with_(chat_checks=checks)), encoding="utf-8")
    erre("ingest", "--sample", home=home)
    return home


def test_ask_json_prints_one_answer_object(tmp_path, tiny_gguf):
    home = _sample(tmp_path)
    out = json.loads(erre("ask", "Perché scrivi ancora a mano?", "--json", "--model", str(tiny_gguf),
                          home=home).stdout)
    assert set(out) == {"answer", "abstained", "language", "citations", "timings", "style"}
    assert out["style"] is None  # no style model trained
    assert out["abstained"] is False and out["language"] == "it"
    assert out["citations"] and set(out["citations"][0]) == {"n", "source", "title", "url", "page", "date", "quote",
                                                             "score"}
    assert out["citations"][0]["date"] == "2023-02-14"
    assert out["citations"][0]["source"] == "_posts/2023-02-14-perche-scrivo-a-mano.md"
    assert set(out["timings"]) >= {"retrieve_ms", "first_token_ms", "total_ms"}

    never = json.loads(erre("ask", "Who won the World Cup in 1982?", "--json", "--model", str(tiny_gguf),
                            home=home).stdout)
    assert never["abstained"] and never["language"] == "en" and never["citations"] == []

    text = erre("ask", "Perché scrivi ancora a mano?", "--model", str(tiny_gguf), home=home).stdout
    assert "\nSources\n[" in text and "perche-scrivo-a-mano.md" in text


def test_chat_stores_the_conversation_and_resumes_it(tmp_path, tiny_gguf):
    home = _sample(tmp_path)
    cmd = [sys.executable, "-m", "erre.cli", "chat", "--model", str(tiny_gguf), "--home", str(home)]
    proc = subprocess.run(cmd, input="Perché scrivi ancora a mano?\n/sources\nE quando?\n/reset\n/quit\n",
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Sources") >= 2 and "New conversation." in proc.stdout
    listed = erre("chat", "--list", home=home).stdout.splitlines()
    assert len(listed) == 1 and "4 messages" in listed[0] and "Perché scrivi ancora a mano?" in listed[0]
    resumed = subprocess.run(cmd + ["--resume", "last"], input="/quit\n", capture_output=True, text=True,
                             timeout=300)
    assert "Resumed" in resumed.stdout and "(4 messages)" in resumed.stdout


def test_ask_without_a_model_or_server_says_what_to_do(tmp_path):
    home = _sample(tmp_path)
    proc = erre("ask", "Perché scrivi a mano?", "--model", str(tmp_path / "none.gguf"), home=home, check=False)
    assert proc.returncode == 1 and "Model file not found" in proc.stderr and "Traceback" not in proc.stderr
    proc = erre("ask", "Perché scrivi a mano?", "--llm", "openai", home=home, check=False)
    assert proc.returncode == 1 and "--base-url" in proc.stderr


def test_eval_answers_reports_citations_answers_and_abstention(tmp_path, tiny_gguf):
    home = _sample(tmp_path)
    qs = write(tmp_path / "q.jsonl", "\n".join(json.dumps(q) for q in [
        {"question": "Perché scrivi ancora a mano?", "sources": ["_posts/2023-02-14-perche-scrivo-a-mano.md"],
         "keywords": ["zzzz-never"]},
        {"question": "Chi ha vinto il campionato di Serie A nel 1998?", "kind": "unanswerable"},
    ]))
    out = json.loads(erre("eval", "answers", str(qs), "--json", "--model", str(tiny_gguf),
                          "--out", str(tmp_path / "a.jsonl"), home=home).stdout)
    assert out["questions"] == 2 and out["citation_hit"] == 1.0 and out["answer_hit"] == 0.0
    assert out["abstention"] == 1.0 and out["false_abstention"] == 0.0
    assert out["first_token_ms_p50"] is not None
    records = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert [r["abstained"] for r in records] == [False, True]


def test_on_a_terminal_ask_says_what_the_twin_reads_before_it_writes():
    from erre import cli
    from erre.chat import Reading
    from erre.documents import Citation

    c = Citation(n=1, source="a.md", title="Perché scrivo a mano", url=None, page=None, quote="", score=0.9,
                 passage_id=1, start=0, end=10, date="2023-02-14")
    undated = Citation(n=2, source="b.md", title="Note", url=None, page=None, quote="", score=0.8,
                       passage_id=2, start=0, end=10, date=None)
    assert cli._reading(Reading((c, undated), "it")) == "Sto leggendo «Perché scrivo a mano» (2023), «Note» e scrivo…"
    assert cli._reading(Reading((c,), "en")) == "Reading «Perché scrivo a mano» (2023) and writing…"
