"""A fresh twin for a benchmark run, in --home or a temporary directory."""

from __future__ import annotations

import tempfile
from pathlib import Path


def fresh(home: str | None):
    from erre import config
    from erre.twin import Twin

    path = Path(home or tempfile.mkdtemp(prefix="erre-bench-"))
    config.init(path, "bench")
    return Twin.open(path)
