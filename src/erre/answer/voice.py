"""The voice in the prompt: the persona card (the author's measured register and habits)
and short examples of form, passages near the question that sound most like the author.
They teach form, not facts: they carry no passage numbers and cannot be cited."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .. import retrieve
from ..chunk import sentences
from ..documents import Passage
from .prompt import Voice
from .texts import prompts

EXEMPLAR_WORDS = 70
EXEMPLAR_POOL = 12  # passages near the question that the examples of form are chosen from


def card(profile, texts: dict[str, str]) -> str:
    """The persona card: the measured register and habits, then the author's own words."""
    sing, plur = profile.person.get("singular", 0.0), profile.person.get("plural", 0.0)
    lines = []
    if sing or plur:
        lines.append(texts["card_singular"] if sing >= plur else texts["card_plural"])
    if profile.address and max(profile.address.values()) >= 0.5:
        lines.append(texts["card_address"].format(form=max(profile.address, key=lambda k: profile.address[k])))
    lines.append(texts["card_sentences"].format(words=round(profile.sentence_words.get("p50", 15))))
    if profile.question_share >= 0.05:
        lines.append(texts["card_questions"])
    if profile.expressions:
        lines.append(texts["card_expressions"].format(expressions=", ".join(f"«{e}»" for e in profile.expressions[:6])))
    if profile.voice:
        lines.append(profile.voice)
    return "\n".join(f"- {line}" for line in lines)


def exemplars(twin, question: str, exclude: set[int], n: int = 2,
              found: Sequence[Passage] | None = None) -> list[tuple[str, str]]:
    """Short passages chosen for form, each with its topic (heading or title): from the
    writings near the question, not among the evidence, the ones the style model finds most
    typical of the author (by rank without a model), headings left out and cut to about
    EXEMPLAR_WORDS words at a sentence end. `found`: the question's search, when made already."""
    if found is None:
        found = retrieve.search(twin.store, twin.embedder, question, EXEMPLAR_POOL,
                                candidates=twin.settings.search_candidates)
    picked: list[tuple[str, str]] = []
    for p in found:
        if p.id in exclude:
            continue
        text = _first_words(_prose(p.chunk.text), EXEMPLAR_WORDS)
        if len(text.split()) >= 25:
            picked.append(((p.chunk.heading[-1] if p.chunk.heading else p.chunk.title) or p.chunk.source, text))
    verifier = twin.verifier
    if verifier is not None and len(picked) > n:
        scores = verifier.score([text for _, text in picked])
        picked = [picked[i] for i in np.argsort(-scores, kind="stable")]
    return picked[:n]


def _prose(text: str) -> str:
    """The text without heading-like lines (short, no closing punctuation), table rows and
    Markdown marks."""
    lines = []
    for line in text.splitlines():
        bare = line.strip().lstrip("#>*-+ ").strip()
        if not bare or "|" in bare or (
                len(bare.split()) < 12 and not bare.endswith((".", "!", "?", "…", ":", ";", '"', "»"))):
            continue  # headings, table rows
        lines.append(re.sub(r"[*_`]{1,3}", "", bare))
    return "\n".join(lines)


def _first_words(text: str, words: int) -> str:
    """The first sentences of `text` that fit in `words` words (at least the first one)."""
    out = ""
    for a, b in sentences(text):
        piece = " ".join(text[a:b].split())
        if out and len((out + " " + piece).split()) > words:
            break
        out = f"{out} {piece}".strip()
    return out


def voices(twin, lang: str, asked: str, shown: Sequence[Passage], pool: Sequence[Passage] | None) -> list[Voice]:
    """The voice, fullest first: persona card and examples of form; the card alone;
    nothing (also when there is no persona yet). The prompt gives way to the next one when
    the model's window is small. `pool`: the question's search, deeper than the evidence."""
    profile = twin.persona
    if profile is None:
        return [Voice()]
    texts = prompts(lang)
    the_card = texts["voice"].format(card=card(profile, texts))
    shots = tuple((texts["shot_question"].format(topic=topic), text)
                  for topic, text in exemplars(twin, asked, {p.id for p in shown}, found=pool))
    return [Voice(the_card, shots), Voice(the_card), Voice()]
