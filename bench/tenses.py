"""The time a question asks about, read from its words alone: does `when.asked` tell a question
about a time gone by from one about now?

    python bench/tenses.py [--split dev|test] [--show]

bench/time/tenses.jsonl holds reader questions to the author of bench/time (see its README),
written by helpers that read only the posts: questions on what she thought or did at an
earlier time, with the time given only by the verb or by an event of then (no year, no "at
first", no "back then"), and questions on what she thinks now with no time word, many telling
of her past in passing. `dev` was read while the reading of tenses was tuned; `test` was
written by another helper and is only counted. Printed per split: the past questions
read as a time gone by (a time gone by, the beginning, or years) and the current ones read as
now. No model runs: this is `when.asked` alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from erre.answer import when  # noqa: E402

HERE = Path(__file__).resolve().parent / "time"
GONE = (when.PAST, when.EARLY, when.YEARS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test"), help="only this split")
    ap.add_argument("--show", action="store_true", help="print the dev questions read wrong")
    args = ap.parse_args()
    items = [json.loads(line) for line in (HERE / "tenses.jsonl").read_text(encoding="utf-8").splitlines() if line]
    report: dict = {}
    for split in ("dev", "test"):
        if args.split and split != args.split:
            continue
        counts: Counter = Counter()
        for item in (i for i in items if i["split"] == split):
            kind = when.asked(item["question"]).kind
            right = (kind in GONE) == (item["kind"] == "past")
            counts[item["kind"], right] += 1
            if args.show and split == "dev" and not right:
                print(f"{item['id']} ({item['kind']}, read {kind}): {item['question']}", file=sys.stderr)
        report[split] = {kind: f"{counts[kind, True]}/{counts[kind, True] + counts[kind, False]}"
                         for kind in ("past", "current")}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
