"""Follow-ups: a question that leans on the conversation ("and when?") rewritten by the
model into one that can be searched on its own."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .. import language
from ..documents import Turn
from ..llm import Message
from .citations import strip_markers
from .prompt import ANSWER_RESERVE
from .texts import prompts

CONDENSE_TOKENS = 80  # longest rewrite of a follow-up


def condense(model, question: str, history: Sequence[Turn]) -> str | None:
    """A follow-up ("and when?") rewritten with the conversation into a question that can be
    searched on its own; None when the model gives something unusable or the same question."""
    turns = [t for t in history if t.role in ("user", "assistant")][-4:]
    lines = []
    for t in turns:
        content = strip_markers(t.content)
        lines.append(f"{'Q' if t.role == 'user' else 'A'}: {content[:400] + '…' if len(content) > 400 else content}")
    template = prompts("en")["condense"]
    budget = model.context - CONDENSE_TOKENS - ANSWER_RESERVE
    while True:  # the oldest lines go first when the window is small
        prompt = template.format(conversation="\n".join(lines), question=question)
        if model.count([Message(role="user", content=prompt)]) <= budget:
            break
        if not lines:
            return None
        lines = lines[1:]
    out = "".join(model.stream([Message(role="user", content=prompt)], max_tokens=CONDENSE_TOKENS, temperature=0.0))
    out = next((line.strip() for line in out.splitlines() if line.strip()), "")
    out = re.sub(r"^[^:\n]{0,30}:\s*(?=\S)", "", out).strip(" \"'«»“”")
    if not 3 <= len(out) <= max(300, 3 * len(question)) or len(language.words(out)) < 2:
        return None
    return None if language.words(out) == language.words(question) else out
