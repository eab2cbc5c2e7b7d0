"""Time in answers: what time a question asks about, and the evidence ordered by it.

Authors change their minds, so "what do you think" means "what do you think now": passages
reach the model with their date, and the evidence is ordered by the time the question asks
about (`arrange`):

- no time named, or now ("ancora", "oggi", "di recente", "still", "these days", "latest"):
  when the shown passages come from writings of different years, the newest writing goes
  first and is the author's current view; the older ones follow, marked as earlier;
- a year or a span ("nel 2014", "tra il 2012 e il 2015", "back in 2013", "before 2016"):
  the passages written then, when the writings of that time cover the question;
- the beginning ("all'inizio", "quando hai iniziato", "at first", "when you started"): the
  oldest writings first;
- a change ("quando hai cambiato idea", "how did your view evolve"): oldest to newest;
- a time gone by, named by the verb alone ("che regole avevi dato alla classe?", "cosa
  pensavi dei social?", "what case did you make for Latin?"): in the order of relevance, with
  every writing on the point, the old ones included; but when the best passage tells the
  earlier view from later on ("Quando ho aperto questo blog ero convinta…", "Ho cambiato
  idea…"), the older writings on its subject first, oldest first, then those holding the
  question's topic words (`then_first`; for the beginning too, the writings it looks back on
  joining the evidence);
- the latest writing ("qual è l'ultimo post su…", "your most recent piece on…"): answered
  without the model, by the newest writing on the topic, named with its date, and the
  author's own sentence from it (`latest`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .. import language
from ..documents import Passage
from . import answerable

NOW, YEARS, EARLY, CHANGE, LATEST, PAST = "now", "years", "early", "change", "latest", "past"
OFF = "off"  # evidence left in the order of relevance (chat.time = false)
WRITING = re.compile(r"\b(?:scri\w*|wr[io]t\w*|post(?:s|ed|ing)?|blog\w*|entr(?:y|ies)|articol\w*|pubblicat\w*|"
                     r"published|piece|"
                     r"parl[aio]\w*|talk\w*|spok\w*|speak\w*|discuss\w*|mention\w*|menzion\w*)\b",
                     re.IGNORECASE)
# passages whose dense score is this close to the best one's are about the same point: among
# them, the newest writing goes first (tuned on the dev split of bench/time)
SAME_POINT = 0.03
# a writing on the point this many years older than the newest is left out for a question about now
CHANGED_YEARS = 2

_YEAR = r"(19[5-9]\d|20\d\d)"
_SPAN = re.compile(r"\b(?:tra|fra|dal|between|from)\s+(?:il\s+|l'|the\s+)?" + _YEAR +
                   r"\s+(?:e|al|and|to|until)\s+(?:il\s+|l'|the\s+)?" + _YEAR + r"\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:prima\s+del(?:l')?|before|until|fino\s+al)\s*" + _YEAR + r"\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(?:dopo\s+il|dal|since|after)\s+" + _YEAR + r"\b", re.IGNORECASE)
_ONE = re.compile(r"(?<![\w.])" + _YEAR + r"(?![\w.])")
_EARLY = re.compile(
    r"\b(all'inizio|agli inizi|ai tempi|i primi tempi|quando hai (?:appena )?(?:iniziato|cominciato)|"
    r"quando (?:iniziasti|cominciasti)|inizialmente|"
    # opening the blog (a page, an account…) is the author's beginning there; the second person
    # only ("quando ha aperto il profilo" may be a reader's child's)
    r"quando (?:hai (?:appena )?aperto|apristi) (?:il |la |l'|l’|un |una |lo )?(?:tuo |tua )?"
    r"(?:blog|pagin\w|profil\w|account|sit\w|canal\w|newsletter)|"
    r"when you (?:first )?(?:launched|set up|opened) (?:the |your |a )?(?:blog|page|account|site|newsletter)|"
    r"una volta|in passato|(?<!\d )ann[oi] fa|tempo fa|un tempo|all'epoca|allora|"
    r"at first|in the beginning|at the beginning|in the early days|when you (?:first )?(?:started|began)|early on|"
    r"originally|(?:you|I)\s+used to|years ago|back then|in the past|at the time)\b", re.IGNORECASE)
ASKS_LATEST = re.compile(
    r"\b(?:(?:l')?ultim[oaie]\s+(?:cosa|cose|post|articol[oi]|scritt[oi]|pezz[oi]|test[oi]|pagin[ae]|"
    r"riflession[ei]|volta\s+che\s+hai\s+scritto)|"
    r"(?:post|articol[oi]|scritt[oi]|pezz[oi]|test[oi]|cosa)\s+più\s+recent[ei]|"
    r"(?:your\s+)?(?:latest|most\s+recent|newest)\s+(?:blog\s+)?(?:post|article|piece|writing|essay|entry|thing|"
    r"words?)|"
    r"(?:the\s+)?last\s+(?:blog\s+)?(?:thing|post|article|piece|time)\s+you\s+wrote|"
    r"when\s+did\s+you\s+last\s+(?:write|post|blog|talk|speak)|"
    r"quando\s+(?:hai\s+)?(?:scritto|parlato)\s+(?:per\s+)?l'ultima\s+volta)\b", re.IGNORECASE)
_CHANGE = re.compile(
    r"\b(cambiat[oa] idea|cambiat[oa] opinione|cambiato parere|ripensat|evolut[oa]|evoluzione|nel tempo|"
    r"negli anni(?!\s+'?\d)|con gli anni|changed? your mind|change of mind|evolv\w*|over the years|over time|"
    r"how has your view|"
    # "have you always…", "sei sempre stata…", "hai sempre pensato…": whether the view held all along
    r"(?:sei|siete|è|e')\s+sempre\s+stat[oaie]|(?:hai|avete|ha)\s+sempre\s+\w+(?:at|ut|it)[oaie]|"
    r"(?:have|has)\s+(?:you|it|that|your\s+\w+)\s+always|did\s+you\s+always)\b", re.IGNORECASE)
# the time before a change: what the author thought then ("prima di cambiare idea…")
_BEFORE_CHANGE = re.compile(r"\b(?:prima\s+di\s+cambiare|prima\s+che\s+cambiassi|before\s+(?:you\s+)?chang\w*)\b",
                            re.IGNORECASE)
# a verb of the past addressed to the author: English "did you", "were you", "had you" (not "did
# you ever…", which asks whether), "what made/bothered you…" ("what made you start cutting back
# on homework?"), "when you were…"; Italian second person imperfect ("pensavi", "avevi deciso", "eri")
_PAST_EN = re.compile(r"\b(?:(?:did|were|had)\s+you\b(?!\s+ever\b)|"
                      r"what\s+(?:\w+ed|made|led|got|drove|pushed)\s+you|"
                      r"(?:when|while)\s+you\s+(?:were|had|did)\b)", re.IGNORECASE)
# an occasion of the author's gone by: "quando hai tolto l'app…", "when you deleted the app…"
_WHEN_DONE = re.compile(r"\b(?:quando\s+(?:hai|sei)\s+(?:\w+\s+)?(?:\w+(?:at|ut|it)|\w*(?:tolt|pres|mess|scritt|lett|"
                        r"dett|fatt|chius|cis|mast|scelt|vist|spost|chiest|spent|pert))[oaie]|"
                        r"(?:when|while)\s+you\s+(?:\w+ed|bought|wrote|took|got|gave|left|went|quit|made|kept|sold|"
                        r"taught|told|said|put|let|ran|felt|sent|found|chose|saw|heard|met|read\s+(?:it|that|this)))\b",
                        re.IGNORECASE)
_IMPERFECT = re.compile(r"(\w+)(av|ev|iv)(?:i|ate)")  # "pensavi", and "voi": "usavate", "avevate"
_IMPERFECT_IRREGULAR = frozenset({"eri", "facevi", "dicevi", "bevevi", "traducevi", "proponevi", "ponevi",
                                  "eravate", "facevate", "dicevate", "traducevate", "proponevate",
                                  "piaceva", "piacevano"})  # "ti piaceva…"
_IMPERFECT_3 = re.compile(r"(\w+)(av|ev|iv)(?:a|ano)")
_IMPERFECT_THIRD = frozenset({"era", "erano", "faceva", "facevano", "diceva", "dicevano", "traduceva", "proponeva",
                              "poneva", "beveva", "piaceva", "piacevano"})
_NOT_IMPERFECT = frozenset({"chiavi", "divi", "bevi"})  # whose stem + -are/-ere/-ire is a verb: nouns, a present
_INFINITIVE = {"av": "are", "ev": "ere", "iv": "ire"}
VERB_ZIPF = 2.5  # the stem + the infinitive's ending is a verb when at least this common (wordfreq)
# words of now: a question holding one asks about now, whatever its other verbs' tense ("Vai ancora
# al lavoro in bici, come scrivevi?"); "ancora" and "still" right after a verb of the past take
# its tense ("leggevi ancora…", "did you still…")
_NOW_WORD = re.compile(  # "ora", not the hour of "mezz'ora", "all'ora di latino"
    r"\b(?:ancora|still|oggi|adesso|(?<!['’])ora|attualmente|al momento|ormai|tuttora|oggigiorno|di recente|"
    r"recentemente|ultimamente|now|today|nowadays|these days|currently|at the moment|recently|lately)\b", re.IGNORECASE)
# an occasion gone by ("quella volta al convegno…", "in those months…")
_OCCASION = re.compile(r"\b(?:quella volta|quel giorno|quei giorni|quei mesi|quegli anni|that time|that day|"
                       r"those days|those months|those years)\b", re.IGNORECASE)


_THOUGHT = re.compile(r"\b(?:pensav\w*|credev\w*|convint\w*|ritenev\w*|thought|believed|convinced|used to think)\b",
                      re.IGNORECASE)


# the author's own beginning, in the first person (a question's "quando ho iniziato a leggerti"
# is the reader's: only for the author's sentences)
_MY_START = re.compile(r"\b(?:quando ho (?:appena )?(?:aperto|iniziato|cominciato)|"
                       r"when I (?:first )?(?:opened|started|began))\b", re.IGNORECASE)


def retrospective(sentence: str) -> bool:
    """A sentence telling what the author wrote or thought at an earlier time ("Qualche anno fa
    scrivevo che…", "Quando ho aperto questo blog ero convinta che…", "Some years ago I wrote
    here that…"): not their view of now."""
    return bool((_EARLY.search(sentence) or _MY_START.search(sentence))
                and (WRITING.search(sentence) or _THOUGHT.search(sentence)))


# a sentence telling that the author's view changed: the view before it is in older writings
_CHANGED = re.compile(r"\b(?:ho cambiato idea|ho cambiato opinione|mi sbagliavo|mi ero sbagliat[oa]|avevo torto|"
                      r"per anni ho|changed my mind|I was wrong|for years I)\b", re.IGNORECASE)


def recollection(sentence: str) -> bool:
    """A sentence telling an earlier view of the author's, or that it changed: the writing of
    that earlier time, not this one, holds it."""
    return retrospective(sentence) or bool(_CHANGED.search(sentence))


def then_first(passages: Sequence[Passage], topic: Sequence[str],
               translated: Callable[[Passage], set[str]] | None = None,
               related: Sequence[Passage] = ()) -> list[Passage]:
    """For a question about a time gone by: when the best passage's sentence nearest the
    question tells of an earlier view (`recollection`), the passages of older writings on
    its point first. Those of the writings on the first one's subject (`related`, found or
    not, in either language: among them the writings it looks back on, writings.looked_back)
    lead, oldest first: "Quando ho aperto questo blog ero convinta…" (2022) tells of the
    2011 post, not of the 2017 one between them, and a question on it may name no word
    either holds. Then, in their order, those holding one of the question's topic words (a
    stem as the start of a word: "stancavano", "stanchezza") or their translation in
    another language (`translated`, as `same_point` counts it). `passages` as they are
    otherwise."""
    if not passages or not recollection(passages[0].matched) or (y := year(passages[0])) is None:
        return list(passages)
    on = {p.chunk.source for p in related}

    def holds(p: Passage) -> bool:
        return (p.chunk.source in on
                or any(answerable.held(t, " ".join(language.words(p.chunk.context))) for t in topic)
                or (translated is not None and bool(translated(p))))
    found = {p.id for p in passages}
    older = [p for p in [*passages[1:], *(r for r in related if r.id not in found)]
             if (py := year(p)) is not None and py < y and holds(p)]
    older.sort(key=lambda p: (0, year(p) or 0) if p.chunk.source in on else (1, 0))
    ids = {p.id for p in older}
    return [*older, *(p for p in passages if p.id not in ids)]


@dataclass(frozen=True)
class When:
    """The time a question asks about: `kind` (NOW, YEARS, EARLY, CHANGE, LATEST, PAST) and, for YEARS,
    the first and last year (inclusive)."""

    kind: str
    first: int = 0
    last: int = 9999

    def holds(self, year: int | None) -> bool:
        """Whether `year` is among the years asked about (a YEARS question)."""
        return year is not None and self.first <= year <= self.last


def past_tense(question: str) -> bool:
    """Whether `question` asks the author about a time gone by with its verb alone: a verb of
    the past addressed to them, or an occasion gone by, in a sentence that asks (`asking`),
    and no word of now ("Usavi il telefono in classe? E oggi?" is about now)."""
    return not names_now(question) and any(_past_in(s) for s in asking(question))


def names_now(question: str) -> bool:
    """Whether `question` holds a word of now ("oggi", "adesso", "still"), less "ancora" and
    "still" right after a verb of the past, which take its tense ("leggevi ancora…", "did you
    still…")."""
    words = re.findall(r"\w+", question.lower())
    for m in _NOW_WORD.finditer(question):
        before = words[:len(re.findall(r"\w+", question[:m.start()].lower()))][-2:]
        if not (m[0].lower() in ("ancora", "still") and before and (
                _imperfect(before[-1]) or " ".join(before) in ("did you", "were you", "had you", "you were",
                                                               "you had"))):
            return True
    return False


# "Tu che eri così entusiasta di Twitter, …": who the author was, said to her before the question
# (not "tu che cosa…", "tu che ne pensavi, …", which ask)
_WHO_WAS = re.compile(r"\b(?:tu|te|lei|voi)\s+che\s+(?!cosa\b|ne\b)[^,;:?]*[,;:]\s*(?=\S)", re.IGNORECASE)


def asking(question: str) -> list[str]:
    """The sentences of `question` that ask (ending in "?"), less an opening "tu che…,"
    telling who the author was ("Ma te che dicevi che la fatica forma il carattere, i compiti
    li dai o no?"); the whole question when no sentence ends in "?". A reader's preface
    ("Ricordo che davi tantissimi compiti. Secondo te servono?") tells of the author's past
    and asks about now."""
    sentences = re.split(r"(?<=[.!?…])\s+", question.strip())
    # a question of a word or two ("Come mai?", "Why?") asks about the sentence before it
    asks = [(sentences[i - 1] + " " if i and len(re.findall(r"\w+", s)) <= 2 else "") + s
            for i, s in enumerate(sentences) if s.rstrip().endswith("?")]
    return [_WHO_WAS.sub("", s) for s in asks] or [question]


# the author addressed: "tu", "ti", "hai", "avete", "you", "your"; formally, "lei", "suo", "prof"
_TO_AUTHOR = re.compile(r"\b(?:tu|ti|te|tuo|tua|tuoi|tue|hai|sei|eri|fosti|avesti|voi|vi|avete|siete|eravate|"
                        r"vostr[oaie]|lei|suo|sua|suoi|sue|prof\w*|you|your|yours|yourself)\b", re.IGNORECASE)
_REMOTE = re.compile(r"(\w{2,})(a|e|i)sti")  # the second person of the passato remoto: "decidesti", "pensasti"


def to_author(question: str) -> bool:
    """Whether `question` addresses the author (`_TO_AUTHOR`, or a verb of the second person
    of the passato remoto, not "questi" nor "costi"): one on the author's own past, not on an
    event the writings tell ("Quanti bitcoin chiesero i criminali alla città di Baltimora?",
    "How many tokens was Llama 3 trained on?")."""
    if _TO_AUTHOR.search(question):
        return True
    return any((m := _REMOTE.fullmatch(w)) and language.zipf(m[1] + m[2] + "re", "it") >= VERB_ZIPF
               for w in re.findall(r"\w+", question.lower()))


def _past_in(text: str) -> bool:
    """Whether a sentence asks the author about a time gone by with its verb (`past_tense`)."""
    words = re.findall(r"\w+", text.lower())
    if _PAST_EN.search(text) or _OCCASION.search(text) or _WHEN_DONE.search(text):
        return True
    # "come dicevi", "come scrivevi": the writing the question refers to, not a time it asks about
    if any(_imperfect(w) and not (i and words[i - 1] in ("come", "as")) for i, w in enumerate(words)):
        return True
    # the same verb to the author addressed formally, or what befell them: a third person imperfect
    # after "lei" ("lei come aveva ribattuto?"), or right after "ti", "le", "te lo" ("cosa ti teneva
    # lontana…?", "le sembrava giusto?", "cosa te lo faceva pensare?"); not "come lei diceva"
    return any(_imperfect(w, third=True) and i and (words[i - 1] in ("ti", "le") or "lei" in words[max(0, i - 3):i]
                                                    or words[max(0, i - 2):i] in (["te", "lo"], ["te", "la"]))
               and "come lei" not in " ".join(words[max(0, i - 3):i]) for i, w in enumerate(words))


def _imperfect(word: str, third: bool = False) -> bool:
    """Whether `word` (lower case) is an Italian verb of the second person imperfect, or, with
    `third`, of the third ("aveva", "teneva", "erano")."""
    if word in (_IMPERFECT_THIRD if third else _IMPERFECT_IRREGULAR):
        return True
    m = (_IMPERFECT_3 if third else _IMPERFECT).fullmatch(word)
    if m is None or word in _NOT_IMPERFECT:
        return False
    return language.zipf(m[1] + _INFINITIVE[m[2]], "it") >= VERB_ZIPF


def asked(question: str) -> When:
    """The time `question` asks about (NOW when it names none)."""
    if _BEFORE_CHANGE.search(question):
        return When(EARLY)
    if _CHANGE.search(question):
        return When(CHANGE)
    if m := _SPAN.search(question):
        a, b = sorted((int(m[1]), int(m[2])))
        return When(YEARS, a, b)
    if m := _BEFORE.search(question):
        return When(YEARS, 0, int(m[1]) - 1)
    if m := _AFTER.search(question):
        return When(YEARS, int(m[1]), 9999)
    years = sorted({int(y) for y in _ONE.findall(question)})
    if years:
        return When(YEARS, years[0], years[-1])
    if ASKS_LATEST.search(question):
        return When(LATEST)
    if any(not _not_then(question, m) for m in _EARLY.finditer(question)):
        return When(EARLY)
    if past_tense(question):
        return When(PAST)
    return When(NOW)


# "allora" opening a clause that goes on is "so", not "then": "È vero? E allora come fanno a
# imparare il latino?", "Allora prof, cosa ne pensa?"; "cosa pensavi allora?", "da allora" are then
_SO_BEFORE = re.compile(r"(?:^|[.?!,:;(]|\b(?:e|ed|ma|ok|okay|beh|bene|ecco))\s*$", re.IGNORECASE)
_SO_AFTER = re.compile(r"^[\s,]*\w")


# "una volta" counting, not the time gone by: "una volta a settimana", "una volta al mese", "una
# volta ogni tanto", "una volta che…", "ancora una volta", "almeno una volta", "una volta per tutte"
_ONCE_AFTER = re.compile(r"^\s+(?:a|al|alla|all'|all’|allo|ogni|per|che|tanto|l'anno|la settimana|il mese)\b",
                         re.IGNORECASE)
_ONCE_BEFORE = re.compile(r"\b(?:ancora|almeno|più di|piu di|solo|soltanto|neanche|nemmeno|mai|per)\s*$", re.IGNORECASE)


def _not_then(question: str, m: re.Match) -> bool:
    """Whether the match of `_EARLY` names no time gone by: "allora" said as "so", "una volta"
    counting how often."""
    before, after, word = question[:m.start()], question[m.end():], m[0].lower()
    if word == "allora":
        return bool(_SO_BEFORE.search(before) and _SO_AFTER.match(after))
    return word == "una volta" and bool(_ONCE_AFTER.match(after) or _ONCE_BEFORE.search(before))


def timed(question: str) -> bool:
    """Whether `question` names in words one time whose writing answers it: a year, the
    beginning, the latest writing, or a word of now ("oggi", "ancora", "still"); its evidence
    is then the point's writing of that time, put first (`arrange`). Not a change (it wants
    the old view and the new one), nor a verb of the past alone ("What temperature did you
    set…?" asks about an occasion, not a time of the writings)."""
    kind = asked(question).kind
    return kind not in (NOW, PAST, CHANGE) or kind == NOW and bool(_NOW_WORD.search(question))


_IN_YEAR = re.compile(r"(?:\b(?:back\s+)?(?:in|nel|del|during|around|verso\s+il|intorno\s+al)\s+)?(?<![\w.])"
                      + _YEAR + r"(?![\w.])", re.IGNORECASE)


def undated(question: str) -> str:
    """`question` without the years it names ("Back in 2013, what was your stance on…" ->
    "what was your stance on…"): searched by meaning, for a question asking about a year. A
    passage's text holds no date (its year is matched by the words, dates.date_words), and the
    year pulls the question's vector away from the passages on the point (below the relevance
    threshold for "In 2014, what did you write about reading to your class?")."""
    rest = _tidy(_IN_YEAR.sub(" ", _AFTER.sub(" ", _BEFORE.sub(" ", _SPAN.sub(" ", question)))))
    return rest if language.words(rest) else question


def timeless(question: str) -> str:
    """`question` without the words that say when ("oggi", "ancora", "still", "all'inizio",
    "over the years"): the words searched for in the passages' words (its years stay: a
    passage's year counts as a word it holds). The time is the evidence's order, not its
    words: "Come la pensa oggi sul lavoro da fare a casa?" found first one of the few posts
    that say "oggi", on another subject."""
    rest = question
    for words in (_NOW_WORD, _EARLY, _CHANGE, _OCCASION):
        rest = words.sub(" ", rest)
    rest = _tidy(rest)
    return rest if len(language.words(rest)) >= 2 else question


def _tidy(text: str) -> str:
    """`text` with the spaces left by words taken out closed up."""
    return re.sub(r"\s+([,.;:?!])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,;:")


def year(p: Passage) -> int | None:
    return year_of(p.chunk.date)


def year_of(date: str | None) -> int | None:
    """The year of an ISO date ("2014-11-27", "2014"); None when there is none."""
    return int(date[:4]) if date and re.match(r"\d{4}", date) else None


def led(passages: Sequence[Passage], source: str | None) -> list[Passage]:
    """`passages` with the first of `source`'s put first (for a question about now, the
    writing the question is on, by the cross-lingual encoder: `subjects.Subjects.lead`),
    the others in their order; as they are when `source` is None or not among them."""
    first = next((p for p in passages if p.chunk.source == source), None) if source else None
    return list(passages) if first is None else [first, *(p for p in passages if p is not first)]


def dated_apart(passages: Sequence[Passage]) -> bool:
    """Whether the passages come from writings of at least two different years."""
    return len({y for p in passages if (y := year(p)) is not None}) >= 2


def outdated(passages: Sequence[Passage], on: Callable[[Passage], bool] | None = None) -> bool:
    """Whether the first passage is older than another one shown: for a question about now,
    its words alone could give a view the author has left as the current one (the newer
    writing may be on the same point). Given `on`, only a newer passage it says is on the
    first one's subject counts. An undated first passage is not known to be old."""
    first = year(passages[0]) if passages else None
    return first is not None and any((y := year(p)) is not None and y > first and (on is None or on(p))
                                     for p in passages[1:])


def left_older(shown: Sequence[Passage], view: Sequence[Passage]) -> list[Passage]:
    """The passages of `shown` that `view`, what a question about now reads (the point's newest
    writing first, `current`), leaves out as written before its first, oldest first (in the
    order of `shown` within a year): the author wrote on the point more than once, years
    apart, and the first passage of `view` is the later view. [] when none is."""
    first = year(view[0]) if view else None
    kept = {p.id for p in view}
    if first is None:
        return []
    older = [p for p in shown if p.id not in kept and (y := year(p)) is not None and y < first]
    return sorted(older, key=lambda p: year(p) or 0)


def same_point(passages: Sequence[Passage], topic: Sequence[str],
               translated: Callable[[Passage], set[str]] | None = None) -> list[Passage]:
    """The passages about the same point as the first: holding one of the question's topic
    words (`topic`: stems, answerable.topic_terms) as the first does, and as near the
    question as it, within SAME_POINT of its dense score. Only the first when the question
    names no topic word or the first holds none: nearness alone joins other subjects.
    `translated`: the topic words a passage in another language than the question's holds as
    translations ("homework" in "compiti"); when one of those near the first holds some,
    each must hold as many of the topic words as the first, translations counted: a question
    on homework to a Latin teacher, in English, finds the Italian post on a class without
    homework first (it holds "latino" and "compiti"), and the English post on Latin, which
    holds "Latin" alone, is not taken for its point."""
    if not passages:
        return []
    first = passages[0]

    def own(p: Passage) -> set[str]:
        return set(topic) & set(language.terms(p.chunk.context, p.chunk.language or "und"))

    held = [p for p in passages if own(p)]
    if first not in held or first.dense is None:
        return [first]
    near = [p for p in held if p.dense is not None and p.dense >= first.dense - SAME_POINT]
    if translated is None:
        return near
    across = {p.id: translated(p) for p in near}
    if not any(across.values()):
        return near
    counted = len(own(first) | across[first.id])
    return [p for p in near if p is first or len(own(p) | across[p.id]) >= counted]


def arrange(when: When, passages: Sequence[Passage], pool: Sequence[Passage], shown: int,
            topic: Sequence[str] = (), related: Sequence[Passage] = (),
            alongside: Sequence[Passage] = (), newest: bool = False,
            translated: Callable[[Passage], set[str]] | None = None,
            apart: Collection[str] = (), point_only: bool = False) -> list[Passage]:
    """The passages to show for a question asking about `when`: `passages` (the best, already
    judged to cover the question) reordered, or for a time span the passages of `pool` written
    then, best first, when the best passages include some of that time.

    Only the passages on the point are put in time order: those of the first passage's
    writing, of the writings on its subject (`related`: a passage of each, subjects.py) and
    those holding one of the question's topic words as near the question as the first
    (`topic`, `same_point`); the others follow in order of relevance, so that an old passage
    on another subject is never put first. A related writing not among `passages` (one in
    the other language) joins the evidence when the time asked about wants it: newer than
    the point for now (it alone, as the older view beside it pulls the answer to what the
    author no longer thinks), older for the beginning, all for a change (the subject's
    writings only), of the years asked; within `shown` passages. `alongside`: passages of
    writings on the subject (found by the search, or for now the best writing's newer
    nearest, found or not), put in time order with the point and never standing in for it.
    `newest`, for now: the point's writings CHANGED_YEARS or more older than its newest left
    out (`current`); for the beginning, those CHANGED_YEARS or more newer than its oldest
    (`earliest`), and the passages off the point written that much later (or undated); for a
    time gone by, when older writings were put before the first (`then_first`), the first
    one's writing, which tells of them from later on. `point_only`, for a change: the passages on
    the point alone, oldest first, when they are of different years (none otherwise)."""
    if when.kind == OFF:
        return list(passages)
    if when.kind == PAST:  # a time gone by, not named: the most relevant first, old ones too
        then = then_first(passages, topic, translated, [*related, *alongside])
        if newest and then and then[0] is not passages[0]:  # the model reads the writings of then, not the
            return [p for p in then if p.chunk.source != passages[0].chunk.source]  # later one telling of them
        return then
    if when.kind == YEARS:
        inside = [p for p in pool if when.holds(year(p))]
        best = {q.id for q in passages}
        if any(p.id in best for p in inside):
            return inside[:shown]
        # none of the best passages is of that time: a writing of then on the same subject
        wanted = _wanted(when, passages, related)
        ids = {p.id for p in wanted}
        return [*wanted, *(p for p in passages if p.id not in ids)][:shown] if wanted else list(passages)
    if when.kind == EARLY:  # the best passage tells the early view from later on: the older ones lead
        passages = then_first(passages, topic, translated)
    point = on_point(passages, topic, translated)
    if when.kind == NOW and apart:  # a newer writing off the question's subject is not its current view
        point = [p for p in point if p.chunk.source not in apart]
    wanted = _wanted(when, point, related)
    if wanted and when.kind == NOW:
        return list(wanted)
    found = {p.id for p in passages}
    added = [p for p in wanted if p.id not in found]  # writings the search did not find
    added += [p for p in alongside if p.id not in found and p.id not in {q.id for q in added}]
    sources = {p.chunk.source for p in [*related, *alongside]}
    on = {p.id for p in point}
    group = [*(p for p in passages if p.id in on or p.chunk.source in sources), *added]
    if not dated_apart(group):
        if point_only or when.kind != CHANGE or added:
            return [] if point_only else list(passages)
        group = list(passages)  # a change asked about, its writings unknown: all in time order
    undated = 9999 if when.kind == NOW else 0  # an undated text is not known to be old
    order = {p.id: i for i, p in enumerate([*passages, *added])}
    sign = -1 if when.kind == NOW else 1  # newest first, or oldest first

    def key(p: Passage) -> tuple[int, int]:
        y = year(p)
        return sign * (undated if y is None else y), order[p.id]

    ids = {p.id for p in group}
    rest = [] if point_only or added and when.kind == CHANGE else [p for p in passages if p.id not in ids]
    if newest:
        group, rest = _narrowed(when, group, rest)
    arranged = sorted(group, key=key) + rest
    return arranged[:max(shown, len(passages))] if added and not point_only else arranged


def course(passages: Sequence[Passage]) -> list[Passage]:
    """The first passage of the oldest writing among `passages` and of the newest (`passages`
    oldest first: `arrange`'s `point_only`, for a change): the view the author started from and
    the one she holds. Not those between: a writing that shares a word with the point may sit
    between them off its subject (the 2019 post on e-readers, "Ho cambiato idea…", between the
    2014 and 2021 posts on reading aloud). [] for fewer than two writings."""
    firsts: dict[str, Passage] = {}
    for p in passages:
        firsts.setdefault(p.chunk.source, p)
    each = list(firsts.values())
    return [each[0], each[-1]] if len(each) > 1 else []


def _narrowed(when: When, group: list[Passage], rest: list[Passage]) -> tuple[list[Passage], list[Passage]]:
    """The passages on the point and the others that the model reads (`arrange`'s `newest`)."""
    if when.kind == NOW:  # the model takes an older writing beside the newest for the current view
        return current(group), rest
    if when.kind == EARLY:  # ... and a newer one telling of then for the early view
        group = earliest(group)
        if (oldest := min((y for p in group if (y := year(p)) is not None), default=None)) is not None:
            # nor one on another subject, written later ("Ho cambiato idea…" on e-books, for social networks)
            rest = [p for p in rest if (y := year(p)) is not None and y < oldest + CHANGED_YEARS]
    return group, rest


def current(group: Sequence[Passage]) -> list[Passage]:
    """The passages of `group` (on one point) but those written CHANGED_YEARS or more before
    the newest: a view may have changed since, and the model takes an older passage beside
    the newest for the current view, even when only the older one holds a detail the
    question names ("…use her phone as a Latin dictionary in your class?": the 2014 post on
    phones as dictionaries, beside the 2024 one on phones switched off). A writing of the
    year before is more likely the same view, or the first part of a series: it stays.
    Undated passages stay (not known to be old)."""
    years = [y for p in group if (y := year(p)) is not None]
    if not years:
        return list(group)
    return [p for p in group if (y := year(p)) is None or y > max(years) - CHANGED_YEARS]


def earliest(group: Sequence[Passage]) -> list[Passage]:
    """The passages of `group` (on one point) but those written CHANGED_YEARS or more after the
    oldest: for a question about the beginning, a newer writing telling what the author
    thought then ("Quando ho aperto questo blog ero convinta…", 2022) is taken for the
    writing of then (the 2011 post). Undated passages are left out when a dated one stays
    (not known to be early)."""
    years = [y for p in group if (y := year(p)) is not None]
    if not years:
        return list(group)
    return [p for p in group if (y := year(p)) is not None and y < min(years) + CHANGED_YEARS]


def on_point(passages: Sequence[Passage], topic: Sequence[str],
             translated: Callable[[Passage], set[str]] | None = None) -> list[Passage]:
    """The passages about the point of the first, in their order: those of the first
    passage's writing and `same_point`'s."""
    if not passages:
        return []
    near = {p.id for p in same_point(passages, topic, translated)}
    return [p for p in passages if p.id in near or p.chunk.source == passages[0].chunk.source]


def _wanted(when: When, group: Sequence[Passage], related: Sequence[Passage]) -> list[Passage]:
    """The related passages the time asked about wants, beside `group` (the passages on the
    point): newer than all of them for now, older for the beginning, all for a change, of the
    years asked."""
    years = [y for p in group if (y := year(p)) is not None]
    dated = [(p, y) for p in related if (y := year(p)) is not None and p.id not in {q.id for q in group}]
    if when.kind == NOW:
        return [p for p, y in dated if years and y > max(years)]
    if when.kind == EARLY:
        return [p for p, y in dated if years and y < min(years)]
    if when.kind == YEARS:
        return [p for p, y in dated if when.holds(y)]
    return [p for p, _ in dated] if when.kind == CHANGE else []


def note(when: When, passages: Sequence[Passage], texts: dict[str, str]) -> str:
    """What the prompt says about the passages' dates ("" when they don't differ)."""
    if when.kind in (YEARS, OFF) or not dated_apart(passages):
        return ""
    return texts[f"time_{when.kind}"]
