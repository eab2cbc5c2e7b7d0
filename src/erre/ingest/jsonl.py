"""JSON Lines exports: one document per line with `id`, `title`, `text`, optional `url`, `date`.

A bad line is reported with its number; the other lines are still read.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..documents import Paragraph, assemble
from ..errors import LoadError
from . import decode
from .text import paragraphs


def load(path: Path, data: bytes, source: str, options) -> list:
    out: list = []
    seen: set[str] = set()
    for n, line in enumerate(decode(data, source).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source} line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            out.append(LoadError(where, f"not valid JSON ({e.msg})"))
            continue
        if not isinstance(obj, dict):
            out.append(LoadError(where, "expected a JSON object"))
            continue
        doc_id, text = obj.get("id"), obj.get("text")
        if doc_id is None or not isinstance(text, str):
            out.append(LoadError(where, "needs an 'id' and a 'text' string"))
            continue
        if not text.strip():  # named here, with its file and line: the record's id alone doesn't say where
            out.append(LoadError(where, "has an empty 'text'"))
            continue
        doc_id = str(doc_id)
        if doc_id in seen:
            out.append(LoadError(where, f"duplicate id '{doc_id}'"))
            continue
        seen.add(doc_id)
        title = str(obj.get("title") or doc_id)
        date = obj.get("date")
        tags = obj.get("tags") or ()
        out.append(assemble(
            doc_id, title, [Paragraph(p) for p in paragraphs(text)],
            url=str(obj["url"]) if obj.get("url") else None,
            date=str(date) if date else None,
            tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
            language=obj.get("language") or obj.get("lang") or None,
            format="jsonl",
        ))
    if not out:
        raise LoadError(source, "no JSON lines found")
    return out
