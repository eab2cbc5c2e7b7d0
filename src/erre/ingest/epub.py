"""EPUB books: chapters in reading order, each chapter's title at the top of its heading path."""

from __future__ import annotations

import io
from pathlib import Path

from ..documents import Document, Paragraph, assemble
from ..errors import LoadError
from . import title_from_name
from .html import element_paragraphs


def load(path: Path, data: bytes, source: str, options) -> list[Document]:
    try:
        import ebooklib
        from ebooklib import epub
    except ImportError:  # pragma: no cover - a core dependency
        raise LoadError(source, "EPUB support needs: pip install ebooklib") from None
    import lxml.html

    try:
        book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    except Exception as e:
        raise LoadError(source, f"not a readable EPUB ({type(e).__name__}: {e})") from None
    titles = _toc_titles(book.toc)
    paras: list[Paragraph] = []
    for idref, _ in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        content = item.get_content()
        if not content.strip():
            continue
        try:
            root = lxml.html.fromstring(content)
        except Exception:
            continue
        body = root.find(".//body")
        chapter = titles.get(item.get_name())
        found = element_paragraphs(body if body is not None else root)
        if chapter:
            # the chapter title heads the path; drop a first heading that repeats it
            if found and found[0].text == chapter:
                found = found[1:]
            found = [Paragraph(p.text, p.heading if p.heading[:1] == (chapter,) else (chapter, *p.heading),
                               p.page) for p in found]
            paras.append(Paragraph(chapter, (chapter,)))
        paras.extend(found)
    meta = book.get_metadata("DC", "title")
    title = meta[0][0] if meta else title_from_name(path)
    date = book.get_metadata("DC", "date")
    lang = book.get_metadata("DC", "language")
    return [assemble(source, title, paras, format="epub",
                     date=date[0][0] if date else None,
                     language=lang[0][0][:2].lower() if lang else None)]


def _toc_titles(toc) -> dict[str, str]:
    """File name of each chapter -> its title in the table of contents."""
    out: dict[str, str] = {}
    for entry in toc:
        if isinstance(entry, tuple):  # (Section, [children])
            section, children = entry
            href = getattr(section, "href", None)
            if href:
                out.setdefault(href.split("#")[0], section.title)
            out.update({k: v for k, v in _toc_titles(children).items() if k not in out})
        elif getattr(entry, "href", None):
            out.setdefault(entry.href.split("#")[0], entry.title)
    return out
