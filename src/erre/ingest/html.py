"""HTML pages: the main text, without navigation, menus or footers (trafilatura), with its
headings kept as the heading path of the paragraphs under them."""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document, Paragraph, assemble
from ..errors import LoadError
from . import decode, title_from_name
from .markdown import parse

_BLOCKS = {"p", "li", "pre", "blockquote", "dd", "dt", "td", "th", "figcaption", "caption"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template"}


def load(path: Path, data: bytes, source: str, options) -> list[Document]:
    import trafilatura

    html = decode(data, source)
    meta = trafilatura.extract_metadata(html)
    markdown = trafilatura.extract(html, output_format="markdown", include_comments=False,
                                   include_tables=True, include_images=False, include_links=False,
                                   favor_recall=True)
    paras = parse(markdown)[0] if markdown else []
    if not paras:  # pages too small for trafilatura's main-text heuristics
        paras = element_paragraphs(_root(html, source))
    title = (meta.title if meta and meta.title else None) or _title_tag(html) or title_from_name(path)
    return [assemble(source, title.strip(), paras, format="html",
                     date=meta.date if meta and meta.date else None,
                     url=meta.url if meta and meta.url else None,
                     language=(meta.language or None) if meta else None)]


def _root(html: str, source: str):
    import lxml.html

    try:
        return lxml.html.fromstring(html)
    except Exception as e:
        raise LoadError(source, f"not readable HTML ({e})") from None


def _title_tag(html: str) -> str | None:
    m = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
    if not m:
        return None
    import html as htmllib

    return htmllib.unescape(re.sub(r"\s+", " ", m.group(1))).strip() or None


def element_paragraphs(root, outer: tuple[str, ...] = ()) -> list[Paragraph]:
    """Paragraphs and headings of an lxml element tree, in document order."""
    paras: list[Paragraph] = []
    path: list[tuple[int, str]] = []

    def heading() -> tuple[str, ...]:
        return outer + tuple(h for _, h in path)

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.split("}")[-1].lower()
        if tag in _SKIP:
            return
        if tag in _HEADINGS:
            text = _text(el)
            if text:
                level = _HEADINGS[tag]
                while path and path[-1][0] >= level:
                    path.pop()
                path.append((level, text))
                paras.append(Paragraph(text, heading()))
            return
        if tag in _BLOCKS and not any(
                (c.tag if isinstance(c.tag, str) else "").split("}")[-1].lower() in _BLOCKS | set(_HEADINGS)
                for c in el.iter() if c is not el):
            text = el.text_content() if tag == "pre" else _text(el)
            if text.strip():
                paras.append(Paragraph(text.strip(), heading()))
            return
        if el.text and el.text.strip() and tag not in ("html", "head", "title"):
            paras.append(Paragraph(_clean(el.text), heading()))
        for child in el:
            walk(child)
            if child.tail and child.tail.strip() and tag not in ("html", "head"):
                paras.append(Paragraph(_clean(child.tail), heading()))

    walk(root)
    return paras


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _text(el) -> str:
    return _clean(el.text_content())
