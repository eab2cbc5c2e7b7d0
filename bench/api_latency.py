"""What the server adds: the same questions answered directly (chat.reply, as `erre ask`
does) and through erre serve's OpenAI-compatible API with the official openai client
(streaming, on loopback), same twin and model. Prints first-token and total
times of both and the difference.

    python bench/api_latency.py --home /tmp/ddbit bench/questions/ddbit.jsonl --limit 8
    python bench/api_latency.py --home /tmp/ddbit bench/questions/ddbit.jsonl --instant
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path


class Instant:
    """A chat model that answers at once, in small pieces, citing the first passage."""

    name, context = "instant", 4096

    def count(self, messages) -> int:
        return sum(len(m["content"]) // 4 + 4 for m in messages)

    def stream(self, messages, *, max_tokens, temperature, stop=()):
        text = "Ne ho scritto in questo passaggio, e lo riassumo qui in poche parole [1]."
        for i in range(0, len(text), 4):
            yield text[i:i + 4]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("questions")
    ap.add_argument("--home", required=True)
    ap.add_argument("--limit", type=int, default=8)
    ap.add_argument("--instant", action="store_true",
                    help="a model that answers at once (retrieval stays real): what the server alone adds, in ms")
    args = ap.parse_args()

    import openai
    import uvicorn

    from erre import chat, server
    from erre.twin import Twin

    twin = Twin.open(args.home)
    items = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line]
    questions = [i["question"] for i in items if i.get("kind") != "unanswerable"][: args.limit]
    if args.instant:
        twin.use(model=Instant())
        questions = questions * 10
    twin.model  # loaded once, outside the timings

    srv = uvicorn.Server(uvicorn.Config(server.create_app(twin), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0, timeout=600)

    def direct(q):
        t0, first = time.perf_counter(), None
        for _ in chat.reply(twin, q):
            first = first or time.perf_counter() - t0
        return first, time.perf_counter() - t0

    def through_api(q):
        t0, first = time.perf_counter(), None
        for chunk in client.chat.completions.create(model="twin", stream=True,
                                                    messages=[{"role": "user", "content": q}]):
            if chunk.choices and chunk.choices[0].delta.content:
                first = first or time.perf_counter() - t0
        return first, time.perf_counter() - t0

    # all questions directly, then all through the API, in the same order: each prompt follows
    # another question's in both passes, so llama.cpp's reuse of the previous prompt's cache
    # (the shared system prompt) helps both alike and never the repeat of the same question
    times = {}
    for way, ask in (("direct", direct), ("api", through_api)):
        times[way] = []
        for n, q in enumerate(questions, 1):
            times[way].append(ask(q))
            if not args.instant:
                print(f"{way} {n}/{len(questions)}: first token {times[way][-1][0]:.2f} s, "
                      f"total {times[way][-1][1]:.2f} s", file=sys.stderr)
    rows = list(zip(times["direct"], times["api"]))
    srv.should_exit = True

    def p50(values):
        return round(statistics.median(values), 3)

    d_first, d_total = [r[0][0] for r in rows], [r[0][1] for r in rows]
    a_first, a_total = [r[1][0] for r in rows], [r[1][1] for r in rows]
    print(json.dumps({"questions": len(rows), "model": twin.model.name,
                      "direct": {"first_token_s_p50": p50(d_first), "total_s_p50": p50(d_total)},
                      "api": {"first_token_s_p50": p50(a_first), "total_s_p50": p50(a_total)},
                      "api_minus_direct": {"first_token_s_p50": p50([a - d for a, d in zip(a_first, d_first)]),
                                           "total_s_p50": p50([a - d for a, d in zip(a_total, d_total)])}},
                     indent=2))


if __name__ == "__main__":
    main()
