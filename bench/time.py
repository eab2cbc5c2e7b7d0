"""Time-aware answers: does the twin give the newest view as the author's current one, the
view of the time asked about, and the writings of a topic when asked how a view evolved?

    python bench/time.py [--home DIR] [--split dev|test] [--ids ID,...] [--out answers.jsonl]

The corpus and questions are bench/time/ (an imaginary author whose views changed on five
topics and stayed on two; see its README). The index is brought up to date with the corpus
first (only what changed is re-read). Per question kind:

- current, latest: right when the answer cites the topic's newest writing and is not stale
  (`current_says_new_view`, stricter: right and one of the newest view's words is in it);
  stale when it presents the old view as current: it cites an older writing of the topic
  but not the newest, or a sentence carries a word of the old view with no mark of the past
  (a year before the newest writing, "prima", "pensavo", "used to", "back then"...);
- past: right when it cites a writing of the time asked about;
- continuity: right when it cites at least one of the topic's writings;
- questions on subjects never written about (topic "none"): right when it abstains.

Also printed: how many documents got a date, and which have none.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent / "time"
PAST = re.compile(
    r"\b(prima|un tempo|allora|all'epoca|in passato|all'inizio|agli inizi|anni fa|tempo fa|una volta|ormai|"
    r"non più|non lo penso più|ho cambiato|cambiato idea|used to|back then|at the time|at first|earlier|"
    r"in the past|years ago|once|no longer|changed my mind|i thought|i believed|i wrote)\b"
    r"|\b\w+(?:avo|evo|ivo)\b",  # the Italian imperfect of the first person: pensavo, credevo, scrivevo
    re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+", text) if s.strip()]


def stale(answer: str, cited: set[str], newest: str, older: set[str], old_view: list[str],
          newest_year: int) -> bool:
    """Whether `answer` presents the old view as the current one."""
    if cited & older and newest not in cited:
        return True
    for s in _sentences(answer.lower()):
        if any(k.lower() in s for k in old_view):
            years = [int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", s)]
            if not (PAST.search(s) or any(y < newest_year for y in years)):
                return True
    return False


def writings_by_topic(items: list[dict], dated: dict[str, str | None]) -> dict[str, list[str]]:
    """Each topic's writings, oldest first: every source any question of the topic names."""
    topics: dict[str, set[str]] = defaultdict(set)
    for i in items:
        if i["topic"] != "none":
            topics[i["topic"]].update(i["sources"])
    return {t: sorted(s, key=lambda x: dated.get(x) or "") for t, s in topics.items()}


def verdict(item: dict, answer, topics: dict[str, list[str]], dated: dict[str, str | None]) -> dict:
    """`item` with the twin's `answer` (chat.Answer) and whether it is right (see above)."""
    cited = {Path(c.source).name for c in answer.citations}
    kind, sources = item["kind"], set(item["sources"])
    record = {**item, "answer": answer.text, "abstained": answer.abstained, "reason": answer.reason,
              "cited": sorted(cited), "first_token_ms": answer.timings.get("first_token_ms")}
    if item["topic"] == "none":
        record["right"] = answer.abstained
    elif answer.abstained:
        record["right"] = False
    elif kind in ("current", "latest"):
        writings = topics[item["topic"]]
        newest = writings[-1]
        newest_year = int((dated.get(newest) or "9999")[:4])
        record["stale"] = bool(item.get("old_view")) and stale(
            answer.text, cited, newest, set(writings[:-1]), item.get("old_view") or [], newest_year)
        record["right"] = newest in cited and not record["stale"]
        # stricter: it also says the newest view in words (one of its words, e.g. "e-reader", "lending")
        record["says_new_view"] = record["right"] and any(k.lower() in answer.text.lower()
                                                          for k in item.get("new_view") or [])
    else:  # past: the writing of that time; continuity: any writing of the topic
        record["right"] = bool(cited & sources)
    return record


def summarize(records: list[dict], dated: dict[str, str | None], undated: list[str]) -> dict:
    """The figures of a run: each kind's share right, stale, never written about abstained."""
    summary: dict = {"questions": len(records), "documents": len(dated), "undated": undated}
    for kind in ("current", "latest", "past", "continuity"):
        rs = [r for r in records if r["kind"] == kind and r["topic"] != "none"]
        if rs:
            summary[f"{kind}_right"] = round(sum(r["right"] for r in rs) / len(rs), 3)
            summary[f"{kind}_n"] = len(rs)
    said = [r for r in records if r["kind"] == "current" and r.get("new_view")]
    summary["current_says_new_view"] = round(sum(bool(r.get("says_new_view")) for r in said) / len(said), 3) \
        if said else None
    now = [r for r in records if r["kind"] in ("current", "latest") and r["topic"] != "none" and r.get("old_view")]
    summary["stale"] = round(sum(bool(r.get("stale")) for r in now) / len(now), 3) if now else None
    summary["stale_n"] = len(now)
    none = [r for r in records if r["topic"] == "none"]
    summary["never_written_abstained"] = round(sum(r["right"] for r in none) / len(none), 3) if none else None
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", help="keep the twin here (default: a temporary directory)")
    questions = [json.loads(line) for line in (HERE / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    ap.add_argument("--split", choices=list(dict.fromkeys(q["split"] for q in questions)),
                    help="only the questions of this split")
    ap.add_argument("--out", help="write each answer and its verdict here (JSON Lines)")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--ids", help="only these questions (ids, comma-separated): those a change can alter")
    ap.add_argument("--no-time", action="store_true", help="chat.time = false: evidence in order of relevance")
    ap.add_argument("--no-related", action="store_true",
                    help="chat.related = false: no writings on the same subject in the other language")
    args = ap.parse_args()

    import _twin

    from erre import chat

    twin = _twin.with_corpus(args.home, str(HERE / "corpus"), "Livia Santandrea")  # the author (README)
    report = twin.ingest([str(HERE / "corpus")])
    dated = {Path(source).name: date for source, date in twin.store.document_dates().items()}
    undated = sorted(s for s, d in dated.items() if not d)
    print(f"{len(dated)} documents, {len(dated) - len(undated)} dated; undated: {', '.join(undated) or '-'}"
          f" ({report.summary()})", file=sys.stderr)
    items = questions
    topics = writings_by_topic(items, dated)  # from every question, whatever the split
    if args.split:
        items = [i for i in items if i["split"] == args.split]
    if args.ids:
        wanted = set(args.ids.split(","))
        if unknown := wanted - {i["id"] for i in items}:
            raise SystemExit(f"no question with id {', '.join(sorted(unknown))} (see bench/time/questions.jsonl)")
        items = [i for i in items if i["id"] in wanted]
    items = items[:args.limit] if args.limit else items
    if args.no_time:
        twin.settings = dataclasses.replace(twin.settings, chat_time=False)
    if args.no_related:
        twin.settings = dataclasses.replace(twin.settings, chat_related=False)
        twin.__dict__.pop("subjects", None)
    twin.model
    records, first_token = [], []
    t0 = time.perf_counter()
    for n, item in enumerate(items, 1):
        answer = chat.answer(twin, item["question"])
        records.append(verdict(item, answer, topics, dated))
        first_token.append(answer.timings.get("first_token_ms") or 0)
        print(f"\r{n}/{len(items)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    summary = summarize(records, dated, undated)
    first_token.sort()
    summary["first_token_ms_p50"] = round(first_token[len(first_token) // 2], 1) if first_token else None
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["model"] = twin.model.name
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                  encoding="utf-8")
    twin.close()
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
