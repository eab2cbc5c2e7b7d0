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


def with_corpus(home: str | None, corpus: str, name: str | None = None):
    """The twin in `home` (made if missing), with `corpus` ingested if its index is empty.
    `name`: the author's name for this run (the prompt speaks as them, and their name is
    not a term the writings must hold)."""
    import dataclasses
    import sys
    import time

    from erre import sync
    from erre.twin import Twin

    path = Path(home) if home else None
    twin = Twin.open(path) if path and (path / "erre.toml").exists() else fresh(home)
    if not twin.store.files():
        t0 = time.perf_counter()
        report = sync.run(twin.store, twin.embedder, [corpus], twin.settings)
        print(f"ingested in {time.perf_counter() - t0:.1f} s: {report.summary()}", file=sys.stderr)
    if name:
        twin.settings = dataclasses.replace(twin.settings, name=name)
    t0 = time.perf_counter()
    twin.subjects  # as `erre ingest` does: the cross-lingual vectors ready before the first question
    print(f"cross-lingual vectors ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return twin
