"""Markdown with YAML front matter (Jekyll, Hugo): headings become the heading path of the
paragraphs under them; markup, images, Liquid tags and raw HTML are dropped from the text.

Front matter gives `title`, `date` (else `updated`/`lastmod`), `tags`, `permalink`/`url`; `draft: true` is skipped
unless drafts are included. A Jekyll file name `YYYY-MM-DD-slug` gives the date.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ..documents import Paragraph, assemble
from ..errors import LoadError
from . import Skipped, decode, title_from_name

_FRONT = re.compile(r"\A(?:---|\+\+\+)[ \t]*\r?\n(.*?)\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_LIQUID = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_JEKYLL_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)$")
_TAG = re.compile(r"<[^>]+>")


def front_matter(text: str, source: str) -> tuple[dict, str]:
    m = _FRONT.match(text)
    if not m:
        return {}, text
    raw = m.group(1)
    body = text[m.end():]
    if text.startswith("+++"):
        import tomllib

        try:
            return tomllib.loads(raw), body
        except tomllib.TOMLDecodeError as e:
            raise LoadError(source, f"bad TOML front matter ({e})") from None
    import yaml

    try:
        meta = yaml.safe_load(raw) or {}
    except yaml.YAMLError as e:
        raise LoadError(source, f"bad YAML front matter ({str(e).splitlines()[0]})") from None
    return (meta if isinstance(meta, dict) else {}), body


def _as_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in {"true", "yes", "1"}


def load(path: Path, data: bytes, source: str, options) -> list:
    meta, body = front_matter(decode(data, source), source)
    if _truthy(meta.get("draft")) and not options.include_drafts:
        return [Skipped(source, "draft")]
    paras, first_h1 = parse(body)
    name = _JEKYLL_NAME.match(path.stem)
    title = _as_text(meta.get("title")) or first_h1 or title_from_name(
        Path(name.group(2)) if name else path)
    # the writing date; a post revised later keeps the date it was written
    date = (_as_text(meta.get("date")) or (name.group(1) if name else None) or _as_text(meta.get("updated"))
            or _as_text(meta.get("lastmod")))
    tags = meta.get("tags") or meta.get("categories") or ()
    if isinstance(tags, str):
        tags = tags.split()
    lang = meta.get("lang") or meta.get("language")
    return [assemble(
        source, title.strip(), paras, date=date,
        url=_as_text(meta.get("url") or meta.get("permalink")),
        tags=tuple(str(t) for t in tags) if isinstance(tags, (list, tuple)) else (),
        language=str(lang)[:2].lower() if lang else None, format="markdown",
    )]


def parse(body: str) -> tuple[list[Paragraph], str | None]:
    """Paragraphs of a Markdown body with their heading path, and the first H1."""
    from markdown_it import MarkdownIt

    body = _HTML_COMMENT.sub("", _LIQUID.sub("", body))
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    paras: list[Paragraph] = []
    path: list[tuple[int, str]] = []  # (level, heading)
    first_h1 = None
    items: list[str] = []  # paragraphs of the list or table being read
    depth = 0  # nesting of lists, tables and quotes whose parts are gathered into one block
    heading_level = 0
    row: list[str] = []  # cells of the table row being read

    def heading() -> tuple[str, ...]:
        return tuple(h for _, h in path)

    for i, tok in enumerate(tokens):
        t = tok.type
        if t == "heading_open":
            heading_level = int(tok.tag[1])
        elif t == "inline" and heading_level:
            text = _inline(tok)
            if heading_level == 1 and first_h1 is None and not paras:
                first_h1 = text  # the title, not a section
            else:
                while path and path[-1][0] >= heading_level:
                    path.pop()
                path.append((heading_level, text))
                paras.append(Paragraph(text, heading()))
            heading_level = 0
        elif t in ("bullet_list_open", "ordered_list_open", "table_open"):
            depth += 1
        elif t in ("bullet_list_close", "ordered_list_close", "table_close"):
            depth -= 1
            if depth == 0 and items:
                paras.append(Paragraph("\n".join(items), heading()))
                items = []
        elif t == "tr_close" and depth:
            items.append(" | ".join(row))
            row.clear()
        elif t == "inline":
            text = _inline(tok)
            if not text:
                continue
            if tokens[i - 1].type in ("th_open", "td_open"):
                row.append(text)
            elif depth:
                marker = "- " if tokens[i - 1].type == "paragraph_open" and _in_item(tokens, i) else ""
                items.append(marker + text)
            else:
                paras.append(Paragraph(text, heading()))
        elif t in ("fence", "code_block"):
            code = tok.content.rstrip()
            if code:
                (items.append(code) if depth else paras.append(Paragraph(code, heading())))
        elif t == "html_block":
            text = _TAG.sub(" ", tok.content)
            text = re.sub(r"[ \t]+", " ", text).strip()
            if text:
                paras.append(Paragraph(text, heading()))
    if items:
        paras.append(Paragraph("\n".join(items), heading()))
    return paras, first_h1



def _in_item(tokens, i: int) -> bool:
    return i >= 2 and tokens[i - 2].type == "list_item_open"


def _inline(tok) -> str:
    out: list[str] = []
    for child in tok.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n" if child.type == "hardbreak" else " ")
        elif child.type == "image":
            continue  # alt text of images is rarely the author's prose
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()
