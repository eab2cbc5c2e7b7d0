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

    from erre.twin import Twin

    path = Path(home) if home else None
    twin = Twin.open(path) if path and (path / "erre.toml").exists() else fresh(home)
    others = sorted({f.root for f in twin.store.files() if Path(f.root).resolve() != Path(corpus).resolve()})
    if others:  # another folder's writings (or this corpus from another checkout) would be searched too
        raise SystemExit(f"{home} holds writings from {others[0]} besides {corpus}: its figures would not be "
                         f"this corpus's. Use another --home (or a fresh one).")
    if not twin.store.files():
        t0 = time.perf_counter()
        report = twin.ingest([corpus])
        print(f"ingested in {time.perf_counter() - t0:.1f} s: {report.summary()}", file=sys.stderr)
    if name:
        twin.settings = dataclasses.replace(twin.settings, name=name)
    twin.subjects  # read before the first question, as a served twin has them
    return twin
