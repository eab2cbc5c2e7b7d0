"""Verifier quality per author on an authorship set (style-it, style-en): for each author, a
model trained on 70% of their texts against 70% of the other authors' texts, tested on the
windows of the held-out 30% (the author's against the others'). Reports ROC AUC, accuracy at
probability 0.5 and the Brier score, beside a baseline: Burrows' cosine Delta over the 150 most
frequent words (z-scores, nearest centroid; accuracy at the threshold best on training).

    python bench/style.py ../shared/eval/style-it it
    python bench/style.py ../shared/eval/style-en en
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np


def delta_baseline(train_a, train_b, test, words=150):
    """Cosine Delta: z-scored frequencies of the most frequent words, cosine to each centroid."""
    from erre.language import words as tokenize

    counts = Counter(w for t in train_a + train_b for w in tokenize(t))
    vocab = [w for w, _ in counts.most_common(words)]
    index = {w: i for i, w in enumerate(vocab)}

    def freq(texts):
        m = np.zeros((len(texts), len(vocab)))
        for r, t in enumerate(texts):
            ws = tokenize(t)
            for w in ws:
                if w in index:
                    m[r, index[w]] += 1
            m[r] /= max(1, len(ws))
        return m

    fa, fb = freq(train_a), freq(train_b)
    mean, std = np.vstack([fa, fb]).mean(0), np.vstack([fa, fb]).std(0) + 1e-9
    za, zb = (fa - mean) / std, (fb - mean) / std
    ca, cb = za.mean(0), zb.mean(0)

    def score(m):
        z = (m - mean) / std
        cos = lambda c: (z @ c) / (np.linalg.norm(z, axis=1) * np.linalg.norm(c) + 1e-9)  # noqa: E731
        return cos(ca) - cos(cb)

    train_scores = np.concatenate([score(fa), score(fb)])
    train_y = np.array([1] * len(fa) + [0] * len(fb))
    cut = max(np.unique(train_scores), key=lambda t: np.mean((train_scores >= t) == train_y))
    return score(freq(test)), cut


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("lang")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--view", default="distorted", help="distorted (default) or raw character n-grams")
    args = ap.parse_args()

    from sklearn.metrics import brier_score_loss, roc_auc_score

    from erre import style

    folder = Path(args.folder)
    meta = [json.loads(line) for line in open(folder / "metadata.jsonl", encoding="utf-8")]
    by_author: dict[str, list[str]] = {}
    for m in meta:
        by_author.setdefault(m["path"].split("/")[0], []).append((folder / m["path"]).read_text(encoding="utf-8"))
    rng = random.Random(args.seed)
    split = {}
    for author, texts in by_author.items():
        texts = texts[:]
        rng.shuffle(texts)
        cut = max(1, round(len(texts) * 0.7))
        split[author] = (texts[:cut], texts[cut:])
    print(f"{'author':16} {'texts':>5} {'AUC':>6} {'acc':>6} {'Brier':>6} | {'Delta AUC':>9} {'acc':>6} {'s':>5}")
    rows = []
    for author in sorted(by_author):
        t0 = time.perf_counter()
        train_a, test_a = split[author]
        train_b = [t for a, (tr, _) in split.items() if a != author for t in tr]
        test_b = [t for a, (_, te) in split.items() if a != author for t in te]
        v = style.train(train_a, train_b, args.lang, seed=args.seed, view=args.view)
        wa = [w for t in test_a for w in style.windows(t)]
        wb = [w for t in test_b for w in style.windows(t)]
        y = np.array([1] * len(wa) + [0] * len(wb))
        p = v.score(wa + wb)
        wtr_a = [w for t in train_a for w in style.windows(t)]
        wtr_b = [w for t in train_b for w in style.windows(t)]
        d, cut = delta_baseline(wtr_a, wtr_b, wa + wb)
        row = (author, len(by_author[author]), roc_auc_score(y, p), float(np.mean((p >= 0.5) == y)),
               brier_score_loss(y, p), roc_auc_score(y, d), float(np.mean((d >= cut) == y)),
               time.perf_counter() - t0)
        rows.append(row)
        print(f"{row[0]:16} {row[1]:>5} {row[2]:6.3f} {row[3]:6.3f} {row[4]:6.3f} | {row[5]:9.3f} {row[6]:6.3f} "
              f"{row[7]:5.1f}")
    mean = np.mean([r[2:7] for r in rows], axis=0)
    print(f"{'mean':16} {'':>5} {mean[0]:6.3f} {mean[1]:6.3f} {mean[2]:6.3f} | {mean[3]:9.3f} {mean[4]:6.3f}")


if __name__ == "__main__":
    main()
