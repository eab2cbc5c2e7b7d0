"""Load on a running twin: many chat sessions at once against one or more `erre serve`
workers, as browsers would use the web chat (a conversation, then questions streamed one
after the other). Each request goes to the next worker in turn, so a conversation hops
between workers the way it would behind a load balancer without sticky sessions.

Reported: throughput, latency to the whole answer and to its first words (p50/p95), and
every failure by kind. The only acceptable failure is an explicit "busy" (503 with
Retry-After), which the client honours and retries; afterwards every conversation is read
back and must hold exactly the turns that were answered (none lost, none half-written).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import numpy as np

QUESTIONS = ["Perché scrivi ancora a mano?", "Quali regole hai dato agli studenti per usare i chatbot?",
             "Why not use the famous commercial services in your workshops?", "Chi era la signora Rina?",
             "How many times do you read a book?", "Is fine-tuning worth it, or is retrieval better?"]


def run(urls: list[str], *, sessions: int = 20, turns: int = 3, deadline_s: float = 300.0, api_key: str | None = None,
        retries: int = 30, questions: list[str] | None = None) -> dict:
    """Drive `sessions` concurrent conversations of `turns` questions each; the figures."""
    return asyncio.run(_run(urls, sessions, turns, deadline_s, api_key, retries, questions or QUESTIONS))


async def _run(urls, sessions, turns, deadline_s, api_key, retries, questions) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    workers = itertools.cycle(urls)
    stats: dict = {"requests": 0, "answered": 0, "busy": 0, "errors": {}, "latency": [], "first_token": []}
    started = time.perf_counter()
    deadline = started + deadline_s

    def browser():  # one client per session: its own cookie jar, as a browser has
        return httpx.AsyncClient(timeout=httpx.Timeout(deadline_s, connect=10), headers=headers)

    results = await asyncio.gather(*[_session(browser, workers, i, turns, questions, retries, deadline, stats)
                                     for i in range(sessions)])
    wall = time.perf_counter() - started
    lost = await _verify(results, workers, stats)
    lat, ft = np.array(stats["latency"] or [np.nan]), np.array(stats["first_token"] or [np.nan])
    pct = lambda a, q: None if np.isnan(a).all() else round(float(np.nanpercentile(a, q)), 3)  # noqa: E731
    return {"workers": len(urls), "sessions": sessions, "turns_per_session": turns, "requests": stats["requests"],
            "answered": stats["answered"], "busy": stats["busy"], "errors": stats["errors"],
            "lost_turns": lost, "seconds": round(wall, 2),
            "answers_per_s": round(stats["answered"] / wall, 3) if wall else None,
            "latency_p50_s": pct(lat, 50), "latency_p95_s": pct(lat, 95),
            "first_token_p50_s": pct(ft, 50), "first_token_p95_s": pct(ft, 95)}


def _error(stats: dict, kind: str) -> None:
    stats["errors"][kind] = stats["errors"].get(kind, 0) + 1


async def _session(browser, workers, i, turns, questions, retries, deadline, stats) -> tuple:
    """One browser: a cookie, a conversation, then its questions. (id, client, answered)."""
    async with browser() as client:
        cid, answered = await _talk(client, workers, i, turns, questions, retries, deadline, stats)
        # read back while the browser (its cookie) is still there
        return cid, await _stored(client, workers, cid, stats), answered


async def _talk(client, workers, i, turns, questions, retries, deadline, stats) -> tuple[str | None, int]:
    import httpx

    try:
        await client.get(next(workers) + "/")  # the owner cookie
        r = await client.post(next(workers) + "/api/conversations", json={})
        if r.status_code != 200:
            _error(stats, f"create {r.status_code}")
            return None, 0
        cid = r.json()["id"]
    except httpx.HTTPError as e:
        _error(stats, f"transport {type(e).__name__} starting a conversation")
        return None, 0
    answered = 0
    for t in range(turns):
        question = questions[(i + t) % len(questions)]
        for _ in range(retries + 1):
            if time.perf_counter() > deadline:
                _error(stats, "deadline")
                return cid, answered
            outcome, wait = await _ask(client, next(workers), cid, question, stats)
            if outcome == "busy":
                await asyncio.sleep(min(wait, 2.0) * (0.5 + np.random.random()))
                continue
            if outcome == "done":
                answered += 1
            break
        else:
            _error(stats, "busy after all retries")
    return cid, answered


async def _ask(client, worker, cid, question, stats) -> tuple[str, float]:
    import httpx

    stats["requests"] += 1
    t0 = time.perf_counter()
    first = None
    try:
        async with client.stream("POST", f"{worker}/api/conversations/{cid}/messages",
                                 json={"question": question}) as r:
            if r.status_code == 503:
                stats["busy"] += 1
                await r.aread()
                return "busy", float(r.headers.get("retry-after", "1"))
            if r.status_code != 200:
                await r.aread()
                _error(stats, f"http {r.status_code}")
                return "error", 0.0
            event = None
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event:
                    if event == "token" and first is None:
                        first = time.perf_counter() - t0
                    elif event == "done":
                        stats["answered"] += 1
                        stats["latency"].append(time.perf_counter() - t0)
                        stats["first_token"].append(first if first is not None else time.perf_counter() - t0)
                        return "done", 0.0
                    elif event == "error":
                        _error(stats, "answer error: " + json.loads(line[6:]).get("message", "")[:80])
                        return "error", 0.0
            _error(stats, "stream ended without an answer")
            return "error", 0.0
    except httpx.HTTPError as e:
        _error(stats, f"transport {type(e).__name__} " + ("after the first words" if first is not None else
                                                          "before any answer"))
        return "error", 0.0


async def _stored(client, workers, cid, stats) -> list | None:
    """The conversation's turns as the store holds them, read through the next worker."""
    import httpx

    if cid is None:
        return None
    try:
        r = await client.get(f"{next(workers)}/api/conversations/{cid}")
    except httpx.HTTPError as e:
        _error(stats, f"read back transport {type(e).__name__}")
        return None
    if r.status_code != 200:
        _error(stats, f"read back {r.status_code}")
        return None
    return r.json()["turns"]


async def _verify(results, workers, stats) -> int:
    """Turns answered but missing from the store, or stored but never answered."""
    lost = 0
    for cid, stored, answered in results:
        if cid is None:
            continue
        if stored is None:
            lost += answered
            continue
        roles_ok = all(t["role"] == ("user" if k % 2 == 0 else "assistant") for k, t in enumerate(stored))
        if len(stored) != 2 * answered or not roles_ok:
            lost += abs(len(stored) - 2 * answered) // 2 or 1
    return lost
