"""Answer-evaluation metrics and question files."""

from __future__ import annotations

import json

import pytest

from erre.errors import ErreError
from erre.eval import answers
from tests.conftest import write


@pytest.mark.parametrize("text, expected, prefix, hit", [
    ("Sono nato a Cagliari [1].", ("cagliari",), False, True),
    ("Il 40% della ricchezza", ("40%",), False, True),
    ("Erano 230 paesi", ("23",), False, False),  # an answer matches whole words only
    ("Mixtral uses experts [2].", ("expert",), True, True),  # a keyword matches word starts
    ("Perché è così", ("perche",), False, True),  # accents and case folded
    ("Nulla", ("Cagliari",), False, False),
])
def test_expected_answers_and_keywords(text, expected, prefix, hit):
    assert answers.contains(text, expected, prefix=prefix) is hit


@pytest.mark.parametrize("gold, source, hit", [
    ({"essays/worked.md"}, "worked.md", True),
    ({"worked.md"}, "essays/worked.md", True),
    ({"posts/a.md"}, "posts/a.md", True),
    ({"essays/worked.md"}, "networked.md", False),
])
def test_cited_sources_match_by_path_suffix(gold, source, hit):
    assert answers.source_hit(frozenset(gold), source) is hit


def test_token_f1():
    assert answers.token_f1("a b c", "a b c") == 1.0
    assert answers.token_f1("a b", "c d") == 0.0
    assert 0 < answers.token_f1("the first computer was an IBM 1401", "an IBM 1401 in 9th grade") < 1


def test_question_files_accept_every_gold_field(tmp_path):
    path = write(tmp_path / "q.jsonl", "\n".join(json.dumps(q) for q in [
        {"id": "a", "question": "Q1?", "sources": ["x.md"], "keywords": ["k"]},
        {"question": "Q2?", "passage_id": "p-1", "answers": ["23"]},
        {"question": "Q3?", "essay_path": "essays/worked.md", "reference_answer": "ref"},
        {"question": "Q4?", "kind": "unanswerable"},
    ]))
    items = answers.load(path)
    assert [i.sources for i in items] == [frozenset({"x.md"}), frozenset({"p-1"}),
                                          frozenset({"essays/worked.md"}), frozenset()]
    assert [i.answerable for i in items] == [True, True, True, False]
    assert items[0].prefix and not items[1].prefix and items[2].reference == "ref"
    assert len(answers.load(path, limit=2, seed=3)) == 2


@pytest.mark.parametrize("line, message", [
    ("not json", "not valid JSON"),
    ('{"q": 1}', "'question'"),
    ('{"question": "x", "kind": "maybe"}', "kind"),
    ('{"question": "x", "sources": "a.md"}', "lists"),
])
def test_bad_question_lines_are_named(tmp_path, line, message):
    path = write(tmp_path / "q.jsonl", line)
    with pytest.raises(ErreError, match=message):
        answers.load(path)
