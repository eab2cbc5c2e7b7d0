"""Chunk boundaries: structure first, sentences next, words last; exact spans; overlap."""

from __future__ import annotations

import pytest

from erre import chunk
from erre.documents import Paragraph, assemble


def words(n: int, start: int = 0) -> str:
    return " ".join(f"parola{i}" for i in range(start, start + n))


def doc_of(*paras: Paragraph):
    return assemble("doc.md", "Titolo", list(paras))


def count(text: str) -> int:  # one token per word keeps the arithmetic readable
    return len(text.split())


def test_every_chunk_is_an_exact_slice_within_budget():
    d = doc_of(*[Paragraph(f"{words(30, i * 30)}. Fine {i}.", ("Sezione", str(i // 3))) for i in range(9)])
    chunks = chunk.split(d, budget=80, overlap=10, count=count)
    assert len(chunks) > 1
    for c in chunks:
        assert d.text[c.start:c.end] == c.text
        assert count(c.text) <= 80
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_short_document_is_one_chunk():
    d = doc_of(Paragraph("Una frase."), Paragraph("Un'altra frase."))
    [c] = chunk.split(d, budget=50, count=count)
    assert c.text == "Una frase.\n\nUn'altra frase." and (c.start, c.end) == (0, len(d.text))


def test_paragraphs_are_packed_whole():
    paras = [Paragraph(words(20, i * 20) + ".") for i in range(5)]
    chunks = chunk.split(doc_of(*paras), budget=45, overlap=0, count=count)
    assert [len(c.text.split()) for c in chunks] == [40, 40, 20]
    assert all(c.text.endswith(".") for c in chunks)


def test_long_paragraph_splits_between_sentences():
    text = " ".join(f"Frase numero {i} con qualche parola in più." for i in range(20))
    chunks = chunk.split(doc_of(Paragraph(text)), budget=30, overlap=0, count=count)
    assert len(chunks) > 1
    assert all(c.text.startswith("Frase") and c.text.endswith("più.") for c in chunks)


def test_long_sentence_splits_between_words():
    chunks = chunk.split(doc_of(Paragraph(words(100))), budget=30, overlap=0, count=count)
    assert [count(c.text) for c in chunks] == [30, 30, 30, 10]
    assert " ".join(c.text for c in chunks) == words(100)


def test_chunks_do_not_cross_headings_once_big_enough():
    d = doc_of(Paragraph(words(40) + ".", ("Uno",)), Paragraph(words(20, 40) + ".", ("Due",)))
    chunks = chunk.split(d, budget=100, overlap=10, count=count)
    assert [c.heading for c in chunks] == [("Uno",), ("Due",)]
    assert chunks[1].start > chunks[0].end  # no overlap across a heading


def test_small_sections_are_merged():
    d = doc_of(Paragraph("Uno", ("Uno",)), Paragraph("Breve.", ("Uno",)), Paragraph("Due", ("Due",)),
               Paragraph(words(50) + ".", ("Due",)))
    chunks = chunk.split(d, budget=100, overlap=0, count=count)
    assert len(chunks) == 1 and chunks[0].heading == ("Uno",)


def test_overlap_repeats_the_last_sentences():
    sentences = [f"Frase {i} del paragrafo lungo." for i in range(30)]
    chunks = chunk.split(doc_of(Paragraph(" ".join(sentences))), budget=40, overlap=12, count=count)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # they share text
        shared = a.text[b.start - a.start:]
        assert b.text.startswith(shared) and 0 < count(shared) <= 12


def test_page_and_heading_travel_with_the_chunk():
    d = doc_of(Paragraph(words(30) + ".", ("Cap. 1",), page=3), Paragraph(words(30, 30) + ".", ("Cap. 2",), page=4))
    chunks = chunk.split(d, budget=35, overlap=0, count=count)
    assert [(c.page, c.heading) for c in chunks] == [(3, ("Cap. 1",)), (4, ("Cap. 2",))]


@pytest.mark.parametrize("text, expected", [
    ("Uno. Due! Tre? Quattro", ["Uno.", "Due!", "Tre?", "Quattro"]),
    ("Disse «basta.» Poi uscì.", ["Disse «basta.»", "Poi uscì."]),
    ("riga uno\nriga due", ["riga uno", "riga due"]),
    ("v. 3.14 e 2.5 restano", ["v.", "3.14 e 2.5 restano"]),
])
def test_sentences(text, expected):
    assert [text[a:b] for a, b in chunk.sentences(text)] == expected


def test_units_join_short_sentences():
    d = doc_of(Paragraph("Sì. " + words(10) + ". Breve. " + words(9) + "."))
    [c] = chunk.split(d, budget=100, count=count)
    units = [d.text[a:b] for a, b in chunk.units(c)]
    assert units == ["Sì. " + words(10) + ".", "Breve. " + words(9) + "."]


def test_tiny_budget_is_refused():
    with pytest.raises(ValueError):
        chunk.split(doc_of(Paragraph("x")), budget=4)
