"""How a question asks: its parts (sentences, and two questions joined in one), whether a
later part points back to the one before, and its form (yes or no, a choice, an opinion, a
what/how/why question). No passage is read here: `answerable` judges the parts against the
writings, `policy` which parts they cover."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import language

# "…? E cosa pensi di…", "… and what about…": a second question joined to the first
_QUESTION_WORD = (r"(?:cosa|che|come|quando|perch\w*|qual\w*|quant\w*|dove|chi|hai|sei|pensi|what|how|when|why|"
                  r"which|who|where|do|does|did|is|are|can|could|would|have|has)\b")
_JOIN = re.compile(r"\s*[,;]?\s+(e|ed|and|ma|but|oppure|or|inoltre|also|poi|then)\s+(?=" + _QUESTION_WORD + ")",
                   re.IGNORECASE)
_ASKS = re.compile(r"^\W*" + _QUESTION_WORD, re.IGNORECASE)


# a part that names what it asks about by a word pointing back to the part before: an Italian
# object pronoun opening it ("Le preparate in classe?", "Me ne consiglia qualcuno?", "Li usi
# ancora?"), an English pronoun in it ("How does it compare to Latin?", "Were you into
# them?"); not the impersonal "is it true/possible…"
_BACK_IT = re.compile(r"^\W*(?:(?:e|ed|ma|o|poi|allora|quindi)\s+)?"
                      r"(?:(?:[mtcv]e\s+)?l['’]\w|(?:lo|la|li|le|ne|glie\w*|[mtcv]e\s+ne)\s)", re.IGNORECASE)
_BACK_EN = re.compile(r"\b(?:it|its|them|they|their|those)\b", re.IGNORECASE)
_IMPERSONAL_EN = re.compile(r"\b(?:is it|it['’]?s|it is)\s+(?:true|possible|fair|normal|okay|ok|right|wrong|"
                            r"necessary|better|worse|hard|easy)\b", re.IGNORECASE)


def refers_back(part: str, lang: str) -> bool:
    """Whether a later part of a question asks about what the part before it named, by a
    pronoun (`_BACK_IT`, `_BACK_EN`): when that part is not covered, neither is this one,
    whatever words of its own it has ("Cosa pensa delle prove INVALSI? Le preparate in
    classe?": the second half, searched alone, finds a passage on preparing lessons)."""
    text = language.unaddressed(part)
    if lang == "it":
        return bool(_BACK_IT.search(text))
    if lang == "en":
        return bool(_BACK_EN.search(_IMPERSONAL_EN.sub(" ", text)))
    return False


_OR = frozenset(("or", "oppure"))
_OPENS_OR = re.compile(r"^\W*(?:or|oppure|o)\s", re.IGNORECASE)  # "…? O hai smesso?", "…? Or have you stopped?"


@dataclass(frozen=True)
class Part:
    text: str
    question: bool  # asks something (ends with "?" or opens with a question word); else context
    alternative: bool = False  # the other side of a choice: after "or", "oppure", or opening with one


def parts(question: str) -> list[Part]:
    """The question's sentences, a sentence that joins two questions split in two; parts of
    fewer than three words stay with the one before."""
    from ..chunk import sentences

    out: list[Part] = []
    opening = ""  # a short first piece ("e poi", "Ok"): it opens the next one
    for a, b in sentences(question):
        split = _JOIN.split(question[a:b])  # pieces, each after the word that joins it to the one before
        for joined, piece in zip(["", *split[1::2]], split[::2]):
            piece = piece.strip()
            if not piece:
                continue
            if len(language.words(piece)) < 3:
                if out:
                    last = out[-1]
                    out[-1] = Part(f"{last.text} {piece}", last.question or piece.endswith("?"), last.alternative)
                else:
                    opening = f"{opening} {piece}".strip()
                continue
            asks = piece.endswith("?") or bool(_ASKS.match(piece))
            if opening:
                piece, opening = f"{opening} {piece}", ""
            out.append(Part(piece, asks, bool(out) and (joined.lower() in _OR or bool(_OPENS_OR.match(piece)))))
    if opening:
        out.append(Part(opening, opening.endswith("?") or bool(_ASKS.match(opening))))
    return out


_WH = re.compile(r"^\W*(?:(?:e|ed|ma|and|but|so|per|in|a|di|da|con|su|tra|fra|of|for|with|at|on|to|from)\s+)?"
                 r"(?:cosa|che|come|quando|perch\w*|qual\w*|quant\w*|dove|chi|what|how|when|why|which|who|where|whose)\b",
                 re.IGNORECASE)


def polar(question: str) -> bool:
    """A yes/no question ("…, giusto?", "Sei d'accordo?", "Is SMS a safe second factor?"):
    none of its parts opens with what, how, when, why, which, who or where."""
    asked = _asking(question)
    return bool(asked) and not any(_WH.search(p.text) for p in asked)


def _asking(question: str) -> list[Part]:
    """The parts of `question` that ask something, or all of them when none does."""
    pieces = parts(question)
    return [p for p in pieces if p.question] or pieces


# a choice offered: a word, "or", another word ("petrol or electric?", "su carta o sul lettore?");
# not "or not", "o no", "più o meno", "o meglio", "or so"
_CHOICE = re.compile(r"\b\w{3,},?\s+(?:or|o|oppure)\s+(?!(?:not|no|non|meno|meglio|so|less|more|rather)\b)\w",
                     re.IGNORECASE)


def choice(question: str) -> bool:
    """Whether a sentence that asks offers a choice ("What kind of car do you drive, petrol or
    electric?"): like a yes/no question, it is answered by what the author says, not by a
    detail."""
    return any(_CHOICE.search(p.text) for p in _asking(question))


def closed(question: str) -> bool:
    """A yes/no question (`polar`) or one offering a choice (`choice`)."""
    return polar(question) or choice(question)


# asking what the author thinks of something: "Cosa ne pensi…", "Come la vede…", "secondo
# lei…", "che idea hai…", "What do you think of…", "What's your take on…", "How do you feel…"
_OPINION = re.compile(
    r"\b(?:(?:cosa|che)\s+(?:ne\s+)?pens\w*|come\s+la\s+(?:pens|ved)\w*|secondo\s+(?:te|lei|voi)\b|"
    r"che\s+(?:idea|opinione)\s+(?:ha|hai|avete)\b|(?:qual\s*è|qual'è)\s+la\s+(?:tua|sua)\s+(?:idea|opinione|posizione)|"
    r"what\s+do\s+you\s+(?:think|make|reckon|feel)|what(?:'s|\s+is)\s+your\s+(?:take|view|opinion|position|stance)|"
    r"how\s+do\s+you\s+(?:feel|see)|your\s+(?:take|views?|opinion|thoughts)\s+(?:on|about))",
    re.IGNORECASE)


def opinion(question: str) -> bool:
    """Whether the question asks what the author thinks ("Cosa pensi dei compiti?", "What's
    your take on Facebook?"), or asks yes or no, or which of two (`closed`): the author's own
    words on the subject answer it, where a question asking for a detail wants what they may
    not hold."""
    return closed(question) or bool(_OPINION.search(question))


def wh_question(question: str) -> bool:
    """Every part asks something, the message ends with "?" and opens with what, how, why,
    which, who, where or when: the form of a question to the author, almost never of a task
    (2 of the task classifier's 866 tasks have it, against 241 of its 941 questions)."""
    asked = parts(question)
    return (bool(asked) and all(p.question for p in asked) and question.rstrip().endswith("?")
            and bool(_WH.search(asked[0].text)))
