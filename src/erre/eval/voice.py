"""Does the voice work? The same questions answered twice, with the same model and the same
evidence: once by the twin (persona card, examples of form, first person, best of
`style.candidates` drafts as when an answer is delivered whole), once by a neutral
assistant. Reported: the style model's score for both, the share attributed to the author
(score over 0.5), and whether grounding held (citations of an expected source, abstentions).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ErreError
from . import answers


def _styles(records: list[dict]) -> dict:
    scores = [r["style"] for r in records if not r["abstained"] and r["style"] is not None]
    if not scores:
        return {"answers": 0, "style_mean": None, "style_p50": None, "attributed": None}
    a = np.array(scores)
    return {"answers": len(scores), "style_mean": round(float(a.mean()), 4),
            "style_p10": round(float(np.percentile(a, 10)), 4), "style_p50": round(float(np.median(a)), 4),
            "style_p90": round(float(np.percentile(a, 90)), 4), "attributed": round(float(np.mean(a > 0.5)), 4)}


KEEP = ("citation_hit", "answer_hit", "false_abstention", "abstention", "first_token_ms_p50", "total_ms_p50")


def summary(records: dict[str, list[dict]]) -> dict:
    """The metrics of each run ("voice", "neutral") from its answer records. When the voice
    wrote several drafts per answer, "voice, first draft" gives the style of the first alone:
    what one draft (a streamed answer) would have scored."""
    out = {name: {**_styles(recs), **{k: answers.summarize(recs)[k] for k in KEEP}} for name, recs in records.items()}
    for name, recs in records.items():
        firsts = [{**r, "style": r["style_drafts"][0]} for r in recs if r.get("style_drafts")]
        if firsts:
            out[f"{name}, first draft"] = _styles(firsts)
    return out


def run(twin, items: list[answers.Item], progress: Callable[[str, int, int], None] | None = None) -> tuple[dict, dict]:
    """{"voice": {...}, "neutral": {...}} metrics, and the records of both runs."""
    if twin.verifier is None:
        raise ErreError(f"No style model in {twin.home}. Run: erre style train --background FOLDER")
    records = {}
    for name, voice in (("voice", True), ("neutral", False)):
        def step(done: int, total: int, name: str = name) -> None:
            if progress:
                progress(name, done, total)

        _, records[name] = answers.run(twin, items, voice=voice, progress=step,
                                       candidates=twin.settings.style_candidates if voice else 1)
    return summary(records), records
