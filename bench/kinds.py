"""How often the answerability classifiers turn a reader's genuine question away.

The twin declines a message it takes for a task for an assistant (write, translate, play a
role: the scope classifier) and one it takes for a question on a private fact (home, family,
income, vote, health: the personal classifier), both over the question's e5 vector
(answer/classify.py, answer/policy.kinds). Their thresholds are calibrated on their own
data; this measures them on readers' questions written apart from it:

    python bench/kinds.py bench/questions/reader-kinds.jsonl [--show]

The question file has `text`, `language` and `label` (question, task or private) per line.
Prints, for each label, the share flagged as a task, as private, and as either: for genuine
questions that is the share wrongly turned away; for tasks and private questions, recall.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("questions")
    ap.add_argument("--home", help="the twin whose embedder and cache to use (default: a fresh one)")
    ap.add_argument("--show", action="store_true", help="list the genuine questions turned away")
    args = ap.parse_args()

    import _twin
    from erre.answer import policy

    twin = _twin.fresh(args.home)
    rows = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter = Counter()
    totals: Counter = Counter()
    turned: list[tuple[str, str]] = []
    for r in rows:
        kinds = policy.kinds(twin, r["text"], r.get("language", "it"))
        label = r.get("label", "question")
        totals[label] += 1
        counts[label, "task"] += kinds.task
        counts[label, "private"] += kinds.personal
        counts[label, "either"] += kinds.task or kinds.personal
        if label == "question" and (kinds.task or kinds.personal):
            turned.append(("task" if kinds.task else "private", r["text"]))
    summary = {label: {flag: round(counts[label, flag] / n, 3) for flag in ("task", "private", "either")} | {"n": n}
               for label, n in totals.items()}
    print(json.dumps(summary, indent=2))
    if args.show:
        for flag, text in turned:
            print(f"{flag:8} {text}")


if __name__ == "__main__":
    main()
