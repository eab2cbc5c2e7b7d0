"""Names the writings never hold: does the twin answer a question whose name is a detail of
what the author wrote about, and refuse one whose name is what it asks about?

    python bench/names.py [--home DIR] [--split dev|test] [--show]

bench/time/names.jsonl holds 120 reader messages to the author of bench/time (see its README),
written by a helper that read only her posts: each names something no post holds (a brand, an
app, a school, a city, a person). Half are questions her posts answer, the name being an
example, a brand of what she wrote about, or a detail of the asker's own situation ("Mia
mamma fatica con i caratteri piccoli. Pensavo di regalarle un Kobo…"), labelled `answer` with
the post that answers them; half are on what she never wrote about, asked through the name
(`none`). Odd ids are the dev split (read while the rules were tuned), even ids the test split
(counted only).

Each message goes through the whole pipeline with `chat.answer = "quote"` (every check, no
chat model run): an `answer` message is right when it is answered citing its post, a `none`
message when the twin abstains. Printed per split and label: right, and refused for a name
(`missing_terms`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _twin  # noqa: E402

HERE = Path(__file__).resolve().parent / "time"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", help="the bench/time twin's directory (default: a temporary one)")
    ap.add_argument("--split", choices=("dev", "test"), help="only this split")
    ap.add_argument("--show", action="store_true", help="print the dev messages judged wrong")
    args = ap.parse_args()
    from erre import chat

    home = args.home or tempfile.mkdtemp(prefix="erre-names-")
    twin = _twin.with_corpus(home, str(HERE / "corpus"), "Livia Santandrea")
    twin.settings = dataclasses.replace(twin.settings, chat_answer="quote")
    items = [json.loads(line) for line in (HERE / "names.jsonl").read_text(encoding="utf-8").splitlines() if line]
    counts: Counter = Counter()
    for item in items:
        if args.split and item["split"] != args.split:
            continue
        answer = chat.answer(twin, item["question"])
        cited = [Path(c.source).name for c in answer.citations]
        if item["label"] == "answer":
            right = not answer.abstained and any(s in cited for s in item["sources"])
        else:
            right = answer.abstained
        key = item["split"], item["label"]
        counts[key, "n"] += 1
        counts[key, "right"] += right
        counts[key, "refused for a name"] += answer.reason == "missing_terms"
        if args.show and item["split"] == "dev" and not right:
            print(f"{item['id']} ({item['label']}, {answer.reason or 'answered'}, cites {cited[:2]}): "
                  f"{item['question']}", file=sys.stderr)
    report = {f"{split} {label} ({counts[(split, label), 'n']})": {
        "right": counts[(split, label), "right"], "refused for a name": counts[(split, label), "refused for a name"]}
        for split in ("dev", "test") for label in ("answer", "none") if counts[(split, label), "n"]}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
