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
