"""The time a question asks about, read from its words alone: does `when.asked` tell a question
about a time gone by from one about now?

    python bench/tenses.py [--split dev|test] [--show]
    python bench/tenses.py --answers [--home DIR] [--split test]

bench/time/tenses.jsonl holds reader questions to the author of bench/time (see its README),
written by helpers that read only the posts: questions on what she thought or did at an
earlier time, with the time given only by the verb or by an event of then (no year, no "at
first", no "back then"), and questions on what she thinks now with no time word, many telling
of her past in passing. `dev` was read while the reading of tenses was tuned; `test` was
written by another helper and is only counted. Printed per split: the past questions
read as a time gone by (a time gone by, the beginning, or years) and the current ones read as
now. No chat model runs: `rules` is `when.asked` alone, `read` what the pipeline reads
(`policy.when_asked`: the rules, and the tense classifier over the question's e5 vectors for a
question to the author that the rules read as now).

--answers asks the twin of bench/time (its corpus, indexed in --home) the current views of a
split and scores them as `bench/time.py` scores current views (right: the topic's newest
writing cited and not stale; stale: an older writing cited without it, or a word of the old
view with no mark of the past, the words of bench/time's newest question on the topic).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from erre.answer import classify, policy, when  # noqa: E402

HERE = Path(__file__).resolve().parent / "time"
GONE = (when.PAST, when.EARLY, when.YEARS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("dev", "test"), help="only this split")
    ap.add_argument("--show", action="store_true", help="print the dev questions read wrong")
    ap.add_argument("--answers", action="store_true", help="answer the current views with the model, scored")
    ap.add_argument("--home", help="the bench/time twin's directory (default: a temporary one)")
    args = ap.parse_args()
    items = [json.loads(line) for line in (HERE / "tenses.jsonl").read_text(encoding="utf-8").splitlines() if line]
    if args.answers:
        print(json.dumps(answers([i for i in items if i["split"] == (args.split or "test")], args.home), indent=2))
        return
    from erre.config import Settings
    from erre.embed import load

    embedder = load(Settings())
    tense = classify.load(classify.TENSE, embedder)
    report: dict = {}
    for split in ("dev", "test"):
        if args.split and split != args.split:
            continue
        rows = [i for i in items if i["split"] == split]
        flags = tense.flags(classify.features(embedder, [i["question"] for i in rows], [i["lang"] for i in rows]))
        counts: Counter = Counter()
        for item, past in zip(rows, flags):
            for how, kind in (("rules", when.asked(item["question"]).kind),
                              ("read", policy.when_asked(item["question"], bool(past)).kind)):
                right = (kind in GONE) == (item["kind"] == "past")
                counts[how, item["kind"], right] += 1
                if args.show and split == "dev" and not right and how == "read":
                    print(f"{item['id']} ({item['kind']}, read {kind}): {item['question']}", file=sys.stderr)
        report[split] = {}
        for how in ("rules", "read"):
            for kind in ("past", "current"):
                n = counts[how, kind, True] + counts[how, kind, False]
                report[split][f"{kind} ({how})"] = f"{counts[how, kind, True]}/{n}"
    print(json.dumps(report, indent=2))


def answers(items: list[dict], home: str | None) -> dict:
    """The current views of `items` answered by the twin, scored as bench/time scores them."""
    import importlib.util

    import _twin

    from erre import chat

    spec = importlib.util.spec_from_file_location("bench_time", HERE.parent / "time.py")  # not the stdlib's time
    assert spec is not None and spec.loader is not None
    bench_time = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_time)

    questions = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if line]
    topic_of: dict[str, dict] = {}  # the newest writing of a topic -> bench/time's newest current question on it
    for q in questions:
        if q["kind"] == "current" and q["topic"] != "none":
            topic_of[q["sources"][0]] = q
    twin = _twin.with_corpus(home, str(HERE / "corpus"), "Livia Santandrea")
    dated = {Path(s).name: d for s, d in twin.store.document_dates().items()}
    topics = bench_time.writings_by_topic(questions, dated)
    records = []
    for item in items:
        if item["kind"] != "current" or item["source"] not in topic_of:
            continue
        like = topic_of[item["source"]]
        scored = {**item, "topic": like["topic"], "sources": [item["source"]], "new_view": like["new_view"],
                  "old_view": like["old_view"]}
        records.append(bench_time.verdict(scored, chat.answer(twin, item["question"]), topics, dated))
        print(f"\r{len(records)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    twin.close()
    return {"current": len(records), "right": sum(r["right"] for r in records),
            "stale": sum(bool(r.get("stale")) for r in records), "model": twin.model.name}


if __name__ == "__main__":
    main()
