"""Ingest benchmark: cold ingest of a folder into a fresh twin, then an unchanged re-ingest.

    python bench/ingest.py ../shared/eval/ddbit
    python bench/ingest.py ../shared/eval/pg/essays --json

Prints wall time, files, chunks, chunks per second, sentence units embedded, and the time
of the second (unchanged) ingest. Uses the twin's default settings (e5, 2 threads).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--home", help="keep the twin here (default: a temporary directory)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import _twin

    twin = _twin.fresh(args.home)
    t0 = time.perf_counter()
    cold = twin.ingest([args.folder])  # as `erre ingest`: the index, then the cross-lingual vectors
    cold_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = twin.ingest([args.folder])
    warm_s = time.perf_counter() - t0
    stats = twin.store.stats()
    out = {
        "folder": args.folder, "home": str(twin.home), "files": cold.files, "documents": stats["documents"],
        "failed": [f"{e.path}: {e.reason}" for e in cold.errors], "skipped": len(cold.skipped),
        "chunks": stats["chunks"], "units_embedded": cold.embedded, "tokens": stats["tokens"],
        "cold_s": round(cold_s, 2), "chunks_per_s": round(stats["chunks"] / cold_s, 2),
        "reingest_s": round(warm_s, 3), "reingest_unchanged": warm.unchanged,
        "reingest_written": warm.chunks, "index_mb": round(stats["size_bytes"] / 1e6, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    twin.close()
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k:20} {v}")


if __name__ == "__main__":
    sys.exit(main())
