"""Read files into documents: one loader per format, chosen by file suffix.

`read(path, source)` never raises for a bad file: it returns the documents it could read
and a LoadError naming the file and the reason for what it could not, so one corrupt PDF
never stops the ingest of a folder. A loader returns documents, and may return a LoadError
for a part it could not read (a bad JSONL line) or a Skipped (a draft) in their place.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import language
from ..documents import Document
from ..errors import LoadError
from . import dates

Loader = Callable[[Path, bytes, str, "Options"], list]


@dataclass(frozen=True)
class Options:
    include_drafts: bool = False
    max_bytes: int = 50 * 1024 * 1024


@dataclass
class Result:
    documents: list[Document] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why), e.g. drafts


# suffix -> loader module; each module has load(path, data, source, options)
LOADERS = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".txt": "text", ".text": "text", ".rst": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".pdf": "pdf", ".epub": "epub", ".docx": "docx", ".jsonl": "jsonl", ".ndjson": "jsonl",
}


def _loader(suffix: str) -> Loader | None:
    name = LOADERS.get(suffix.lower())
    if name is None:
        return None
    return importlib.import_module(f"{__name__}.{name}").load


def supported(path: Path) -> bool:
    return path.suffix.lower() in LOADERS


def discover(folder: Path) -> Iterator[Path]:
    """Supported files under `folder`, in a stable order, skipping hidden files and folders."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if not name.startswith(".") and supported(p):
                yield p


def read(path: Path, source: str, data: bytes | None = None, options: Options = Options()) -> Result:
    """Documents of one file. `source` is how citations will name it."""
    result = Result()
    try:
        if data is None:
            data = read_bytes(path, source, options)
        if len(data) > options.max_bytes:
            raise LoadError(source, f"too large ({len(data) / 1e6:.1f} MB)")
        if not data.strip():
            raise LoadError(source, "empty file")
        loader = _loader(path.suffix)
        if loader is None:
            raise LoadError(source, f"unsupported file type '{path.suffix}'")
        docs = loader(path, data, source, options)
    except LoadError as e:
        result.errors.append(e)
        return result
    except Exception as e:  # a library choking on a malformed file
        result.errors.append(LoadError(source, f"could not be read ({type(e).__name__}: {e})"))
        return result
    for d in docs:
        if isinstance(d, LoadError):
            result.errors.append(d)
        elif isinstance(d, Skipped):
            result.skipped.append((d.source, d.why))
        elif not d.text.strip():
            result.errors.append(LoadError(d.source, "no text found"))
        else:
            lang = d.language or language.detect(d.text)
            date = dates.normalise(d.date) or dates.in_first_lines(d.text)
            result.documents.append(replace(d, language=lang, date=date))
    return result


def read_bytes(path: Path, source: str, options: Options = Options()) -> bytes:
    """The file's bytes, refusing files over the size limit."""
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise LoadError(source, f"too large ({size / 1e6:.1f} MB; the limit is "
                                    f"{options.max_bytes / 1e6:.0f} MB, set ingest.max_file_mb)")
        return path.read_bytes()
    except OSError as e:
        raise LoadError(source, f"cannot be read ({e.strerror})") from None


@dataclass(frozen=True)
class Skipped:
    """A document deliberately left out (a draft), not an error."""

    source: str
    why: str


def decode(data: bytes, source: str) -> str:
    """Text of a file in any common encoding; refuses binary data."""
    if b"\x00" in data[:8192]:
        raise LoadError(source, "binary file, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    # Short Western texts fool detectors into exotic code pages; a Western one that reads as
    # cleanly is the likelier truth for the writers erre is for
    western = from_bytes(data, cp_isolation=["cp1252", "latin_1", "iso8859_15"]).best()
    if western is not None and (best is None or western.chaos <= best.chaos + 0.05):
        best = western
    if best is None:
        raise LoadError(source, "unknown text encoding (save it as UTF-8)")
    return str(best)


def title_from_name(path: Path) -> str:
    stem = path.stem
    return stem.replace("_", " ").replace("-", " ").strip() or path.name
