"""Plain text: paragraphs are separated by blank lines; a short first line is the title."""

from __future__ import annotations

import re
from pathlib import Path

from ..documents import Document, Paragraph, assemble
from . import decode, title_from_name


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
            if p.strip()]


def load(path: Path, data: bytes, source: str, options) -> list[Document]:
    paras = paragraphs(decode(data, source))
    title = title_from_name(path)
    if paras and "\n" not in paras[0] and len(paras[0]) <= 100 and not paras[0].endswith("."):
        title = paras[0].strip("# ")
    return [assemble(source, title, [Paragraph(p) for p in paras], format="text")]
