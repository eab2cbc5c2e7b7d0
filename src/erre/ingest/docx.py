"""Word documents: paragraphs in order, "Heading N" styles as the heading path, tables by row."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from ..documents import Document, Paragraph, assemble
from ..errors import LoadError
from . import title_from_name


# the creation date python-docx's default template carries into every document made from it
PYTHON_DOCX_TEMPLATE = dt.datetime(2013, 12, 23, 23, 15)


def load(path: Path, data: bytes, source: str, options) -> list[Document]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:
        raise LoadError(source, f"not a readable DOCX ({type(e).__name__})") from None
    paras: list[Paragraph] = []
    path_: list[tuple[int, str]] = []
    title = document.core_properties.title or None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = [" | ".join(c.text.strip() for c in row.cells) for row in item.rows]
            text = "\n".join(r for r in rows if r.strip(" |"))
            if text:
                paras.append(Paragraph(text, tuple(h for _, h in path_)))
            continue
        if not isinstance(item, DocxParagraph):
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        if style == "Title":
            title = title or text
            continue
        if style.startswith("Heading"):
            try:
                level = int(style.split()[-1])
            except ValueError:
                level = 1
            while path_ and path_[-1][0] >= level:
                path_.pop()
            path_.append((level, text))
        paras.append(Paragraph(text, tuple(h for _, h in path_)))
    created = document.core_properties.created
    if created is not None and created.replace(tzinfo=None) == PYTHON_DOCX_TEMPLATE:
        created = None  # python-docx's blank template, not a writing date
    return [assemble(source, (title or title_from_name(path)).strip(), paras, format="docx",
                     date=created.date().isoformat() if created else None)]
