"""Plain text: paragraphs are separated by blank lines; a short first line is the title. A
first line that is a dateline ("Bologna, 12 marzo 2016") gives the date, and the title is
the line after it."""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document, Paragraph, assemble
from . import dates, decode, title_from_name


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
            if p.strip()]


def load(path: Path, data: bytes, source: str, options) -> list[Document]:
    paras = paragraphs(decode(data, source))
    date = None
    if len(paras) > 1 and "\n" not in paras[0] and len(paras[0]) <= dates.LINE_CHARS:
        date = dates.in_first_lines(paras[0])
        if date:
            paras = paras[1:]
    title = title_from_name(path)
    if paras and "\n" not in paras[0] and len(paras[0]) <= 100 and not paras[0].endswith("."):
        title = paras[0].strip("# ")
    return [assemble(source, title, [Paragraph(p) for p in paras], format="text", date=date)]
