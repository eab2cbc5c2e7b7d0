"""Search latency over an ingested twin: p50/p95 of `retrieve.search` per question,
including the question's embedding, after one warm-up query.

    python bench/latency.py --home /tmp/ddbit-twin [--questions q.txt] [--mode hybrid]

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
    args = ap.parse_args()

    from erre import retrieve
    from erre.twin import Twin

    twin = Twin.open(args.home)
    questions = QUESTIONS
    if args.questions:
        questions = [q.strip() for q in open(args.questions, encoding="utf-8") if q.strip()]
    store, embedder = twin.existing_store(), twin.embedder
    retrieve.search(store, embedder, "warm-up", args.k, mode=args.mode)
    times = []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            retrieve.search(store, embedder, q, args.k, mode=args.mode,
                            candidates=twin.settings.search_candidates)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p = lambda x: times[min(len(times) - 1, int(round(x * (len(times) - 1))))]  # noqa: E731
    print(json.dumps({"mode": args.mode, "queries": len(times), "chunks": store.stats()["chunks"],
                      "p50_ms": round(statistics.median(times), 2), "p95_ms": round(p(0.95), 2),
                      "max_ms": round(times[-1], 2)}, indent=2))


if __name__ == "__main__":
    main()
