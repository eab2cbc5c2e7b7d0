"""Answer quality and latency of the whole pipeline over a corpus and a question set: the
share of answerable questions citing an expected source, the share whose answer holds an
expected answer or keyword (or token F1 / cosine against a reference answer), the share of
unanswerable questions abstained, first-token and total latency.

    python bench/answers.py CORPUS QUESTIONS [--home DIR] [--limit 200] [--out answers.jsonl]

CORPUS is a folder or file to ingest (skipped when --home already holds an index of it).
The model is the twin's (the default: Qwen2.5-Coder-1.5B-Instruct on llama.cpp).

    python bench/answers.py ../shared/eval/ddbit bench/questions/ddbit.jsonl --home /tmp/ddbit
    python bench/answers.py ../shared/eval/pg/essays ../shared/eval/pg/questions.jsonl --home /tmp/pg
    python bench/answers.py ../shared/eval/ddbit bench/questions/ddbit-hard.jsonl --home /tmp/ddbit --split test
    python bench/answers.py ../shared/eval/squad-it/dev/passages.jsonl \\
        ../shared/eval/squad-it/dev/questions.jsonl --home /tmp/squad --limit 200 [--without-source]

--without-source takes each question's own article (its `title`, or its `sources`) out of
what the search returns, so that the writings no longer cover it: every question then
counts as one to abstain on. --no-checks answers as the pipeline did before the answer
checks (`chat.checks = false`: no task / private-question classifier, no answerability
checks beyond the cosine, no grounding check), for before/after figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


_hidden: list = []  # the question being answered, whose own article the search must not return


def _without_source(items: list, path: Path) -> list:
    """The items as questions to abstain on, with every search made to skip their article."""
    from erre import retrieve

    titles = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            titles[str(obj.get("id"))] = obj.get("title")
    sources = {i.id: i.sources for i in items}
    original = retrieve.find

    def find(store, embedder, query, k=8, **kw):
        item = _hidden[0]
        gold = {titles.get(item.id)} - {None}

        def outside(p) -> bool:
            return p.chunk.title not in gold and not any(
                p.chunk.source == g or p.chunk.source.endswith("/" + g) for g in sources[item.id])

        depth = max(k, kw.pop("pool", 0))
        kw["candidates"] = max(kw.get("candidates", 50), depth) + 60
        found = original(store, embedder, query, depth + 60, **kw)
        pool = [p for p in found.pool if outside(p)][:depth]
        return dataclasses.replace(found, passages=pool[:k], pool=pool)

    retrieve.find = find
    items = [dataclasses.replace(i, answerable=False, kind="unanswerable", sources=frozenset(), expected=())
             for i in items]
    _hidden[:] = items[:1]
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("questions")
    ap.add_argument("--home")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", help="only the questions of this split (dev, test)")
    ap.add_argument("--out")
    ap.add_argument("--without-source", action="store_true",
                    help="each question's own article taken out of the search results")
    ap.add_argument("--name", help="the author's name (the twin speaks as them; default: the twin's own)")
    ap.add_argument("--no-checks", action="store_true", help="chat.checks = false (the pipeline before the checks)")
    ap.add_argument("--answer", choices=("write", "quote"),
                    help="chat.answer: the model writes the answer, or the author's sentence is quoted")
    args = ap.parse_args()

    from _twin import with_corpus

    from erre.eval import answers

    twin = with_corpus(args.home, args.corpus, args.name)
    items = answers.load(Path(args.questions), limit=args.limit, seed=args.seed, split=args.split)
    if args.no_checks:
        twin.settings = dataclasses.replace(twin.settings, chat_checks=False)
    if args.answer:
        twin.settings = dataclasses.replace(twin.settings, chat_answer=args.answer)
    if args.without_source:
        items = _without_source(items, Path(args.questions))
    t0 = load = time.perf_counter()
    if twin.settings.chat_answer != "quote":
        twin.model
        print(f"model {twin.model.name} loaded in {time.perf_counter() - load:.1f} s", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total}", end="", file=sys.stderr, flush=True)
        if args.without_source and done < total:
            _hidden[:] = [items[done]]

    summary, records = answers.run(twin, items, progress=progress)
    print(file=sys.stderr)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    summary["model"] = twin.model.name if twin.settings.chat_answer != "quote" else "none (quoted)"
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                  encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
