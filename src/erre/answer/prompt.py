"""The prompt: persona and rules, the voice's examples of form, the conversation, the
numbered passages as quoted material, the question; fitted to the model's window.

Invariant: the prompt always fits the model's window (passages are trimmed first, then the
conversation). Documents are data: their tags can't close the quotation, orders planted in
them are cut (guard.defuse).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .. import guard
from ..documents import Passage, Turn
from ..errors import ErreError
from ..llm import Message
from .citations import strip_markers
from .texts import LANGUAGE_NAMES, prompts

ANSWER_RESERVE = 16  # tokens kept free beyond max_tokens (stop sequences, template tail)


@dataclass(frozen=True)
class Voice:
    """How the twin should sound: lines added to the system prompt (the persona card and the
    directions about form) and example exchanges where a question about one of the author's
    topics is answered with the author's own words. The examples teach form, not facts: they
    come before the conversation and carry no passage numbers, so they cannot be cited."""

    card: str = ""
    shots: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.card or self.shots)


def _where(p: Passage) -> str:
    c = p.chunk
    where = c.header or c.title or c.source
    return where + (f", p. {c.page}" if c.page else "")


def _dated(texts: dict[str, str], p: Passage) -> str:
    """The passage's date as an attribute of its tag ("" when its document has none)."""
    date = p.chunk.date
    return texts["passage_date"].format(date=date) if date and re.fullmatch(r"[\d-]{4,10}", date) else ""


def excerpt(p: Passage, chars: int) -> str:
    """The passage's sentence nearest the question (its `quote`) and the sentences around it,
    alternately after and before, up to `chars` characters; the whole text when `chars` is 0
    or the passage is short. Cut ends are marked with "…"."""
    from ..chunk import sentences

    c = p.chunk
    if chars <= 0 or len(c.text) <= chars:
        return c.text
    spans = sentences(c.text) or [(0, len(c.text))]
    at = p.quote[0] - c.start if p.quote and c.start <= p.quote[0] < c.end else 0
    i = max((k for k, (a, _) in enumerate(spans) if a <= at), default=0)
    first = last = i
    while True:
        grown = False
        for j in (last + 1, first - 1):  # the next sentence first: it usually carries the point on
            if 0 <= j < len(spans) and spans[max(last, j)][1] - spans[min(first, j)][0] <= chars:
                first, last, grown = min(first, j), max(last, j), True
        if not grown:
            break
    text = c.text[spans[first][0]:spans[last][1]]
    return ("… " if spans[first][0] > 0 else "") + text + (" …" if spans[last][1] < len(c.text.rstrip()) else "")


def _history_messages(history: Sequence[Turn], keep: int) -> list[Message]:
    turns = [t for t in history if t.role in ("user", "assistant") and t.content.strip()]
    return [Message(role=t.role, content=strip_markers(t.content) if t.role == "assistant" else t.content)
            for t in turns[-keep:]] if keep > 0 else []


def build(settings, question: str, lang: str, passages: Sequence[tuple[Passage, str]],
          history: Sequence[Message], style: Voice | None = Voice(), note: str = "") -> list[Message]:
    """The messages for the model: persona and rules (with the voice, `style`; None for a
    neutral assistant), the voice's example exchanges, the conversation, then the numbered
    passages (each with the text to show) and the question."""
    texts = prompts(lang)
    name = settings.name or "the author"
    language_name = LANGUAGE_NAMES.get(lang, "the language of the question")
    if style is None:
        system = texts["neutral_system"].format(language=language_name)
    else:
        system = texts["system"].format(name=name, language=language_name) + (
            f"\n\n{style.card}" if style.card else "")
    # documents are data: their tags can't close the quotation, orders planted in them are cut
    blocks = "\n\n".join(texts["passage"].format(n=n, where=_escape(_where(p)).replace('"', "'"),
                                                    date=_dated(texts, p), text=_escape(guard.defuse(text)))
                         for n, (p, text) in enumerate(passages, 1))
    if note:  # what the passages' dates mean for this question (answer/when.py)
        blocks += "\n\n" + note
    user = texts["passages"].format(passages=blocks, question=question, name=name,
                                    language=LANGUAGE_NAMES.get(lang, "the language of the question"))
    shots = [Message(role=role, content=content) for q, a in (style.shots if style else ())
             for role, content in (("user", q), ("assistant", guard.defuse(a)))]
    return [Message(role="system", content=system), *shots, *history, Message(role="user", content=user)]


def _escape(text: str) -> str:
    """Quoted text can't close its own quotation tag: a planted </passage> stays text."""
    return _TAG.sub(lambda m: "‹" + m.group(0)[1:], text)


_TAG = re.compile(r"</?\s*(?:passaggio|passage)\b", re.IGNORECASE)


def fit(model, settings, question: str, lang: str, passages: Sequence[Passage],
        history: Sequence[Turn], style: Voice | None = Voice(), note: str = "") -> tuple[list[Message], list[Passage]]:
    """The largest prompt that fits the window: passages in rank order (the last one cut if
    need be), then as much of the conversation as fits, newest first. A quarter of the room
    is kept for the conversation when it has that much."""
    if note:  # the note on dates gives way first
        try:
            return _fit(model, settings, question, lang, passages, history, style, note)
        except ErreError:
            pass
    return _fit(model, settings, question, lang, passages, history, style, "")


def _fit(model, settings, question: str, lang: str, passages: Sequence[Passage],
         history: Sequence[Turn], style: Voice | None, note: str) -> tuple[list[Message], list[Passage]]:
    budget = model.context - settings.llm_max_tokens - ANSWER_RESERVE
    count = lambda shown, past: model.count(build(settings, question, lang, shown, past, style, note))  # noqa: E731
    base = count([], [])
    if base > budget:
        error = NoRoom if style else ErreError  # with a voice, a smaller voice may still fit
        raise error(f"The question is too long for the model: {base} tokens of prompt, and the model "
                    f"has {model.context} with {settings.llm_max_tokens} kept for the answer. "
                    f"Ask a shorter question, or set llm.context / llm.max_tokens.")
    past = _history_messages(history, settings.chat_history_turns)
    reserve = min(count([], past) - base, (budget - base) // 4)
    shown: list[tuple[Passage, str]] = []
    for p in passages:
        whole = excerpt(p, settings.chat_passage_chars)
        text = whole
        while text and count([*shown, (p, text)], []) > budget - reserve:
            text = _shorten(text)
        if not text:
            break
        shown.append((p, text))
        if text != whole:
            break
    if not shown and passages:
        raise NoRoom(f"No passage fits the model's context of {model.context} tokens; "
                     f"raise llm.context or lower llm.max_tokens.")
    while past and count(shown, past) > budget:
        past = past[1:]
    return build(settings, question, lang, shown, past, style, note), [p for p, _ in shown]


class NoRoom(ErreError):
    """Not even one passage fits beside the rest of the prompt."""


def _shorten(text: str) -> str:
    """Text cut by a fifth at a word boundary; "" when too little would be left to be useful."""
    if len(text) < 200:
        return ""
    cut = text[: int(len(text) * 0.8)]
    return cut[: cut.rfind(" ")] + " …" if " " in cut else cut
