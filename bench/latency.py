"""Search latency over an ingested twin: p50/p95 of `retrieve.search` per question,
including the question's embedding, after one warm-up query.

    python bench/latency.py --home /tmp/ddbit-twin [--questions q.txt] [--mode hybrid]
    python bench/latency.py --home /tmp/ddbit-twin --answers [--translated 0]

--answers times the search as the answers run it (`retrieve.find` with the cross-lingual
encoder's cosine and the question's words translated, the twin's settings), the question's
embedding excluded; the first pass is reported apart: the words met for the first time are
encoded then (kept in memory after).

Without --questions it uses a built-in list of Italian and English questions about the
kinds of topics a blog on AI covers; each is asked `--repeat` times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

QUESTIONS = [
    "Cosa pensi del fine-tuning dei modelli?", "Come si valuta la qualità di un sistema RAG?",
    "Perché usare Ollama in locale?", "Quali metriche usi per valutare un riassunto?",
    "Che cos'è un modello a 1 bit?", "Come funziona un agente AI?",
    "Qual è l'impatto ambientale dei modelli linguistici?", "Cosa dice Sun Tzu sulla guerra?",
    "What do you think about small language models?", "How do you evaluate summarization?",
    "What is a mixture of experts model?", "Is open source AI safe?",
    "Come leggere la scheda di un modello?", "Cosa sono i punteggi Elo per gli LLM?",
    "What is prompt tuning?", "Che cosa pensi della legge SB 1047?",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True)
    ap.add_argument("--questions", help="a text file, one question per line")
    ap.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "lexical"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("-k", type=int, default=8)
    ap.add_argument("--answers", action="store_true", help="time the answers' search (retrieve.find)")
    ap.add_argument("--translated", type=float, help="with --answers: the translated words' weight "
                    "(default: the twin's search.translated; 0 is off)")
    args = ap.parse_args()

    from erre import retrieve
    from erre.twin import Twin

    twin = Twin.open(args.home)
    questions = QUESTIONS
    if args.questions:
        questions = [q.strip() for q in open(args.questions, encoding="utf-8") if q.strip()]
    store, embedder = twin.existing_store(), twin.embedder
    if args.answers:
        print(json.dumps(answers_search(twin, questions, args), indent=2))
        return
    retrieve.search(store, embedder, "warm-up", args.k, mode=args.mode)
    times = []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            retrieve.search(store, embedder, q, args.k, mode=args.mode,
                            candidates=twin.settings.search_candidates)
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"mode": args.mode, "queries": len(times), "chunks": store.stats()["chunks"],
                      **percentiles(times)}, indent=2))


def percentiles(times: list[float]) -> dict:
    times = sorted(times)
    p = lambda x: times[min(len(times) - 1, int(round(x * (len(times) - 1))))]  # noqa: E731
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(p(0.95), 2),
            "max_ms": round(times[-1], 2)}


def answers_search(twin, questions: list[str], args) -> dict:
    """The answers' search, timed per question: the first pass (new words encoded) and the
    repeats apart."""
    from erre import retrieve
    from erre.answer.voice import EXEMPLAR_POOL

    s, store = twin.settings, twin.existing_store()
    weights = retrieve.Weights(second=s.search_cross,
                               translated=s.search_translated if args.translated is None else args.translated)
    vectors = twin.embedder.queries(questions)
    second = twin.subjects if s.search_cross else None
    passes = []
    for _ in range(max(args.repeat, 2)):
        times = []
        for q, v in zip(questions, vectors):
            t0 = time.perf_counter()
            retrieve.find(store, twin.embedder, q, args.k, pool=EXEMPLAR_POOL,
                          candidates=s.search_candidates, query_vector=v, second=second, weights=weights)
            times.append((time.perf_counter() - t0) * 1000)
        passes.append(times)
    return {"cross": s.search_cross, "translated": weights.translated, "questions": len(questions),
            "first_pass": percentiles(passes[0]), "repeats": percentiles([t for p in passes[1:] for t in p])}


if __name__ == "__main__":
    main()
