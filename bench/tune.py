"""A whole style-tuning run on a twin, with its figures: training set, LoRA training, and the
report (forgetting, held-out perplexity, style and grounding of answers).

    python bench/tune.py --home /tmp/ddbit --steps 60 --out /tmp/ddbit-tune.json
    python bench/tune.py --home /tmp/ddbit --model qwen2.5-coder-0.5b --steps 100

`--model`: the base (a shipped model name or a GGUF file; default: the twin's). Steps of
`tune.batch` examples; `--max-length` cuts examples (CPU time grows with it). The report
answers `--questions` held-out questions in four set-ups (base, prompt voice, adapter,
adapter + voice) and asks `--general` general texts and questions per language (all by
default).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="an ingested twin (with a style model for the style figures)")
    ap.add_argument("--model", default=None, help="base model: shipped name or GGUF (default: the twin's)")
    ap.add_argument("--steps", type=int, default=None, help="optimiser steps (default: tune.epochs over the data)")
    ap.add_argument("--batch", type=int, default=None, help="examples per step (default: tune.batch)")
    ap.add_argument("--max-length", type=int, default=None, help="tokens per example at most")
    ap.add_argument("--limit", type=int, default=2000, help="training examples made at most")
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--general", type=int, default=None)
    ap.add_argument("--name", default=None)
    ap.add_argument("--engine", choices=["auto", "llamacpp", "transformers"], default="auto",
                    help="what runs the forgetting check")
    ap.add_argument("--out", default=None, help="write the figures here (JSON)")
    ap.add_argument("--only", choices=["train", "report"], default=None,
                    help="train: prepare and train, no report; report: report on the adapter --name")
    args = ap.parse_args()

    from erre.tune import adapter_dir, data, folder, report, train
    from erre.twin import Twin

    overrides = {"llm_model": args.model, "tune_batch": args.batch, "tune_max_length": args.max_length}

    def open_twin(**more):
        twin = Twin.open(Path(args.home))
        twin.settings = dataclasses.replace(twin.settings, **{k: v for k, v in {**overrides, **more}.items()
                                                               if v is not None})
        return twin

    twin = open_twin()
    out: dict = {"home": args.home, "model": twin.settings.llm_model or "(default)"}
    if args.only == "report":
        target = adapter_dir(twin.home, args.name or "latest")
    else:
        t0 = time.perf_counter()
        examples = data.build(twin, limit=args.limit)
        out["data"] = data.save(examples, folder(twin.home) / "data")
        out["prepare_s"] = round(time.perf_counter() - t0, 1)
        print("data:", out["data"], flush=True)
        target = train.run(twin, name=args.name, steps=args.steps, progress=lambda m: print(m, flush=True))
    out["train"] = json.loads((target / "erre.json").read_text(encoding="utf-8"))
    if args.only == "train":
        twin.close()
        print(json.dumps(out["train"], indent=2))
        if args.out:
            Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
        return
    t0 = time.perf_counter()
    result = report.run(twin, open_twin, adapter=target.name, questions=args.questions,
                        general_items=args.general, say=lambda m: print(m, flush=True),
                        engine=args.engine)
    out["report_s"] = round(time.perf_counter() - t0, 1)
    out["report"] = result
    twin.close()
    print(report.render(result))
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
