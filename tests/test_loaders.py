"""Each loader on small files written here; bad files are named with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from erre import ingest
from erre.ingest import Options

from .conftest import write


def read_one(path: Path, source: str | None = None, **opts):
    result = ingest.read(path, source or path.name, options=Options(**opts))
    assert not result.errors, result.errors
    assert len(result.documents) == 1
    return result.documents[0]


def block_texts(doc):
    return [(doc.text[b.start:b.end], b.heading) for b in doc.blocks]


JEKYLL = """---
layout: post
title:  "Perché scrivo a mano"
date:   2023-02-14
tags: [scrittura, metodo]
permalink: /perche-scrivo/
---
Ogni mattina scrivo **due pagine** di un [quaderno](https://example.org).

![foto](/images/quaderno.jpg)

{% highlight python %}
## Il quaderno

Nel quaderno non correggo niente.

### Le frasi storte

- restano lì
- suggeriscono idee

<!-- commento nascosto -->
"""


def test_markdown_front_matter_and_heading_path(tmp_path):
    doc = read_one(write(tmp_path / "2023-02-14-perche.md", JEKYLL))
    assert doc.title == "Perché scrivo a mano"
    assert doc.date == "2023-02-14"
    assert doc.tags == ("scrittura", "metodo")
    assert doc.url == "/perche-scrivo/"
    assert doc.language == "it"
    blocks = block_texts(doc)
    assert blocks[0] == ("Ogni mattina scrivo due pagine di un quaderno.", ())
    assert ("Nel quaderno non correggo niente.", ("Il quaderno",)) in blocks
    assert ("- restano lì\n- suggeriscono idee", ("Il quaderno", "Le frasi storte")) in blocks
    for hidden in ("highlight", "commento", "foto", "**", "images"):
        assert hidden not in doc.text


def test_markdown_drafts_skipped_unless_included(tmp_path):
    path = write(tmp_path / "bozza.md", "---\ntitle: Bozza\ndraft: true\n---\nTesto provvisorio.\n")
    result = ingest.read(path, "bozza.md")
    assert result.documents == [] and result.skipped == [("bozza.md", "draft")]
    assert read_one(path, include_drafts=True).title == "Bozza"


def test_markdown_hugo_toml_and_jekyll_name_date(tmp_path):
    doc = read_one(write(tmp_path / "2021-05-03-un-titolo.markdown",
                         "+++\ntitle = \"Hugo\"\nurl = \"/hugo/\"\n+++\nCorpo del testo.\n"))
    assert (doc.title, doc.url, doc.date) == ("Hugo", "/hugo/", "2021-05-03")
    doc = read_one(write(tmp_path / "2021-05-03-senza-titolo.md", "Solo testo, nessun titolo.\n"))
    assert doc.title == "senza titolo" and doc.date == "2021-05-03"


def test_text_in_latin1_with_spaces_and_accents_in_name(tmp_path):
    text = "Città e perché\n\nÈ una nota scritta in latin-1, con accenti: però funziona.\n"
    path = write(tmp_path / "note varie" / "città vecchia.txt", text.encode("latin-1"))
    doc = read_one(path, "note varie/città vecchia.txt")
    assert doc.title == "Città e perché"
    assert "però funziona" in doc.text
    assert doc.source == "note varie/città vecchia.txt"


HTML = """<!DOCTYPE html><html lang="it"><head><meta charset="utf-8">
<title>La biblioteca | Blog</title></head><body>
<nav><a href="/">Home</a> <a href="/archivio">Archivio del sito</a></nav>
<article><h1>La biblioteca</h1>
<p>Da bambina passavo i pomeriggi nella biblioteca di quartiere, due stanze sopra la farmacia,
e la bibliotecaria non consigliava mai un libro a nessuno dei bambini che entravano.</p>
<h2>Una lezione di metodo</h2>
<p>Ho capito più tardi che era una lezione di metodo: non dava risposte, insegnava a cercarle,
e questa è la cosa che provo a fare ogni giorno con i miei studenti a scuola.</p>
</article><footer>Tutti i diritti riservati, informativa sui cookie</footer></body></html>"""


def test_html_keeps_main_text_and_headings_not_navigation(tmp_path):
    doc = read_one(write(tmp_path / "pagina.html", HTML))
    assert "La biblioteca" in doc.title
    assert "bibliotecaria" in doc.text and "insegnava a cercarle" in doc.text
    assert "Archivio del sito" not in doc.text and "cookie" not in doc.text
    assert any(h and h[-1] == "Una lezione di metodo" for _, h in block_texts(doc))


def test_pdf_keeps_page_numbers(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Libro di prova")
    pdf.set_font("helvetica", size=12)
    for text in ["Prima pagina: il quaderno a righe.", "Seconda pagina: la biblioteca."]:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    path = tmp_path / "libro.pdf"
    pdf.output(str(path))
    doc = read_one(path)
    assert doc.title == "Libro di prova"
    pages = {doc.text[b.start:b.end]: b.page for b in doc.blocks}
    assert pages == {"Prima pagina: il quaderno a righe.": 1, "Seconda pagina: la biblioteca.": 2}


def test_epub_keeps_chapter_titles(tmp_path):
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("id-1")
    book.set_title("Il libro")
    book.set_language("it")
    chapters = []
    for i, (title, body) in enumerate([("Capitolo primo", "Il quaderno a righe."),
                                       ("Capitolo secondo", "La biblioteca di quartiere.")], 1):
        c = epub.EpubHtml(title=title, file_name=f"c{i}.xhtml", lang="it")
        c.content = f"<html><body><h1>{title}</h1><p>{body}</p></body></html>"
        book.add_item(c)
        chapters.append(c)
    book.toc = chapters
    book.spine = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    path = tmp_path / "libro.epub"
    epub.write_epub(str(path), book)
    doc = read_one(path)
    assert doc.title == "Il libro"
    blocks = dict(block_texts(doc))
    assert blocks["Il quaderno a righe."] == ("Capitolo primo",)
    assert blocks["La biblioteca di quartiere."] == ("Capitolo secondo",)


def test_docx_headings_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Appunti", level=0)
    d.add_heading("Metodo", level=1)
    d.add_paragraph("Scrivo a mano ogni mattina.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "lunedì"
    table.rows[0].cells[1].text = "quaderno"
    path = tmp_path / "appunti.docx"
    d.save(str(path))
    doc = read_one(path)
    assert doc.title == "Appunti"
    blocks = dict(block_texts(doc))
    assert blocks["Scrivo a mano ogni mattina."] == ("Metodo",)
    assert blocks["lunedì | quaderno"] == ("Metodo",)


def test_jsonl_documents_and_a_bad_line(tmp_path):
    path = write(tmp_path / "export.jsonl",
                 '{"id": "p1", "title": "Uno", "text": "Primo testo.", "url": "https://x.it/1", "date": "2024-01-02"}\n'
                 "{not json}\n"
                 '{"id": "p2", "text": "Secondo testo."}\n'
                 '{"title": "senza id", "text": "x"}\n'
                 '{"id": "p3", "text": "  \\n "}\n')
    result = ingest.read(path, "export.jsonl")
    assert [d.source for d in result.documents] == ["p1", "p2"]
    assert result.documents[0].url == "https://x.it/1" and result.documents[0].date == "2024-01-02"
    assert result.documents[1].title == "p2"
    assert [e.path for e in result.errors] == ["export.jsonl line 2", "export.jsonl line 4", "export.jsonl line 5"]


@pytest.mark.parametrize("name, data, reason", [
    ("rotto.pdf", b"%PDF-1.4\n garbage that is not a pdf body", "PDF"),
    ("finto.pdf", b"hello, I am text", "not a PDF"),
    ("binario.txt", b"\x00\x01\x02\x03" * 100, "binary"),
    ("vuoto.md", b"   \n", "empty"),
    ("rotto.docx", b"PK\x03\x04 not really a zip", "DOCX"),
    ("rotto.epub", b"PK\x03\x04 not really a zip", "EPUB"),
    ("foto.jpg", b"\xff\xd8\xff", "unsupported"),
])
def test_bad_files_are_named_with_a_reason(tmp_path, name, data, reason):
    result = ingest.read(write(tmp_path / name, data), name)
    assert result.documents == []
    assert len(result.errors) == 1
    assert result.errors[0].path == name and reason in result.errors[0].reason


def test_too_large_file_is_refused(tmp_path):
    path = write(tmp_path / "grande.txt", "parola " * 400)
    result = ingest.read(path, "grande.txt", options=Options(max_bytes=1000))
    assert "too large" in result.errors[0].reason


def test_discover_skips_hidden_and_unsupported(tmp_path):
    for name in ("a.md", "b/c.txt", ".git/x.md", "d.png", ".nascosto.md", "e f/g à.html"):
        write(tmp_path / name, "x")
    found = [p.relative_to(tmp_path).as_posix() for p in ingest.discover(tmp_path)]
    assert found == ["a.md", "b/c.txt", "e f/g à.html"]
