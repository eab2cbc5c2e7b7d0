"""PDF: text per page (pypdf), paragraphs rebuilt from lines, page numbers kept for citations."""

from __future__ import annotations

import io
import re
from pathlib import Path

from ..documents import Document, Paragraph, assemble
from ..errors import LoadError
from . import title_from_name


def load(path: Path, data: bytes, source: str, options) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise LoadError(source, "not a PDF (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise LoadError(source, "encrypted PDF (remove the password first)") from None
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise LoadError(source, f"corrupt or unreadable PDF ({e})") from None
    paras = [Paragraph(p, page=n) for n, text in enumerate(pages, 1) for p in page_paragraphs(text)]
    if not paras:
        raise LoadError(source, "no extractable text (a scanned PDF? run OCR on it first)")
    info = reader.metadata
    title = (info.title if info and info.title else None) or title_from_name(path)
    created = info.get("/CreationDate") if info else None  # "D:20160312..." (ingest/dates.py reads it)
    return [assemble(source, str(title).strip(), paras, format="pdf", date=str(created) if created else None)]


def page_paragraphs(text: str) -> list[str]:
    """Paragraphs of one page: lines joined, words broken by a hyphen at line end rejoined."""
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text.replace("\r\n", "\n"))
    blocks = re.split(r"\n\s*\n", text)
    if len(blocks) == 1:
        # no blank lines: a line ending a sentence, followed by a capital, ends a paragraph
        blocks = re.split(r"(?<=[.!?:»”])\n(?=[A-ZÀ-Ý0-9\"«“•\-])", text)
    return [re.sub(r"\s*\n\s*", " ", b).strip() for b in blocks if b.strip()]
