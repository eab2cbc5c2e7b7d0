"""The twin's answers, for every channel (CLI, web chat, API, Telegram, evaluation): the
entry points of the answer pipeline in `answer/`, stage by stage:

    answer/policy.py     answer or abstain: evidence, thresholds, kinds of message, refusals
    answer/classify.py   task / private-question classifiers over the question's vector
    answer/answerable.py names, figures, years and parts of a question against the passages
    answer/followup.py   a follow-up rewritten into a question searched on its own
    answer/prompt.py     the prompt, fitted to the model's window
    answer/voice.py      the persona card and examples of form
    answer/grounding.py  each sentence of a draft checked against the passages
    answer/citations.py  [n] markers, attribution, citations, the author's words quoted
    answer/pipeline.py   the stages in order, as events: tokens, then the Answer
"""

from __future__ import annotations

from .answer.citations import footnotes, strip_markers
from .answer.events import Done, Reading, Token
from .answer.pipeline import Reply, answer, reply
from .answer.texts import LANGUAGE_NAMES, prompts

__all__ = ["Done", "LANGUAGE_NAMES", "Reading", "Reply", "Token", "answer", "footnotes", "prompts", "reply",
           "strip_markers"]
