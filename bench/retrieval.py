"""Retrieval benchmark: ingest a JSONL corpus (or a folder) into a fresh twin, then report
recall@1, recall@5 and MRR@10 for lexical, dense and hybrid search.

    python bench/retrieval.py ../shared/eval/squad-it/dev/passages.jsonl \\
        ../shared/eval/squad-it/dev/questions.jsonl

The question file has `question` and `passage_id` (or `sources`) per line, as for
`erre eval retrieval`; `--language` and `--split` keep some of them (and skip those without
an answering document), e.g. bench/time's English questions:

    python bench/retrieval.py bench/time/corpus bench/time/questions.jsonl --language en

Two last rows, hybrid+cross, add the cross-lingual encoder's cosine (`search.cross`, weight
`--cross`), the second with the BM25 of the question's words it translates too (weight
`--translated`, `retrieve.Weights.translated`), as the answers' search does.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="a JSONL file or a folder to ingest")
    ap.add_argument("questions")
    ap.add_argument("--home", help="keep the twin here (default: a temporary directory)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--language", help="only the questions in this language (their 'lang' or 'language')")
    ap.add_argument("--split", help="only the questions of these splits (comma-separated)")
    ap.add_argument("--cross", type=float, default=1.5,
                    help="weight of the cross-lingual encoder in the extra hybrid+cross rows (search.cross)")
    ap.add_argument("--translated", type=float,
                    help="weight of the translated words' BM25 in the last row (default: the answers' search's)")
    args = ap.parse_args()

    import _twin
    from erre import retrieve, sync
    from erre.eval import retrieval

    twin = _twin.fresh(args.home)
    t0 = time.perf_counter()
    report = sync.run(twin.store, twin.embedder, [args.corpus], twin.settings)
    ingest_s = time.perf_counter() - t0
    splits = args.split.split(",") if args.split else None
    questions = retrieval.load_questions(Path(args.questions), where=lambda q: bool(
        (q.get("sources") or q.get("passage_id") is not None)
        and (not args.language or (q.get("lang") or q.get("language")) == args.language)
        and (not splits or q.get("split") in splits)))
    results = [retrieval.evaluate(twin.store, twin.embedder if m != "lexical" else None, questions, mode=m)
               for m in ("lexical", "dense", "hybrid")]
    t0 = time.perf_counter()
    twin.subjects  # the cross-lingual vectors the answers' search may add (search.cross)
    cross_s = time.perf_counter() - t0
    if twin.subjects is not None:
        for translated in (0.0, retrieve.Weights().translated if args.translated is None else args.translated):
            row = retrieval.evaluate(twin.store, twin.embedder, questions, second=twin.subjects,
                                     weights=retrieve.Weights(second=args.cross, translated=translated))
            results.append(row | {"mode": row["mode"] + (f"+tr{translated:g}" if translated else "")})
    stats = twin.store.stats()
    twin.close()
    if args.json:
        print(json.dumps({"ingest_s": round(ingest_s, 1), "cross_s": round(cross_s, 1), "chunks": stats["chunks"],
                          "units": stats["units"], "results": results}, indent=2))
        return
    print(f"ingest {ingest_s:.1f}s: {report.summary()}; cross-lingual vectors {cross_s:.1f}s")
    print(f"{'mode':18} {'questions':>9} {'R@1':>6} {'R@5':>6} {'MRR@10':>7} {'seconds':>8}")
    for r in results:
        print(f"{r['mode']:18} {r['questions']:>9} {r['recall@1']:6.3f} {r['recall@5']:6.3f} "
              f"{r['mrr@10']:7.3f} {r['seconds']:8.1f}")


if __name__ == "__main__":
    main()
