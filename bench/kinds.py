"""How often the twin turns a reader's genuine question away as a task or a private question.

The twin declines a message it takes for a task for an assistant (write, translate, play a
role: the scope classifier) and one it takes for a question on a private fact (home, family,
income, vote, health: the personal classifier), both over the question's e5 vector
(answer/classify.py, answer/policy.kinds). Their thresholds are calibrated on their own
data; this measures them on readers' messages written apart from it.

    python bench/kinds.py bench/questions/reader-kinds.jsonl [--show]
    python bench/kinds.py bench/time/kinds.jsonl --corpus bench/time/corpus --home /tmp/timetwin \
        --name "Livia Santandrea" [--split dev|test] [--show]

The question file has `text`, `language` and `label` (question, task or private) per line,
and may have `split`. Without `--corpus` it reports the classifiers' flags alone. With
`--corpus` every message goes through the whole answering pipeline over that author's
writings, with `chat.answer = "quote"` (every check, no model run), which is where a private
question that one of the author's passages answers, or that names only what a passage
holds, is not turned away: the figure a reader of that author meets.

Prints, for each label, the share turned away as a task (or declined by rule), as private,
and as either: for genuine questions that is the share wrongly turned away; for tasks and
private questions, recall. Without `--corpus` it also prints how long deciding a message's
kind takes (its vectors, and the chat model's reading where the classifier reads it;
median and 95th percentile, the first message, which opens the models, left out).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections import Counter
from pathlib import Path

TASK_REASONS = ("task", "declined")  # a task for an assistant, or an order to the twin (guard.py)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("questions")
    ap.add_argument("--home", help="the twin whose embedder and cache to use (default: a fresh one)")
    ap.add_argument("--corpus", help="the author's writings: each message goes through the answering pipeline")
    ap.add_argument("--name", help="the author's name (with --corpus)")
    ap.add_argument("--split", help="only the messages of this split")
    ap.add_argument("--show", action="store_true", help="list the genuine questions turned away")
    args = ap.parse_args()

    import _twin

    rows = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if not args.split or r.get("split") == args.split]
    if args.corpus:
        from erre import chat

        twin = _twin.with_corpus(args.home, args.corpus, args.name)
        twin.settings = dataclasses.replace(twin.settings, chat_answer="quote")

        def flags(r: dict) -> tuple[bool, bool]:
            reason = chat.answer(twin, r["text"]).reason
            return reason in TASK_REASONS, reason == "personal"
    else:
        from erre.answer import policy

        twin = _twin.fresh(args.home)

        def flags(r: dict) -> tuple[bool, bool]:
            start = time.perf_counter()
            kinds = policy.kinds(twin, r["text"], r.get("language", "it"))
            spent.append(time.perf_counter() - start)
            return kinds.task, kinds.personal

    spent: list[float] = []
    counts: Counter = Counter()
    totals: Counter = Counter()
    turned: list[tuple[str, str]] = []
    for r in rows:
        task, private = flags(r)
        label = r.get("label", "question")
        totals[label] += 1
        counts[label, "task"] += task
        counts[label, "private"] += private
        counts[label, "either"] += task or private
        if label == "question" and (task or private):
            turned.append(("task" if task else "private", r["text"]))
    summary = {label: {flag: round(counts[label, flag] / n, 3) for flag in ("task", "private", "either")} | {"n": n}
               for label, n in totals.items()}
    print(json.dumps(summary, indent=2))
    if len(spent) > 1:
        import numpy as np

        reader = twin.reader.name if twin.reader is not None else "none"
        print(f"deciding a message's kind: p50 {np.percentile(spent[1:], 50) * 1000:.0f} ms, "
              f"p95 {np.percentile(spent[1:], 95) * 1000:.0f} ms (chat model's reading: {reader})")
    if args.show:
        for flag, text in turned:
            print(f"{flag:8} {text}")


if __name__ == "__main__":
    main()
