"""erre measures itself: retrieval and answers now; voice as it arrives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import ErreError


def questions(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-empty line of a question file (JSON Lines); a
    line that is not a JSON object is an error naming the file and the line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ErreError(f"Cannot read the question file {path}: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ErreError(f"{path} line {n}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise ErreError(f"{path} line {n}: expected a JSON object")
        yield n, obj
