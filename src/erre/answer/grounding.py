"""The grounding check: every sentence of a draft answer against the passages it rests on.

A small model writing in the author's name restates the question as its answer, strings
headings together as if they were sentences, puts other figures in place of the passage's,
names things the passages never mention, leaves placeholders ("[nome]"), and hangs "[n]" on
a passage that says nothing of the kind. Each of these is checked here, sentence by
sentence, with no model call:

- a **placeholder** (square or angle brackets around a word that is not a citation or an
  HTML tag, "XXX", "TODO", "N/A") is never a fact;
- a **heading** of a passage, or a short line of one, passed off as a sentence;
- a **loop**: the same few words over and over, or a sentence said again, the model stuck
  until its token limit (the draft ends there);
- the **question echoed**: a sentence made of the question's own words;
- **figures and names**: each number, year, acronym or name in the sentence must be in the
  passages shown or the question, or be the date (year, month, day) of a passage the sentence
  cites (of one shown, when it cites none);
- a **citation** must point at a passage that holds the sentence: a marker on a passage
  that does not is moved to the one that does, or dropped.

- **stance**: a sentence that says yes where the passage most like it says no (or the
  reverse), read from negations in the question's language;
- **persona**: the model speaking of itself as a program ("As an AI language model…", "I don't
  have access to…") or of the author in the third person ("The author has…"), not as the
  author, or of the prompt's passages anywhere in the sentence ("In the passage from «…», the
  author states…", "non ho alcun passaggio che…"; `META`, unless the passages say it too); a
  frame about the passages at the start ("Based on the passages provided, …", "Il passaggio
  descrive come…") is taken off the sentence before it is checked (`unframed`);
- a **citation** must point at a passage that shares the sentence's words: a marker on a
  passage that does not is moved to the one that does, or dropped (same language only:
  across languages the embedder attributes, see `citations.attribute`).

Unsupported sentences are cut (`Sentences`, as the answer streams). `enough` says whether
what remains still answers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .. import language
from ..documents import Passage
from ..ingest.dates import date_words
from .answerable import held, held_as_word, specific_terms

_HTML = r"/?(?:b|i|u|s|em|strong|code|br|p|a|span|sub|sup)\b"  # tags, not slots
PLACEHOLDER = re.compile(r"\[(?!\d)[^\]\n]{1,40}\]|<(?!" + _HTML + r")[^>\n]{1,40}>|\bX{3,}\b|\bTODO\b|\bN/A\b",
                          re.IGNORECASE)
_MARKERS = re.compile(r"\s*\[\d{1,3}\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
ECHO_SHARE = 0.8  # a sentence this much made of the question's words, with little else, echoes it
ECHO_NEW_WORDS = 1  # content words (or figures) of its own a sentence needs not to be an echo
RUN_WORDS = 40  # a streamed run this long without a sentence end is checked and let through as it is
LOOP_WORDS, LOOP_REPEATS = 4, 3  # the same four words three times in one sentence (or run): the model loops
HEADING_WORDS = 8  # a passage line this short without closing punctuation is a heading
STANCE_OVERLAP = 0.5  # share of a sentence's content words a passage sentence must hold to be "the same point"
CITE_OVERLAP = 0.3  # share of a sentence's content words its cited passage must hold
# the model speaking of itself as a program, not as the author: never the author's words
PERSONA = re.compile(
    r"\bas an ai(?: language)? model\b|\bas an ai assistant\b|"
    r"\bi(?:'m| am) (?:just |only )?an? (?:ai|language model)(?: assistant)?\b(?!\s+(?:researcher|engineer|expert))|"
    r"^\W*(?:in quanto|come) (?:un[ao']? ?)?(?:modello (?:linguistico|di linguaggio)|intelligenza artificiale|ia|"
    r"assistente)\b.{0,40}\bnon (?:ho|posso|sono)\b|"
    r"\b(?:io )?sono (?:solo |soltanto )?un[ao']? ?(?:modello (?:linguistico|di linguaggio)|assistente virtuale|"
    r"intelligenza artificiale)\b|"
    # ... or of the author in the third person, as a reader would
    r"^\W*(?:the|this) author (?:has|is|also|mentions?|states?|believes?|writes?|says?|thinks?|expresse?s?|"
    r"describes?|prefers?|suggests?|argues?)\b|"
    r"^\W*l['’]aut(?:rice|ore) (?:ha|è|dice|scrive|sostiene|pensa|afferma|descrive|preferisce)\b|"
    # ... or of the writings' authors as "they", opening a sentence ("They also mention that…")
    r"^\W*(?:however,? |but |and )?they (?:also )?(?:mention|note|state|argue|write|say|explain|suggest|highlight|"
    r"describe|believe)s? that\b", re.IGNORECASE)
# a frame that talks about the passages instead of from them ("Based on the passages provided, …")
FRAME = re.compile(
    r"^\s*(?:(?:based on|according to|from|judging (?:by|from)) (?:the |these )?(?:passages?|excerpts?|texts?)"
    r"(?: (?:provided|above|given|shown))?|"
    r"(?:in base (?:ai|agli)|secondo (?:i|gli)|stando (?:ai|agli)|sulla base (?:dei|degli)) "
    r"(?:passaggi|brani|testi|estratti)(?: (?:forniti|riportati|citati|sopra))?|"
    r"(?:the |these |this )?passages? (?:indicates?|suggests?|says?|states?|shows?|mentions?|describes?|explains?)"
    r"(?: that| how)?|"
    r"i passaggi (?:indicano|dicono|mostrano|suggeriscono|descrivono|spiegano)(?: che| come)?|"
    r"(?:il|questo) passaggio (?:indica|dice|mostra|suggerisce|descrive|spiega|afferma)(?: che| come)?)\s*[,:]?\s*",
    re.IGNORECASE)
# declining as an assistant does, for want of access or data
_DECLINING = (
    r"\bi (?:do not|don't|don’t) have (?:access|any (?:specific |personal |direct )?(?:information|data|knowledge)|"
    r"personal (?:opinions|experiences?|views))\b|"
    r"\bi (?:cannot|can't|can’t|can not|am unable to|'m unable to) (?:provide|answer|help you|assist|access|"
    r"give you|share|offer)\b|"
    r"\bnon ho accesso\b|\bnon ho (?:informazioni|dati) (?:specific\w+|personali)\b|\bnon dispongo di\b|"
    r"\bnon (?:posso|sono in grado di) (?:fornir\w*|rispondere|aiutart\w*|accedere)\b")
# the model talking about the prompt's passages, or of the author in the third person, inside a
# sentence ("In the passage from «…», the author states…", "non ho alcun passaggio che…"): never
# the author's words, unless the passages themselves say it (`check_sentence`)
META = re.compile(
    r"\bpassages? (?:provided|given|above|shown|you)\b|"
    r"\b(?:the|this|that|each|first|second|third|another|one) passages? (?:states?|says?|mentions?|describes?|"
    r"indicates?|suggests?|shows?|notes?|explains?|discusses?|talks?|from|highlights?|provided)\b|"
    r"\b(?:in|from|of) (?:the|this|that|each|another|a|these|those) passages?\b|"
    r"\b(?:the|this) author (?:states?|says?|writes?|mentions?|believes?|argues?|describes?|expresse?s?|suggests?|"
    r"thinks?|notes?|explains?|highlights?)\b|"
    r"\bl['’]aut(?:rice|ore) (?:scrive|afferma|sostiene|dice|descrive|spiega|pensa|ritiene|menziona|sottolinea|"
    r"racconta)\b|"
    r"\b(?:il|questo|quel|un|nessun|alcun|ogni|primo|secondo|terzo|altro) passaggio (?:descrive|dice|indica|mostra|"
    r"afferma|spiega|riporta|sostiene|parla|citato|fornito|n)\b|"
    r"\b(?:nessun|alcun) passaggio\b|\bpassaggi (?:forniti|citati|riportati|indicati|sopra|mostrati)\b|"
    r"\b(?:negli|dagli|degli) estratti\b|\bestratt[oi] (?:fornit[oi]|citat[oi]|riportat[oi])\b|"
    + _DECLINING, re.IGNORECASE)
# a sentence that declines to answer, as an assistant or as a program: the model saying the
# passages do not hold the answer, never a draft to replace with the author's words
DECLINES = re.compile(_DECLINING + r"|\bas an ai\b|\blanguage model\b|\bmodello (?:linguistico|di linguaggio)\b|"
                      r"\bassistente virtuale\b|\b(?:nessun|alcun) passaggio\b|\bno passages?\b|"
                      r"\bnone of the passages\b|\bmi dispiace\b|\bsorry\b", re.IGNORECASE)
_NEGATION = {"non", "mai", "nessun", "nessuno", "nessuna", "niente", "nulla", "no", "not", "never", "none",
             "nothing", "nor", "neither", "nobody", "cannot", "ne", "pas", "jamais", "nunca", "nicht", "kein", "keine"}
_YES = {"si", "yes", "certo", "certamente", "assolutamente", "esatto", "sure", "absolutely", "indeed", "oui"}


@dataclass
class Verdict:
    """One sentence of the draft: where it is, and why it is cut (None: kept)."""

    start: int
    end: int
    text: str
    problem: str | None = None


def _headings(passages: Sequence[Passage]) -> set[str]:
    out: set[str] = set()
    for p in passages:
        c = p.chunk
        for h in (c.title, *c.heading):
            if h:
                out.add(" ".join(language.words(h)))
        for line in c.text.splitlines():
            bare = line.strip().lstrip("#>*-+ ").strip()
            if bare and len(bare.split()) <= HEADING_WORDS and not bare.endswith((".", "!", "?", ";", ":", "…")):
                out.add(" ".join(language.words(bare)))
    out.discard("")
    return out


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".").rstrip(".") for n in _NUMBER.findall(text)}


def _negated(words: list[str]) -> bool:
    """Whether a sentence denies: an odd number of negations ("non ... mai" counts once),
    an opening "no" counted as one."""
    return any(w in _NEGATION or w.endswith("nt") and w in ("dont", "doesnt", "didnt", "isnt", "wont", "cant")
               for w in words)


def _stance_flipped(bare: str, lang: str, units: Sequence[tuple[str, list[str]]]) -> bool:
    """The sentence opens with yes/no and the passage sentence that makes the same point
    (sharing half its content words) says the opposite."""
    ws = language.words(bare)
    if not ws or not units:
        return False
    opener_yes = ws[0] in _YES
    opener_no = ws[0] == "no"
    if not (opener_yes or opener_no):
        return False
    body = ws[1:]
    own = set(language.terms(" ".join(body), lang))
    if len(own) < 2:
        return False
    best, share = None, 0.0
    for _, terms in units:
        found = len(own & set(terms)) / len(own)
        if found > share:
            best, share = terms, found
    if best is None or share < STANCE_OVERLAP:
        return False
    said = opener_no or _negated(body)
    source = next(u for u, t in units if t is best)
    return said != _negated(language.words(source))


def check_sentence(sentence: str, question: str, lang: str, evidence: str, numbers: set[str],
                   headings: set[str], skip: Sequence[str] = (),
                   units: Sequence[tuple[str, list[str]]] = (), dates: Sequence[str] = ()) -> str | None:
    """Why a sentence is not supported ("placeholder", "heading", "loop", "echo", "number", "name"),
    or None. `evidence` is the passages' folded words (and the question's), `numbers` their
    figures; `dates`, each passage's date in words (`date_words`): a sentence may tell the date
    of the passages it cites, or of one shown when it cites none ("In 2014 I wrote…" on a
    passage of 2024 is a year put on the wrong writing)."""
    bare = _MARKERS.sub("", sentence).strip()
    if not bare:
        return None
    if PLACEHOLDER.search(bare):
        return "placeholder"
    if PERSONA.search(bare):
        return "persona"
    meta = META.search(bare)
    if meta and f" {' '.join(language.words(meta.group(0)))} " not in f" {evidence} ":  # the passages' own words
        return "persona"
    ws = language.words(bare)
    if " ".join(ws) in headings:
        return "heading"
    if looping(ws):
        return "loop"
    asked = set(language.terms(question, lang))
    own = [t for t in language.terms(bare, lang)]
    if own and asked:
        # a figure the question did not hold is something of its own ("1 bit.", "nel 2019")
        new = [t for t in own if t not in asked] + sorted(_numbers(bare) - _numbers(question))
        if len(new) < ECHO_NEW_WORDS and (len(own) - len(new)) / len(own) >= ECHO_SHARE:
            return "echo"
    marks = [int(n) for n in re.findall(r"\[(\d{1,3})\]", sentence)]
    told = " ".join(dates[n - 1] for n in marks if 1 <= n <= len(dates)) if marks else " ".join(dates)
    for n in _numbers(bare):
        if n not in numbers and n not in told.split():
            return "number"
    for t in specific_terms(bare, lang, skip):
        if not any(c.isdigit() for c in t) and not held(t, evidence) and not held(t, told):
            return "name"
    if _stance_flipped(bare, lang, units):
        return "stance"
    return None


def looping(words: Sequence[str]) -> bool:
    """Whether the same LOOP_WORDS words come LOOP_REPEATS times: a small model caught in a
    loop ("…la musica, la lettura, la scrittura, la musica, la lettura, la scrittura…")
    until its token limit, saying nothing the passages hold."""
    seen: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - LOOP_WORDS + 1):
        key = tuple(words[i:i + LOOP_WORDS])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] >= LOOP_REPEATS:
            return True
    return False


def _units(passages: Sequence[Passage], lang: str) -> list[tuple[str, list[str]]]:
    """The sentences of the passages written in `lang`, with their content stems."""
    from ..chunk import sentences

    out = []
    for p in passages:
        if p.chunk.language not in (lang, None):
            continue
        for a, b in sentences(p.chunk.text):
            text = p.chunk.text[a:b]
            out.append((text, language.terms(text, lang)))
    return out


def recite(sentence: str, lang: str, passages: Sequence[Passage]) -> str:
    """The sentence with each [n] pointing at a passage that shares its words: a marker on a
    passage that holds under CITE_OVERLAP of them moves to the one holding most, or goes."""
    marks = [int(n) for n in re.findall(r"\[(\d{1,3})\]", sentence)]
    if not marks:
        return sentence
    own = set(language.terms(_MARKERS.sub("", sentence), lang))
    if len(own) < 3 or any(p.chunk.language not in (lang, None) for p in passages):
        return sentence
    held = [len(own & set(language.terms(p.chunk.context, lang))) / len(own) for p in passages]
    best = max(range(len(passages)), key=lambda i: held[i]) + 1
    fixed = []
    for n in marks:
        if 1 <= n <= len(held) and held[n - 1] >= CITE_OVERLAP:
            fixed.append(n)
        elif held[best - 1] >= CITE_OVERLAP and best not in fixed:
            fixed.append(best)
    if fixed == marks:
        return sentence
    text = _MARKERS.sub("", sentence)
    if not fixed:
        return text
    tail = "".join(f"[{n}]" for n in dict.fromkeys(fixed))
    stripped = text.rstrip()
    body = stripped.rstrip(".!?…")
    return f"{body} {tail}{stripped[len(body):]}"


def unframed(sentence: str) -> str:
    """The sentence without a frame about the passages: "Based on the passages provided, I
    would…" -> "I would…" (the twin speaks from its writings, not about them)."""
    m = FRAME.match(sentence)
    if not m or not re.search(r"\w", sentence[m.end():]):
        return sentence
    rest = sentence[m.end():]
    return rest[:1].upper() + rest[1:]


def enough(text: str) -> bool:
    """Whether an answer holds one sentence with content of its own (four words or more)."""
    from ..chunk import sentences

    return any(len(language.words(_MARKERS.sub("", text[a:b]))) >= 4 for a, b in sentences(text))


# where a streamed sentence is complete: its closing mark (and the markers after it), then space
_COMPLETE = re.compile(r"(?:[.!?…](?:[»”\"')\]]*)(?:\s*\[\d{1,3}\])*|\n)(?=\s)")


class Sentences:
    """The grounding check as the answer streams: each sentence is held until it is complete,
    then let through when it is supported or cut (`cut`) when it is not. A reader never sees a
    sentence that is taken back; the first words wait for the first sentence."""

    def __init__(self, question: str, lang: str, passages: Sequence[Passage], skip: Sequence[str] = (), *,
                 enabled: bool = True, aside: Sequence[str] = ()):
        self.enabled = enabled  # False: every piece passes as it comes (the unchecked pipeline)
        # names the writings never hold, set aside from the question: a sentence that says one,
        # as a word (not "Zoe" in "zoologia"), is cut wherever it stands ("Valditara è
        # d'accordo…" opens a sentence, where `specific_terms` counts no name)
        self.aside = tuple(aside)
        source = " ".join(p.chunk.context for p in passages) + " " + question
        # a passage's date is shown with it: a sentence citing it may tell it ("In 2014 I wrote…")
        self.dates = [date_words(p.chunk.date) for p in passages]
        self.question, self.lang, self.skip = question, lang, tuple(skip)
        self.evidence = " ".join(language.words(source))
        self.numbers = _numbers(source)
        self.headings = _headings(passages)
        self.units = _units(passages, lang)
        self.passages = passages
        self.cut: list[Verdict] = []
        self._buffer = ""
        self._said = False
        self._dropped = False  # the last sentence was cut
        self._seen: set[str] = set()  # the words of each sentence so far
        self.seconds = 0.0  # spent checking

    def feed(self, pieces):
        if not self.enabled:
            yield from pieces
            return
        for piece in pieces:
            self._buffer += piece
            end = None
            for m in _COMPLETE.finditer(self._buffer):
                end = m.end()
            if end is None and len(self._buffer.split()) > RUN_WORDS:  # a long run with no sentence end
                end = self._buffer.rstrip().rfind(" ") + 1 or None
            if end is not None:
                done, self._buffer = self._buffer[:end], self._buffer[end:]
                yield self._release(done)
                if self.cut and self.cut[-1].problem == "loop":  # the rest would loop on: stop the model
                    self._buffer = ""
                    return
        if self._buffer.strip():
            yield self._release(self._buffer)
        self._buffer = ""

    def _release(self, text: str) -> str:
        t0 = time.perf_counter()
        try:
            return self._checked(text)
        finally:
            self.seconds += time.perf_counter() - t0

    def _checked(self, text: str) -> str:
        from ..chunk import sentences

        out = []
        last = 0
        for a, b in sentences(text):
            sentence = unframed(recite(text[a:b], self.lang, self.passages))
            said = " ".join(language.words(_MARKERS.sub("", sentence)))
            if not said and (self._dropped or not self._said):
                last = b  # a citation left after the sentence it cited was cut: nothing to say
                continue
            problem = check_sentence(sentence, self.question, self.lang, self.evidence, self.numbers,
                                     self.headings, self.skip, self.units, self.dates)
            if said and said in self._seen:  # a sentence said again: the model loops
                problem = "loop"
            self._seen.add(said)
            if problem is None and any(held_as_word(t, " ".join(language.words(sentence))) for t in self.aside):
                problem = "name"
            self._dropped = bool(problem)
            if problem:
                self.cut.append(Verdict(a, b, sentence, problem))
            else:
                gap = text[last:a] if self._said else ""
                out.append(gap + sentence)
                self._said = True
            last = b
        return "".join(out)
