"""What erre adds to the model: its own work before the model is called, and generation
speed through erre's stream against raw llama.cpp on the same prompt.

    python bench/stream_overhead.py --home /tmp/pg --model path/to/model.gguf

`--home`: an ingested twin (its questions come from bench/vs_llamaindex.py's list for the
Paul Graham essays, asked `--repeat` times). The model is stopped as soon as erre calls it,
so the first figure is retrieval, examples of form and prompt building only. The second
runs one prompt with a 120-token answer through raw llama.cpp (temperature 0 and 0.2) and
through erre's stream, `--repeat` times each.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


class _Called(Exception):
    pass


def before_model(twin, questions: list[str], repeat: int) -> list[float]:
    from erre import chat

    model = twin.model
    called: list[float] = []

    def stream(messages, **kw):
        called.append(time.perf_counter())
        raise _Called

    model.stream = stream  # type: ignore[method-assign]
    times = []
    for _ in range(repeat):
        for q in questions:
            reply = chat.Reply(twin, q)
            t0 = time.perf_counter()
            try:
                for _piece in reply:
                    pass
            except _Called:
                pass
            times.append((called[-1] - t0) * 1000)
    return times


def generation(path: Path, repeat: int) -> dict[str, list[float]]:
    from erre.llm import Message
    from erre.llm.llamacpp import LlamaCppModel

    m = LlamaCppModel(path, context=4096, threads=2)
    messages = [Message(role="system", content="You are a helpful writer. Answer in about 150 words."),
                Message(role="user", content="Why do essays matter for thinking? Explain with examples.")]
    tokens = m._tokens(messages)

    def rate(stamps: list[float]) -> float:
        return (len(stamps) - 1) / (stamps[-1] - stamps[0])

    out: dict[str, list[float]] = {}
    for _ in range(repeat):
        for label, kw in (("raw, temperature 0", {"temperature": 0.0}), ("raw, temperature 0.2", {"temperature": 0.2})):
            m._llm.reset()
            stamps = [time.perf_counter() for _ in m._llm.create_completion(tokens, max_tokens=120, stream=True,
                                                                              seed=1, **kw)]
            out.setdefault(label, []).append(rate(stamps))
        m._llm.reset()
        stamps = [time.perf_counter() for _ in m.stream(messages, max_tokens=120, temperature=0.2)]
        out.setdefault("erre stream, temperature 0.2", []).append(rate(stamps))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True, help="an ingested twin")
    ap.add_argument("--model", required=True, help="the GGUF file")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from vs_llamaindex import TTFT_QUESTIONS

    from erre.twin import Twin

    twin = Twin.open(Path(args.home))
    twin.settings = dataclasses.replace(twin.settings, llm_model=args.model)
    times = before_model(twin, TTFT_QUESTIONS["pg"], args.repeat)
    twin.close()
    ordered = sorted(times)
    print(f"before the model: {len(times)} questions, median {statistics.median(times):.1f} ms, "
          f"p95 {ordered[int(0.95 * (len(ordered) - 1))]:.1f} ms, first {times[0]:.0f} ms")
    for label, rates in generation(Path(args.model), args.repeat).items():
        print(f"{label}: " + ", ".join(f"{r:.2f}" for r in rates) + " tokens/s")


if __name__ == "__main__":
    main()
