"""What stands in for the model's draft: the author's own words of the first passage, quoted
and cited, when the grounding check cut every draft whole, or after an answer about now that
strayed from the point's newest writing. Each rule says when those words answer the question
better than a refusal (or than the model's answer alone), and when a newer writing or a
question the writings never touch holds them back (`policy` decides, before the model,
whether to answer at all; `pipeline.Reply` asks these after it).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..documents import Passage
from . import answerable, asking, grounding, when
from .policy import QUOTE_NEAR, author, near_ids, near_one

# Cross-lingual cosine from which a question is near the newest writing on a point written of
# over the years whose drafts only restated the question: see `newest_words`
ECHO_NEAR = 0.20
# Why the grounding check cuts a draft that failed to say what the passages hold, rather than
# one that said something of its own: it restated the question, flipped a passage's stance,
# gave a figure of its own, or spoke of itself or of the passages (`grounding.check_sentence`)
UNGROUNDED = ("echo", "stance", "number", "persona")


def stands_in(twin, asked: str, lang: str, cut_reasons: Sequence[tuple[str, str]], passages: Sequence[Passage],
              aside: Sequence[str] = (), *, timed: bool = False, now: bool = False, left_older: bool = False) -> bool:
    """Whether the author's own words of the first passage answer a question whose every draft
    the grounding check cut whole, rather than a refusal: a yes/no question the model answered
    by restating it (`quotable`), or a question saying the time it asks about (`timed`: its
    writing of then is first), unless held back for a question about now (`held_back`); or a
    question about now (`now`) restated, whose first passage is on its subject and no newer one
    shown is (`restated`), or on a point written of over the years (`left_older`), near its
    newest writing (`newest_words`), or nearer the first passage than any other shown, its
    drafts only failing to ground it (`nearest_first`)."""
    if (timed or quotable(asked, cut_reasons, passages, aside)) and not (now and held_back(twin, asked, passages)):
        return True
    return now and (restated(asked, lang, cut_reasons, passages, twin)
                    or newest_words(twin, asked, passages, left_older, cut_reasons)
                    or nearest_first(twin, asked, cut_reasons, passages))


def quotable(asked: str, cut_reasons: Sequence[tuple[str, str]], passages: Sequence[Passage],
             aside: Sequence[str] = ()) -> bool:
    """Whether a draft cut whole is better replaced by the author's own words than by a
    refusal: a yes/no question, or one offering a choice (`asking.closed`: "petrol or
    electric?", answered "I drive an electric car."), whose draft only restated it (or
    flipped its stance, or named what the question asked that the writings never name: `aside`; beside a restating
    sentence, one that talks about the passages or the author instead of speaking as them,
    but not one that declines to answer), with a passage
    that makes the point. A question asking for a detail (what, how many, which) whose
    draft was cut stays unanswered: the writings likely don't hold that detail."""
    allowed = ("echo", "stance") + (("name",) if aside else ())
    restating = any(p in ("echo", "stance") for p, _ in cut_reasons)
    return (bool(cut_reasons)
            and all(p in allowed or (p == "persona" and restating and not grounding.DECLINES.search(s))
                    for p, s in cut_reasons)
            and asking.closed(asked) and bool(passages))


def restated(asked: str, lang: str, cut_reasons: Sequence[tuple[str, str]], passages: Sequence[Passage],
              twin) -> bool:
    """Whether a draft cut whole only restated the question (its sentences echo it or flip
    a passage's stance) and the first passage, the one the author's words would be quoted
    from, is on the question's subject (`answerable.on_subject`, across languages too) and
    no newer writing shown is on it (the question's subject, or the first writing's nearest
    writing, or the other way round: `Subjects.linked`): "Cosa pensi dei compiti?" answered
    "Penso che i compiti…" with nothing of the passages. Not a draft that declines or names
    what the passages lack, nor a question asking for a detail (how many, which, when…: not
    `asking.opinion`): the model may be right, and the writings may not hold it."""
    if not passages or not echoed(asked, cut_reasons, ("echo", "stance")):
        return False
    found = twin.subjects
    alike = found.alike if found is not None else None
    skip = author(twin.settings)

    def on(p: Passage) -> bool:
        return answerable.on_subject(asked, lang, p, skip, alike) or (
            found is not None and found.linked(passages[0].chunk.source, p.chunk.source))

    return answerable.on_subject(asked, lang, passages[0], skip, alike) and not when.outdated(passages, on)


def held_back(twin, asked: str, passages: Sequence[Passage]) -> bool:
    """Whether the author's words of the first passage are held back from a question about
    now, being older than another writing shown (`when.outdated`): unless the cross-lingual
    encoder finds the question near the first passage (QUOTE_NEAR) and near no newer one. The
    time ordering (`when.arrange`) puts the newest writing on the point first, and a newer one
    the question is far from is on another subject: the first passage stays the author's current
    view ("Leggi libri sul lettore elettronico?", the 2019 post on e-readers, beside a 2022 post
    on social networks). A newer writing near the question may hold a later view; and a question
    on what the author never wrote about ("Do you think Italian schools should bring in
    uniforms?") finds passages by chance, far from it, whose words answer nothing. Without the
    encoder, held back."""
    if not when.outdated(passages):
        return False
    if twin.subjects is None:
        return True
    close = near_ids(twin, asked, passages)

    def near(p: Passage) -> bool:
        return p.id in close

    return not near(passages[0]) or when.outdated(passages, near)


def newest_words(twin, asked: str, passages: Sequence[Passage], left_older: bool,
                 cut_reasons: Sequence[tuple[str, str]] = ()) -> bool:
    """Whether a question about now whose every draft the grounding check cut is answered by
    the author's own words of the first passage rather than refused: the view left older
    writings on the point out (`when.left_older`: the author wrote on it more than once, years
    apart, and the first passage is the newest of them), the cross-lingual encoder finds the
    question near that passage (QUOTE_NEAR) and no newer writing shown holds it back
    (`held_back`). The writings then are on the point and the 1.5B model failed to ground its
    answer in them ("I'm sorry, I can't…", a figure of its own); the newest writing's words are
    the author's current view. A question the writings never touch finds passages by chance, far
    from it, or on one writing only.

    Or the drafts only restated a question asking what the author thinks (`echoed`: "Per me, i
    social fanno bene ai ragazzi come agli adulti.", the view the author left in 2011, to a
    father asking whether social networks do good or harm), and the question is ECHO_NEAR or
    nearer that passage: the model had nothing of its own to say against the passages, and a
    reader's question in other words than the post sits farther from it than QUOTE_NEAR (0.23
    for that one, whose newest writing is the 2022 post on closing her accounts). A newer
    writing shown near the question does not hold these back: the time ordering put the
    point's newest writing first, and the newer one is on another subject (the 2024 post on
    phones beside the 2022 one on social networks). Of bench/time's questions on what the
    author never wrote about refused so before, the two whose drafts only restated them on such
    a point sat at 0.18 and 0.17; two held back before (at 0.41 and 0.21) are now quoted, the
    rule's cost (docs/time.md, thirty-ninth version)."""
    if not left_older or not passages:
        return False
    if echoed(asked, cut_reasons) and near_one(twin, asked, passages[:1], ECHO_NEAR):
        return True
    return near_one(twin, asked, passages[:1]) and not held_back(twin, asked, passages)


def nearest_first(twin, asked: str, cut_reasons: Sequence[tuple[str, str]], passages: Sequence[Passage]) -> bool:
    """Whether a question about now whose every draft the grounding check cut only for failing
    to ground it (UNGROUNDED: no name the writings lack, no loop; not declining, as an assistant
    finding nothing to say: `grounding.DECLINES`), not asking how many or how much (the writings
    may not hold the figure: `answerable.quantity`), is answered by the author's words of the
    first passage: the cross-lingual encoder finds the question QUOTE_NEAR or nearer that
    passage and nearer it than any other shown. The time ordering put the point's newest
    writing first; nearest of all, it is what the question asks, and a newer writing shown
    farther off is on another point (a 2024 post on phones in a tin box beside the 2023 one on
    a class without homework, to a parent asking whether the homework she gives is worth it).
    A question the writings never touch finds passages by chance, far from it, or its drafts
    are cut for the names it asks of. False without the encoder."""
    if twin.subjects is None or not passages or not cut_reasons or answerable.quantity(asked):
        return False
    if not all(p in UNGROUNDED and not (p == "persona" and grounding.DECLINES.search(s)) for p, s in cut_reasons):
        return False
    cosines = twin.subjects.cosines(asked, [p.id for p in passages])
    first = cosines.get(passages[0].id, 0.0)
    return first >= QUOTE_NEAR and all(first >= c for c in cosines.values())


def echoed(asked: str, cut_reasons: Sequence[tuple[str, str]], kinds: Sequence[str] = ("echo",)) -> bool:
    """Whether the drafts cut whole only restated a question asking what the author thinks
    (every cut sentence of `kinds`: an echo of it, by default, or a flipped stance too, as
    `restated` takes them: `grounding`), not one asking for a detail (how many, which, when…:
    the writings may not hold it)."""
    return (bool(cut_reasons) and all(p in kinds for p, _ in cut_reasons)
            and asking.opinion(asked) and not answerable.quantity(asked))


def strayed(twin, asked: str, passages: Sequence[Passage], cited: Sequence[int]) -> bool:
    """For a question about now, whether its answer cites none of the first writing's passages
    (the point's newest writing, which the time ordering put first) while the cross-lingual
    encoder finds the question near the first passage (QUOTE_NEAR): the answer rests on an
    older writing or on one off the question, and the author's words of the first passage,
    their current view, are to follow it. The 1.5B model answered "…che rapporto ha oggi con
    Facebook e simili? Li usa ancora…?" from the post on a class without homework though the
    2022 post on closing her accounts came first. False without the encoder."""
    if twin.subjects is None or not passages or not cited:
        return False
    first = passages[0].chunk.source
    if any(passages[n - 1].chunk.source == first for n in cited if 1 <= n <= len(passages)):
        return False
    return near_one(twin, asked, passages[:1])
