"""The voice, measured on a real twin: trains the style model (the twin's writings against
other writers' texts) when the twin has none, builds the persona when missing, then answers
the questions twice, with the voice and with a neutral assistant (same model, same evidence),
and prints the style scores and grounding of both.

    python bench/voice.py --home /tmp/ddbit --background ../shared/eval/style-it/albertazzi \\
        ../shared/eval/style-it/capuana ../shared/eval/style-it/de-roberto \\
        ../shared/eval/squad-it/dev/passages.jsonl --from-titles 40
    python bench/voice.py --home /tmp/pg --questions ../shared/eval/pg/questions.jsonl --background \\
        ../shared/eval/style-en/sam-altman ../shared/eval/style-en/simon-willison ../shared/eval/style-en/hamilton

--from-titles N asks about N of the twin's documents ("Parlami di «title»." or "Tell me
about “title”."), citing that document as the expected source. A background may be any file
or folder erre ingests (a JSONL file of {"id", "title", "text"} objects gives one text per line).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = {"it": "Parlami di «{title}».", "en": "Tell me about “{title}”."}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home")
    ap.add_argument("--background", nargs="+")
    ap.add_argument("--questions")
    ap.add_argument("--from-titles", type=int)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--skip", type=int, default=0, help="leave out the first N questions (to run a set in parts)")
    ap.add_argument("--merge", nargs="+", help="print the summary of earlier --out files together, and exit")
    ap.add_argument("--retrain", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()

    from erre import persona, style
    from erre.eval import answers, voice
    from erre.twin import Twin

    if args.merge:
        merged: dict[str, list] = {}
        for f in args.merge:
            for line in Path(f).read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                merged.setdefault(r.pop("run"), []).append(r)
        print(json.dumps(voice.summary(merged), indent=2))
        return
    if not args.home or not args.background:
        ap.error("--home and --background are needed (except with --merge)")

    twin = Twin.open(args.home)
    store = twin.existing_store()
    lang = max(store.languages().items(), key=lambda kv: kv[1])[0]
    if args.retrain or not (twin.home / style.MODEL_FILE).exists():
        t0 = time.perf_counter()
        author = [text for _, _, doc_lang, text in store.documents() if doc_lang == lang]
        others = style.background_texts(args.background)
        auc = style.check(author, others, lang)
        style.save(style.train(author, others, lang), twin.home)
        print(f"style model: {len(author)} texts vs {len(others)}, held-out AUC {auc:.3f}, "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if not (twin.home / persona.PERSONA_FILE).exists():
        persona.save(persona.build(store.documents(), twin.settings.name), twin.home)
    if args.from_titles:
        docs = [(source, title) for source, title, doc_lang, _ in store.documents()
                if doc_lang == lang and title and "licen" not in source.lower()]
        docs = random.Random(0).sample(docs, min(args.from_titles, len(docs)))
        lines = [json.dumps({"question": TEMPLATES.get(lang, TEMPLATES["en"]).format(title=t), "sources": [s]},
                            ensure_ascii=False) for s, t in docs]
        qfile = Path(tempfile.mkdtemp()) / "questions.jsonl"
        qfile.write_text("\n".join(lines), encoding="utf-8")
    else:
        qfile = Path(args.questions)
    items = answers.load(qfile)[args.skip:]
    items = items[: args.limit] if args.limit else items
    for name in ("verifier", "persona"):
        twin.__dict__.pop(name, None)
    t0 = time.perf_counter()
    summary, records = voice.run(twin, items, progress=lambda n, d, t: print(f"\r{n} {d}/{t}", end="",
                                                                             file=sys.stderr, flush=True))
    print(file=sys.stderr)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    if args.out:
        Path(args.out).write_text("".join(json.dumps({"run": run, **r}, ensure_ascii=False) + "\n"
                                          for run, recs in records.items() for r in recs), encoding="utf-8")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
