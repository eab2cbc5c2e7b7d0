"""Where to put the abstention threshold: the retrieval evidence of questions the index
answers vs. the same questions with their whole article taken out of the results (so the
writings no longer cover them). Prints, for each threshold, the share of answerable
questions the twin would refuse and the share of uncovered ones it would answer anyway.

    python bench/abstention.py ../shared/eval/squad-it/dev/passages.jsonl \\
        ../shared/eval/squad-it/dev/questions.jsonl --home /tmp/squad [--limit 400]

Questions need `title` (the article) or `sources`; the corpus is ingested when --home holds
no index yet.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("questions")
    ap.add_argument("--home")
    ap.add_argument("--limit", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from _twin import with_corpus

    from erre import language, retrieve
    from erre.answer import policy

    twin = with_corpus(args.home, args.corpus)
    store, embedder, k = twin.store, twin.embedder, twin.settings.search_k
    langs = tuple(store.languages())
    qs = [json.loads(line) for line in open(args.questions, encoding="utf-8") if line.strip()]
    qs = random.Random(args.seed).sample(qs, min(args.limit, len(qs)))
    covered, uncovered = [], []
    t0 = time.perf_counter()
    for q in qs:
        text = q["question"]
        lang = language.detect_query(text, langs)
        found = retrieve.search(store, embedder, text, 60, candidates=60)
        gold = {q["title"]} if q.get("title") else set(q.get("sources", []))

        def outside(p, gold=gold):
            return p.chunk.title not in gold and p.chunk.source not in gold

        covered.append(policy.evidence(text, lang, found[:k], 0.0))
        uncovered.append(policy.evidence(text, lang, [p for p in found if outside(p)][:k], 0.0))
    seconds = time.perf_counter() - t0
    a_rel = np.array([e.relevance for e in covered])
    u_rel = np.array([e.relevance for e in uncovered])
    auc = float(np.mean(a_rel[:, None] > u_rel[None, :]) + 0.5 * np.mean(a_rel[:, None] == u_rel[None, :]))
    print(f"{len(qs)} questions, {seconds:.1f} s; relevance AUC {auc:.3f}")
    print(f"relevance, covered p10/p50/p90:   {np.percentile(a_rel, [10, 50, 90]).round(3)}")
    print(f"relevance, uncovered p50/p90/p95: {np.percentile(u_rel, [50, 90, 95]).round(3)}")
    print(f"{'threshold':>9} {'refused (covered)':>18} {'answered (uncovered)':>21}")
    for t in (0.82, 0.83, 0.835, 0.84, 0.845, 0.85, 0.86):
        refused = np.mean([not policy.Evidence(e.relevance, e.coverage, t).enough for e in covered])
        answered = np.mean([policy.Evidence(e.relevance, e.coverage, t).enough for e in uncovered])
        print(f"{t:>9} {refused:>18.3f} {answered:>21.3f}")


if __name__ == "__main__":
    main()
