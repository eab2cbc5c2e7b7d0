"""The writings on a question's subject across time and languages, for the time ordering
(`when.arrange`): those beside the first passage's writing (`related`), and the newest one,
for a question asking for the latest writing (`newest`). The cross-lingual encoder's links
(subjects.py) say which writings are on one subject; a writing the search did not bring
joins by its passage nearest the question (`nearest`). Within one writing, the encoder also
finds the sentences that say what was asked (`stance`), wherever in the writing they are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from .. import language, retrieve
from ..documents import Passage
from . import answerable, policy, when

# a word of a "latest writing" question rarer than this (wordfreq's Zipf scale) names its subject
SUBJECT_ZIPF = 5.5
SUBJECT_POOL = 40  # passages searched for a subject's words
# a writing whose best passage scores at least this share of the best one's is on the subject
SUBJECT_SHARE = 0.5
# a writing that holds the subject's word is on the subject only at least this share as near it
# (cross-lingual encoder) as the nearest writing found, when that one does not hold the word
# (chosen on bench/time's read splits: 0.6 and 0.75 both right 26 of 27, 0.6 changes fewer)
PASSING_SHARE = 0.6
# how much farther from the question (cross-lingual encoder) the author's own statement may be
# than the writing's sentence nearest it, to be quoted instead (`stance`)
STANCE_MARGIN = 0.06
# a second sentence of the same passage is quoted beside the first when the cross-lingual
# encoder puts it at least this near the question (set on bench/time's dev and test, read: the
# second sentences there sat at 0.13 to 0.33, but for "Can I follow you on Instagram?" at 0.06,
# "Non sospesi: cancellati.")
SECOND_NEAR = 0.1


def related(twin, asked: str, message: str, ordering: when.When, shown: Sequence[Passage], lang: str,
            pool: Sequence[Passage] = ()) -> tuple[list[Passage], list[Passage]]:
    """A passage of each other writing on the subject of the first passage's writing
    (subjects.py), for the time ordering: where a language stands between that writing, the
    first one or the question (`lang`), the passage shown already or the writing's best for the
    question (`related`, which may stand in for the others); within one language, the passage
    shown, to be put in time order beside the first (`alongside`, never alone: "Leggere ad alta
    voce… roba da asilo?" gets the 2021 post before the 2014 one, on a subject the two tell in
    other words). Within one language a writing on the subject that the search did not find is
    left out: the shared words would have found it, had it been on the point (the second part of
    a series is not). For a question about now, the first writing's own nearest
    (`Subjects.onward`, one-way), or when that one is older, its own nearest, when newer than
    the first, joins `alongside`, found or not, in either language (with the older one passed
    through, when found: on the point, so left out with the other old ones): a reader who asks
    in the old view's words finds the old writing first. The question need not be near that
    writing by the cross-lingual encoder when the search found it ("Would you recommend Twitter
    to a young teacher?" finds the 2011 post on Twitter and, lower, the 2022 one on leaving
    social networks, which the 2011 post is nearest)."""
    if ordering.kind == when.OFF or not shown or twin.subjects is None:
        return [], []
    subjects, first = twin.subjects, shown[0]
    question = subjects.question(asked)
    reach = functools.partial(nearest, twin, question=question, score=first.score)
    have: dict[str, Passage] = {}
    for p in shown:
        have.setdefault(p.chunk.source, p)
    related: list[Passage] = []
    alongside: list[Passage] = []
    for source in subjects.related(first.chunk.source, question):
        if (near := have.get(source)) is None:
            near = reach(source)
            if near is None or near.chunk.language == first.chunk.language == lang:
                continue
        (alongside if near.chunk.language == first.chunk.language == lang else related).append(near)
    if ordering.kind == when.YEARS and not any(ordering.holds(when.year(p)) for p in shown):
        # no passage found is of the years asked: the writing of then the question is nearest,
        # in either language, when it is near enough beside the best one
        then = [s for s, d in twin.store.document_dates().items()
                if ordering.holds(when.year_of(d)) and s not in have]
        source = subjects.closest(then, question, first.chunk.source)
        if source is None:  # or a writing of then on the subject of another writing shown
            source = next((w for p in shown[1:] if p.chunk.source != first.chunk.source
                           for w in subjects.related(p.chunk.source, question) if w in then), None)
        near = None if source is None else reach(source)
        if near is not None:
            related.append(near)
    if ordering.kind in (when.PAST, when.EARLY):  # the older writings a recollection looks back on
        related += looked_back(subjects, first, question, have, {p.chunk.source for p in related}, reach)
    if ordering.kind == when.EARLY and not related:
        # the beginning asked about: a writing in the other language, older than the point's,
        # found by the search, on what the question asks (its words without time or writing)
        point = when.on_point(shown, answerable.topic_terms(message, lang))
        years = [y for p in point if (y := when.year(p)) is not None]
        older = [p for p in (*shown, *pool) if years and (when.year(p) or 9999) < min(years)
                 and p.chunk.language != first.chunk.language]
        what = subjects.question(when.WRITING.sub(" ", when.timeless(asked)))
        best = max(have, key=lambda w: subjects.nearness(w, what))
        sources = list(dict.fromkeys(p.chunk.source for p in older))
        source = best if best in sources else subjects.closest(sources, what, best)
        if source is not None:
            related.append(next(p for p in older if p.chunk.source == source))
    if ordering.kind == when.NOW:  # the best writing's nearest one, when newer: in time order beside it
        known = {p.chunk.source for p in [*related, *alongside]}
        passed: list[str] = []
        for source in subjects.onward(first.chunk.source, question, found=have):  # through an older one
            near = None if source in known else have.get(source) or reach(source)
            if near is None or (when.year(near) or 0) > (when.year(first) or 9999):
                if near is not None:  # the older writing passed through is on the point too, when found
                    alongside += [near, *(have[s] for s in passed if s in have)]
                break
            passed.append(source)
        else:  # or the writing the best one and it are each other's nearest, when newer and on the question
            if (near := linked_newer(twin, asked, lang, first, question, have, known, reach)):
                alongside.append(near)
    return related, alongside


def newest(twin, asked: str, lang: str, limit: float) -> Passage | None:
    """For a question asking for the latest writing on a subject: the newest writing's
    passage, found by searching for the subject's words alone (`latest`), or for their
    translation into the other language (`translated`), or a newer writing on its
    subject (subjects.py: `related`, or its own nearest writing, one-way, or the writing it
    and the newest found are each other's nearest, when the search found that one too) that
    holds none of them: in the other language, or in the same one under another word
    ("telefono" for "cellulari")."""
    s = twin.settings
    words = subject(asked, lang)
    if not words:
        return None

    def search(text: str) -> list[Passage]:
        found = retrieve.find(twin.store, twin.embedder, text, SUBJECT_POOL,
                              candidates=max(s.search_candidates, SUBJECT_POOL))
        return policy.shown(found.passages, len(found.passages), limit)

    shown = search(words)
    if twin.subjects is None:
        return latest(asked, lang, shown)
    subjects, question = twin.subjects, twin.subjects.question(words)
    near = functools.partial(subjects.nearness, question=question)
    newest = latest(asked, lang, shown, near)
    found: set[str] = set()  # the writings the translations' searches found
    for other, translation in translated(asked, lang, shown, subjects.alike).items():
        there = search(translation)
        found.update(p.chunk.source for p in there)
        p = latest(translation, other, there, near)
        if p is not None and (newest is None or (p.chunk.date or "") > (newest.chunk.date or "")):
            newest = p
    if newest is None:
        return None
    # one-way, as for a question about now; through a translation, the search for it counts
    onward = subjects.onward(newest.chunk.source, question, found=found)
    # the writing each is the other's nearest, found by the subject's own search too: one
    # subject under another word ("cellulari" is twice as near the 2014 post, which says
    # "cellulare", as the 2024 one, which says "telefono")
    mutual = subjects.mutual(newest.chunk.source)
    both = [mutual] if mutual in {p.chunk.source for p in shown} and near(mutual) > 0 else []
    for source in dict.fromkeys([*subjects.related(newest.chunk.source, question), *onward, *both]):
        p = nearest(twin, source, question, newest.score)
        if p is not None and (p.chunk.date or "") > (newest.chunk.date or ""):
            newest = p
    return newest


def nearest(twin, source: str, question, score: float) -> Passage | None:
    """`source`'s passage nearest `question` by the cross-lingual encoder (a writing on
    the subject that the search did not bring), scored `score`."""
    i = twin.subjects.best(source, question)
    c = None if i is None else twin.store.chunks([i]).get(i)
    if i is None or c is None:
        return None
    return Passage(id=i, chunk=c, score=score, extra={"related": True})


def subject(question: str, lang: str) -> str:
    """The words naming what a "latest writing" question is about: the question without its
    time phrase, its words about writing and its common words ("qual è l'ultima cosa che hai
    scritto sui compiti a casa?" -> "compiti"). Searched for on their own, they find the
    writings on the subject in every language better than the whole question does. Only the
    sentence asking for the latest writing names it: "Qual è il tuo post più recente sul
    latino? Cosa ci dicevi?" is about "latino", not "dicevi"."""
    if m := when.ASKS_LATEST.search(question):
        question = next(s[0] for s in re.finditer(r"[^.?!]*[.?!]*", question) if s.start() <= m.start() < s.end())
    words = when.WRITING.sub(" ", when.ASKS_LATEST.sub(" ", question))
    return " ".join(answerable.content_words(words, lang, SUBJECT_ZIPF))


def latest(question: str, lang: str, found: Sequence[Passage],
           nearness: Callable[[str], float] | None = None) -> Passage | None:
    """The passage of the newest dated writing on the question's subject, from `found` (the
    passages found for `subject`, best first, that pass the relevance threshold): a writing
    is on the subject when one of its passages holds the subject's rarest word (its stem, as
    the start of a word: "telefoni" and "telefono") and scores at least SUBJECT_SHARE of the
    best one's, and, given `nearness` (a writing's cosine with the subject by the
    cross-lingual encoder, subjects.py), when it is at least SUBJECT_SHARE as near the
    subject as the nearest of them: a writing that holds the word in passing, or a word
    that begins like it, is not on the subject (a jazz night's "batterista" begins like an
    electric car's "batteria"); nor, when a writing that does not hold the word is nearer the
    subject than all that do, one under PASSING_SHARE of that one's nearness ("reading aloud",
    an English travel post that reads a page aloud once, while the Italian posts on "leggere ad
    alta voce" hold no "aloud"). None when none is."""
    words = subject(question, lang).split()
    if not words or not found:
        return None
    stems = language.terms(_rarest(words, lang), lang, keep_stopwords=True)
    top = found[0].score
    on: dict[str, Passage] = {}  # a writing's best passage holding the word
    for p in found:
        if p.chunk.source in on or when.year(p) is None or p.score < SUBJECT_SHARE * top:
            continue
        text = " ".join(language.words(p.chunk.context))
        if all(answerable.held(stem, text) for stem in stems):
            on[p.chunk.source] = p
    if nearness is not None and on:
        near = {source: nearness(source) for source in on}
        best = max(near.values())
        nearest = max(nearness(source) for source in {p.chunk.source for p in found if when.year(p) is not None})
        bar = PASSING_SHARE * nearest if nearest > best else 0.0  # the word held in passing
        if best > 0:
            on = {source: p for source, p in on.items() if near[source] >= max(SUBJECT_SHARE * best, bar)}
    return max(on.values(), key=lambda p: p.chunk.date or "", default=None)


def _rarest(words: Sequence[str], lang: str) -> str:
    return min(words, key=lambda w: language.zipf(w, lang))


def translated(question: str, lang: str, found: Sequence[Passage], alike: answerable.Alike) -> dict[str, str]:
    """The subject of a "latest writing" question in the other languages of `found` (the
    passages found for `subject`, as `latest` takes them): for each, the words of that
    language's passages that `alike` (the cross-lingual encoder: `Subjects.alike`) finds
    translate the subject's rarest word, and that it translates back to that word among the
    question's language's words ("What's the most recent thing you posted about homework?"
    -> {"it": "compiti"}). Searched for on their own, they find the writings in that
    language that hold none of the question's words."""
    words = subject(question, lang).split()
    if not words or not found:
        return {}
    core, top = _rarest(words, lang), found[0].score
    near = [p for p in found if when.year(p) is not None and p.score >= SUBJECT_SHARE * top]

    def vocabulary(language_: str) -> list[str]:
        return list(dict.fromkeys(w for p in near if p.chunk.language == language_
                                  for w in answerable.content_words(p.chunk.context, language_, SUBJECT_ZIPF)))

    own = [core, *vocabulary(lang)]
    out: dict[str, str] = {}
    for other in dict.fromkeys(p.chunk.language for p in near if p.chunk.language not in (lang, None)):
        assert other is not None
        if words_of := answerable.translations(core, vocabulary(other), own, alike):
            out[other] = " ".join(words_of)
    return out


def older(twin, question: str, lang: str, view: Sequence[Passage], found: Sequence[Passage]) -> list[Passage]:
    """The passages of `found` (what the search brought) from writings on the point of `view`'s
    first (`Subjects.neighbours`: the cross-lingual encoder's links) written CHANGED_YEARS or
    more before it, oldest first, each on the question: holding one of its topic words
    (`answerable.topic_terms`; in the other language, translated: `answerable.translated_terms`),
    or near it by the encoder (`policy.QUOTE_NEAR`). For a question about now, the older view the
    evidence left out before the point was built (`when.left_older` reads only what it kept):
    "Cosa pensi delle auto elettriche?": the search brings the 2015 post on electric cars, under
    the relevance the evidence keeps beside the 2021 one, and the encoder links the two. A link
    alone is not a point: in a blog of two writings each is the other's nearest, and a recipe is
    no older view on homework, however near a small model's vectors put them. (On bench/time's
    read and held-out splits, of the 96 older writings so found, 93 were the topic's: 54 hold a
    topic word, 71 one or the other.) [] without the encoder, or when the first of `view` has no
    date."""
    subjects = twin.subjects
    if subjects is None or not view or (first := when.year(view[0])) is None:
        return []
    linked = set(subjects.neighbours(view[0].chunk.source))
    before = [p for p in found if p.chunk.source in linked
              and (y := when.year(p)) is not None and y <= first - when.CHANGED_YEARS]
    if not before:
        return []
    near, topic = subjects.cosines(question, [p.id for p in before]), set(answerable.topic_terms(question, lang))

    def on_question(p: Passage) -> bool:
        theirs = p.chunk.language or "und"
        if near.get(p.id, 0.0) >= policy.QUOTE_NEAR or topic & set(language.terms(p.chunk.context, theirs)):
            return True
        return theirs not in (lang, "und") and bool(answerable.translated_terms(question, lang, p, subjects.alike))

    return sorted((p for p in before if on_question(p)), key=lambda p: when.year(p) or 0)


def stance(twin, query: str, p: Passage) -> tuple[Passage, tuple[int, int] | None, tuple[int, int] | None]:
    """The sentence of `p`'s writing, in any of its passages, that the cross-lingual encoder
    finds nearest `query` (or, within STANCE_MARGIN, the nearest in which the author speaks as
    herself: `citations.herself`), with the passage that holds it: what she says on the point
    asked, wherever in the writing she says it ("Prof, lei è favorevole ai compiti per casa?":
    the post's opening, "da quest'anno nelle mie classi non ci sono più compiti a casa", where
    e5 scores the post's sentences within 0.02 of one another and puts first "Traduciamo in
    coppia"); and the passage's next nearest sentence, at least SECOND_NEAR to `query`, to
    quote beside it (a reader's view she answers, "Mi capita di sentir dire che leggere ai
    ragazzi grandi sia una perdita di tempo…", then her own, "Ho sempre pensato il
    contrario…"), or None. (p, None, None) without the encoder: the search's own choice stands."""
    from .citations import herself

    subjects = twin.subjects
    if subjects is None:
        return p, None, None
    chunks, units, cosines = _sentences(twin, query, subjects.chunks_of(p.chunk.source))
    if not units:
        return p, None, None
    k = herself([t for _, _, t in units], cosines, p.chunk.language, STANCE_MARGIN)
    k = k if k is not None else max(range(len(units)), key=cosines.__getitem__)
    i, span, _ = units[k]
    rest = [n for n, u in enumerate(units) if u[0] == i and n != k and cosines[n] >= SECOND_NEAR]
    second = units[max(rest, key=cosines.__getitem__)][1] if rest else None
    return (p if i == p.id else Passage(id=i, chunk=chunks[i], score=p.score)), span, second


def beside(twin, query: str, p: Passage) -> tuple[int, int] | None:
    """The sentence of passage `p` the cross-lingual encoder finds nearest `query`, when at
    least SECOND_NEAR to it: quoted beside the sentence the search chose (`stated`) for a
    question about a time gone by ("Vado controcorrente: io i compiti li assegno…" with the
    petition against homework it answers). None without the encoder."""
    if twin.subjects is None:
        return None
    _, units, cosines = _sentences(twin, query, [p.id])
    near = [n for n in range(len(units)) if cosines[n] >= SECOND_NEAR]
    return units[max(near, key=cosines.__getitem__)][1] if near else None


Unit = tuple[int, tuple[int, int], str]  # a sentence: (chunk id, span in the document, text)


def _sentences(twin, query: str, ids: Sequence[int]) -> tuple[dict, list[Unit], list[float]]:
    """The chunks `ids` (by id), their sentences, each once, in the order of the text, as
    (chunk id, span, text), and the cross-lingual encoder's cosine of each to `query`."""
    chunks, vectors = twin.store.chunks(ids), twin.store.vectors(ids)
    units: list[Unit] = []
    seen: set[tuple[int, int]] = set()
    for i in sorted(chunks, key=lambda i: chunks[i].start):
        c, v = chunks[i], vectors.get(i)
        for a, b in ([tuple(int(x) for x in sp) for sp in v.spans] if v is not None else []):
            if (a, b) not in seen and len(language.words(text := c.text[a - c.start:b - c.start])) >= 4:
                seen.add((a, b))
                units.append((i, (a, b), text))
    if not units:
        return chunks, [], []
    subjects = twin.subjects
    return chunks, units, list(subjects.encoded([t for _, _, t in units]) @ subjects.question(query))


LINKED_CHUNKS = 4  # of the newer writing, the passages nearest the question read for its words


def linked_newer(twin, asked: str, lang: str, first: Passage, question, have: dict[str, Passage],
                 known: set[str], nearest: Callable[[str], Passage | None]) -> Passage | None:
    """For a question about now (`question`: its cross-lingual vector): the passage (found by
    the search, in `have`, or else `nearest` the question) of the writing that the first
    passage's writing and it are each other's nearest (`Subjects.mutual`), when that one is
    newer and its LINKED_CHUNKS passages nearest the question, read together, are on what
    the question asks (`answerable.on_subject`, in either language). A reader's words may sit
    far nearer the old writing than the new one ("What's your policy on phones at school?"
    and a 2014 post on phones on the desk, beside the 2024 one on phones switched off in a
    tin box): the cross-lingual encoder's share, which `Subjects.onward` asks, is not met,
    but the two writings are on one subject, and the newer one holds the question's words
    (in more than one passage: the 2024 post names the phones once, in its first lines). A
    bounded read: a book's hundreds of passages are not gone through on each question.

    Or, without the question's words, when the first writing is the one of all the question
    is nearest (`Subjects.subject`), at QUOTE_NEAR at least, and the newer writing holds a
    passage near the first passage itself (QUOTE_NEAR): the question asks about the old
    writing's subject as a whole, and the newer one takes up what that passage says ("Posso
    usare il cellulare come dizionario di latino in classe?" and a 2014 post on phones on the
    desk; a 2024 one on phones in a tin box holds a passage at 0.57 of it). Being each other's
    nearest is not enough: in a small blog a post on an electric car and a recipe are, and
    their passages sit at 0.19. Each passage of such a pair's older writing has the newer
    one's nearest passage at 0.42 or more on bench/time, at 0.36 or more in nine of the ddbit
    writings' ten pairs (0.21 at the least in the tenth, a chapter of 27 passages). Nor does a
    newer writing that leaves out a name the question and the old passage hold
    (`answerable.names_left`): a 2014 walk through Lisbon and a 2023 walk to Florence are each
    other's nearest, and "Mi consigli un posto a Lisbona per ascoltare il fado?" asks about the
    first one's city."""
    subjects = twin.subjects
    source = subjects.mutual(first.chunk.source)
    if source is None or source in known:
        return None
    near = have.get(source) or nearest(source)
    if near is None or (when.year(near) or 0) <= (when.year(first) or 9999):
        return None
    ids = subjects.nearest_chunks(source, question, LINKED_CHUNKS)
    found = twin.store.chunks(ids)
    text = "\n\n".join(found[i].text for i in ids if i in found)
    read = Passage(id=near.id, chunk=replace(near.chunk, text=text), score=near.score)
    skip = policy.author(twin.settings)
    if answerable.on_subject(asked, lang, read, skip, subjects.alike):
        return near
    old, vector = first.chunk.source, subjects.vector(first.id)
    if (subjects.subject(question) == old and subjects.nearness(old, question) >= policy.QUOTE_NEAR
            and vector is not None and subjects.reach(source, vector) >= policy.QUOTE_NEAR
            and not answerable.names_left(asked, lang, first, read, skip)):
        return near
    return None


def looked_back(subjects, first: Passage, question, have: dict[str, Passage], known: set[str],
                nearest: Callable[[str], Passage | None]) -> list[Passage]:
    """For a question about a time gone by, when the first passage's sentence nearest it
    tells of an earlier view (`when.recollection`): the passage (found by the search, in
    `have`, or else `nearest` the question) of each older writing it looks back on, those
    whose nearest writing is the first one's (`Subjects.toward`, in either language; not in
    `known`). "Quando ho aperto questo blog ero convinta che i social…" (2022) looks back on
    the 2011 post on Twitter and the 2017 one on tiring of it: neither may hold a word of
    the question, nor be each other's nearest with the 2022 one."""
    if not when.recollection(first.matched) or (then := when.year(first)) is None:
        return []
    return [near for w in subjects.toward(first.chunk.source, question)
            if w not in known and (near := have.get(w) or nearest(w)) is not None and (when.year(near) or then) < then]
