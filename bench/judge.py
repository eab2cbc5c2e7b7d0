"""Faithfulness of answers, judged blind by a reader who has the writings: is everything an
answer says of the author in her writings, and does it answer what was asked?

bench/time.py scores an answer by the writings it cites; a small model may cite the right
post and still give the author a view or a feeling she never wrote ("I was excited to try
new technologies", to a question on what she thought of e-readers in 2012, when she wrote she
would stay a paper reader). That takes a reader. This script prepares what the reader judges
and counts the verdicts; the reader (a person, or a model given `bench/time/judge-brief.md`)
reads only the posts and the answers, never which version wrote which.

    python bench/judge.py pairs OLD.jsonl NEW.jsonl --dir DIR [--kinds past,continuity]
    (the reader writes DIR/verdicts.json, following bench/time/judge-brief.md)
    python bench/judge.py tally DIR

OLD and NEW are `bench/time.py --out` files (two versions, or two settings) over the same
questions. `pairs` writes DIR/answers.json (each question with its two answers as A and B,
in a shuffled order, and the files each cites) and DIR/key.json (which is which: not for the
reader). `tally` prints, for each side and kind, how many answers were judged faithful, how
many answer the question, and how many do both. A question either side abstained on is left
out (there is nothing to judge), as is one whose two answers are the same text (judged once,
counted for both).
"""

from __future__ import annotations

import argparse
import collections
import json
import random
from pathlib import Path


def _load(path: str) -> dict[str, dict]:
    rows = (json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["id"]: r for r in rows if "kind" in r}


def pairs(old: str, new: str, folder: Path, kinds: set[str] | None, seed: int = 7) -> int:
    a, b = _load(old), _load(new)
    rng = random.Random(seed)
    items, key = [], {}
    for qid in sorted(set(a) & set(b)):
        x, y = a[qid], b[qid]
        if (kinds and x["kind"] not in kinds) or x["abstained"] or y["abstained"]:
            continue
        sides = [("old", x), ("new", y)] if x["answer"] != y["answer"] else [("same", x)]
        rng.shuffle(sides)
        key[qid] = {"kind": x["kind"], "sides": [name for name, _ in sides]}
        items.append({"id": qid, "question": x["question"],
                      "answers": {chr(65 + i): {"text": r["answer"], "cited": r.get("cited") or []}
                                  for i, (_, r) in enumerate(sides)}})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answers.json").write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "key.json").write_text(json.dumps(key), encoding="utf-8")
    return len(items)


def tally(folder: Path) -> dict[tuple[str, str], collections.Counter]:
    key = json.loads((folder / "key.json").read_text(encoding="utf-8"))
    verdicts = json.loads((folder / "verdicts.json").read_text(encoding="utf-8"))
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for v in verdicts:
        entry = key.get(str(v["id"]))
        if entry is None:
            raise SystemExit(f"verdict for an unknown question {v['id']!r}: was DIR written by `pairs`?")
        side = entry["sides"][ord(v["label"]) - 65]
        faithful, answers = v["faithful"] == "yes", v["answers"] == "yes"
        for name in (("old", "new") if side == "same" else (side,)):
            for kind in (entry["kind"], "all"):
                c = counts[(name, kind)]
                c["judged"] += 1
                c["faithful"] += faithful
                c["answers"] += answers
                c["both"] += faithful and answers
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pairs", help="write the blind pairs of two result files")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--dir", required=True)
    p.add_argument("--kinds", help="only these kinds of question (comma-separated)")
    t = sub.add_parser("tally", help="count the reader's verdicts")
    t.add_argument("dir")
    args = ap.parse_args()
    if args.command == "pairs":
        kinds = set(args.kinds.split(",")) if args.kinds else None
        print(f"{pairs(args.old, args.new, Path(args.dir), kinds)} questions to judge in {args.dir}/answers.json")
        return
    counts = tally(Path(args.dir))
    print("| side | kind | judged | faithful | answers the question | both |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (side, kind), c in sorted(counts.items()):
        print(f"| {side} | {kind} | {c['judged']} | {c['faithful']} | {c['answers']} | {c['both']} |")


if __name__ == "__main__":
    main()
