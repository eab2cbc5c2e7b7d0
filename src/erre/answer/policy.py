"""Answer or abstain: the decisions taken before the model writes, and their thresholds.

Whether the twin abstains is decided from the evidence, not left to the model, because a
small model answers anyway: the best cosine between the question and a passage sentence
(calibrated per embedder), the question's words found in a passage, the kind of message (a
task for an assistant, a private question: `classify`), the question's names, figures and
years against the passages, and for a question of several parts, which parts the writings
cover (`answerable`). Each refusal has its reason and its words, in the question's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .. import language, retrieve
from ..documents import Passage
from ..errors import ConfigError
from . import answerable, asking, classify, when
from .texts import prompts, quoted

# Best-sentence cosine under which the writings don't cover a question, per embedder.
# Fitted on SQuAD-it dev (questions with their article in the index vs. removed) and checked
# on Italian and English questions over an Italian blog; see docs/answers.md.
CALIBRATED = {"e5:multilingual-e5-small-q4": 0.84}
# Share of the question's content words found in a passage that counts as evidence on its
# own (same language only): rescues answerable questions whose cosine is low.
COVERAGE_ENOUGH = 0.7
NEAREST_MARGIN = 0.03  # passages this close under the threshold are named as "related"
MAX_QUESTION_CHARS = 4000  # a question, not a document: longer ones are refused
PART_TASK = 0.95  # probability from which a sentence of a longer message, not itself a question, is an order
PART_READ = 0.9  # the same, by the classifier that reads the chat model's reading too
# ... and from which a message made only of what/how/why questions is a task (asking.wh_question):
# every such message the classifier flagged on the hard set and the attack sets was a question
WH_TASK = 0.95
WRITTEN_LOOKUP = 20  # passages of the whole index looked at for a term the near ones lack
# Cross-lingual cosine (subjects.py) from which the question is near the passage whose words
# would answer it: see `near_one` and `standin.held_back`; past it by NEAR_MARGIN, `very_near`
QUOTE_NEAR = 0.32


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved passages cover the question."""

    relevance: float  # best cosine between the question and a passage (its best sentence)
    coverage: float  # best share of the question's content words found in one passage
    threshold: float
    across: bool = False  # the cross-lingual encoder finds it near a passage in another language (`near_found`)

    @property
    def enough(self) -> bool:
        return (self.threshold <= 0 or self.relevance >= self.threshold or self.coverage >= COVERAGE_ENOUGH
                or self.across)

    @property
    def near(self) -> bool:
        """A passage very close to the question: past a calibrated threshold by NEAR_MARGIN."""
        return self.threshold > 0 and self.relevance >= self.threshold + answerable.NEAR_MARGIN


NONE = Evidence(0.0, 0.0, 1.0)  # no evidence looked for: an order, an empty index, a task


def threshold(settings, embedder_name: str) -> float:
    raw = str(settings.chat_abstain_below).strip().lower()
    if raw == "auto":
        return CALIBRATED.get(embedder_name, 0.0)
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"chat.abstain_below must be a number or 'auto', not {raw!r}") from None


def evidence(question: str, qlang: str, passages: Sequence[Passage], limit: float) -> Evidence:
    relevance = max((p.dense for p in passages if p.dense is not None), default=0.0)
    asked = set(language.terms(question, qlang))
    coverage = 0.0
    if asked:
        for p in passages[:3]:
            if p.lexical is not None and p.chunk.language == qlang:
                found = asked & set(language.terms(p.chunk.context, p.chunk.language))
                coverage = max(coverage, len(found) / len(asked))
    return Evidence(relevance, coverage, limit)


@dataclass(frozen=True)
class Kinds:
    vector: np.ndarray  # the question's embedding, reused by the search
    task: bool  # a task for an assistant, not a question to the author
    personal: bool  # asks for a private fact
    parts: tuple = ()  # the question's parts (asking.Part), when it has more than one
    asked: tuple = ()  # (part, its vector) for each part that asks something
    private: tuple = ()  # of a private message, the parts asking something that alone ask a private fact
    order: bool = False  # a sentence of it that asks nothing reads as an order by itself (a task whatever else)
    past: bool = False  # asks about a time gone by, by its verbs alone (the tense classifier; `when_asked`)


def kinds(twin, question: str, lang: str) -> Kinds:
    """The question's vector (embedded once, for retrieval too), its parts, and what kind of
    message it is: a task for an assistant, a private question. A message of several parts
    is a task when one of them is (an order after a question)."""
    pieces = asking.parts(question)
    texts = [question] + ([p.text for p in pieces] if len(pieces) > 1 else [])
    x = classify.features(twin.embedder, texts, [lang] * len(texts))
    vectors = x[:, :twin.embedder.dim].astype(np.float32)  # the plain query vectors, for the search
    cache = twin.home / "cache"
    # the whole message; and an order standing as a sentence of its own, past a higher bar
    # (a part out of context reads like a task more often than the whole does). Read by the
    # chat model too when its classifier exists, by the embedder's vectors alone otherwise.
    rows = [0] + ([i for i, part in enumerate(pieces, 1) if not part.question] if len(pieces) > 1 else [])
    reader = twin.reader
    found = classify.reading(classify.SCOPE_READ, twin.embedder, reader, cache) if reader is not None else None
    if found is not None:
        scope, part_bar = found, PART_READ
        p = scope.probability(classify.read(reader, [texts[i] for i in rows], x[rows]))
    else:
        scope, part_bar = classify.load(classify.SCOPE, twin.embedder, cache), PART_TASK
        p = scope.probability(x[rows])
    bar = max(scope.threshold, WH_TASK) if asking.wh_question(question) else scope.threshold
    order = any(q >= max(scope.threshold, part_bar) for q in p[1:])
    task = bool(p[0] >= bar or order)
    flags = classify.load(classify.PERSONAL, twin.embedder, cache).flags(vectors)
    past = bool(classify.load(classify.TENSE, twin.embedder, cache).flags(x[:1])[0])  # the whole message
    personal = bool(flags[0])
    asked = [(p, v) for p, v in zip(pieces, vectors[1:]) if p.question] if len(pieces) > 1 else []
    private = tuple(p.text for p, f in zip(pieces, flags[1:]) if p.question and f) if personal else ()
    return Kinds(vectors[0], task, personal, tuple(pieces) if len(pieces) > 1 else (), tuple(asked), private, order,
                 past)


def when_asked(question: str, past: bool) -> when.When:
    """The time `question` asks about (`when.asked`), or a time gone by when the rules read
    none and the tense classifier reads one in its verbs (`past`, `Kinds.past`): readers tell a time
    gone by in more ways than rules list ("Cosa hai risposto a chi ti ha criticato per quel
    libro?", "What made you quit the band?"). Only a question to the author on their own past
    (`when.to_author`: an event the writings tell, "How many tokens was Llama 3 trained on?",
    is asked of them as they are), never with a word of now ("oggi", "still")."""
    asked = when.asked(question)
    if asked.kind == when.NOW and past and not when.names_now(question) and when.to_author(question):
        return when.When(when.PAST)
    return asked


def asks_latest(question: str, kinds: Kinds) -> bool:
    """Whether a message read as a task as a whole asks, in a sentence that is a question,
    for the author's latest writing on a subject, and no sentence of it reads as an order by
    itself: "Ciao! Qual è l'ultima cosa che hai scritto sul latino? La cerco per mia figlia."
    That question is answered without the model, by the newest writing's own words, so the
    reading as a task is set aside for it; when no writing holds the subject's words but the
    writings answer the question, by the words of the point's newest writing, still without the
    model (`pipeline.Reply`); when the writings do not cover it, the reading stands. "Riscrivi
    il tuo ultimo articolo per bambini" asks nothing: declined."""
    if not kinds.task or kinds.order:
        return False
    pieces = asking.parts(question)
    return any(p.question and when.asked(p.text).kind == when.LATEST for p in pieces)


def unchecked(twin, question: str) -> Kinds:
    """The question's vector alone, when the checks are off."""
    return Kinds(twin.embedder.queries([question])[0], False, False)


def covered_parts(twin, question: str, lang: str, limit: float,
                  kinds: Kinds) -> tuple[str, tuple[str, ...], Kinds]:
    """For a question of two parts or more: the question the writings answer (its context
    and the parts they cover), the parts they do not, and its kinds; (question, (), kinds)
    when all or none are covered. A private message whose private fact is asked in a part
    of its own ("È vero che con lei si è liberi il pomeriggio? Come la pensa oggi sui
    compiti?") keeps its other parts: the private one is among those not answered, unless
    a passage holds it outright (`answerable.personal`), and the rest is no longer private."""
    if len(kinds.asked) < 2:
        return question, (), kinds
    private = set(kinds.private) if len(kinds.private) < len(kinds.asked) else set()
    uncovered: list[str] = []
    for n, (part, vector) in enumerate(kinds.asked):
        before = n > 0 and kinds.asked[n - 1][0].text in uncovered
        back = n > 0 and asking.refers_back(part.text, lang)
        if n and part.text not in private and (not answerable.topic_terms(part.text, lang) or before and back):
            # it asks about what the part before named, covered as that one is: no word of its
            # own names what it asks about ("…delle prove INVALSI? Servono davvero a qualcosa?"),
            # or a pronoun points back to a part not covered ("…? Le preparate in classe?"). A
            # private part is judged on its own: "…? E tu per chi voti?"
            if before:
                uncovered.append(part.text)
            continue
        text = part.text
        if back and asking.closed(part.text):
            # yes or no asked of what the part before named, judged with it ("…i libri digitali?
            # Li usava o li guardava con sospetto?"); pointing back for a detail, it may ask
            # something new of it ("…? How much money did they raise?"), and is judged on its own
            text, vector = f"{kinds.asked[n - 1][0].text} {part.text}", None
        # the other side of a choice the part before asks, covered as that one is; judged on its
        # own when that one is not ("Do you still read on a Kobo, or are you back to paper?")
        choice = n > 0 and part.alternative and not before
        if not _part_covered(twin, text, lang, limit, vector, part.text in private, choice):
            uncovered.append(part.text)
    if not uncovered or len(uncovered) == len(kinds.asked):
        return question, (), kinds
    kept = " ".join(p.text for p in kinds.parts if p.text not in uncovered)
    if private:  # what is left asks no private fact
        kinds = replace(kinds, personal=False)
    return kept, tuple(uncovered), kinds


def _part_covered(twin, text: str, lang: str, limit: float, vector, private: bool, alternative: bool) -> bool:
    """Whether the writings cover a part of a question (`text`; `vector`, its vector when
    embedded already): enough evidence, every name and figure it asks held, its topic words
    in the passages, and, for a private part, a passage that holds it. The other side of a
    choice whose first side is covered ("Are you a print reader, or do you read on an
    e-reader?", `alternative`) is one question with it, covered unless it names what no
    passage holds ("…, or have you switched to a Kindle?")."""
    s = twin.settings
    found = retrieve.search(twin.store, twin.embedder, text, s.chat_passages,
                            candidates=s.search_candidates, query_vector=vector)
    if answerable.missing_terms(text, lang, found, author(s)).reason:
        return False
    if alternative:
        return True
    ev = evidence(text, lang, found, limit)
    return ev.enough and not answerable.off_topic(text, lang, found).reason and not (private and answerable.personal(
        True, ev.relevance, ev.threshold, answerable.published(text, lang, found, author(s))).reason)


def author(settings) -> tuple[str, ...]:
    """The words of the author's name: never a name the passages must hold."""
    return tuple(settings.name.split()) if settings.name else ()


def set_aside(twin, asked: str, lang: str, shown: Sequence[Passage], ev: Evidence | None = None,
              view: Sequence[Passage] = ()) -> tuple[str, ...]:
    """The names of the question that no passage of the writings holds, when the rest of the
    question is on what the passages hold, or the question is very near them (`ev`, the
    evidence, or the cross-lingual encoder: `very_near`; `answerable.aside`): the answer says
    what the author wrote on the rest, and that they never wrote of these. () otherwise.

    When the writings hold one of them somewhere, names are set aside only when the question
    is very near the passages, and then those no writing shown holds nor one on the point of
    the passage the answer leads with (`unwritten_names`; `view`, as for `private`). A name
    held on another point is a detail the reader adds to a question on what the passages
    say ("…ridono e si danno di gomito? Anche i ragazzi di Bologna?" of a post on reading
    aloud to fifteen-year-olds, Bologna being in a post on a walk to San Luca); the answer
    says she wrote of it elsewhere (`texts.not_covered`). Not near, none is set aside and the
    question stays refused ("Di «X» ho scritto, ma…")."""
    missing = answerable.missing_terms(asked, lang, shown, author(twin.settings))
    if not missing.reason:
        return ()
    context = asker_context(twin, asked, shown, missing.terms)
    near = context or ev is not None and ev.near or very_near(twin, asked, shown)
    alike = twin.subjects.alike if twin.subjects is not None else None
    if not context and not answerable.aside(asked, lang, shown, missing.terms, author(twin.settings), near, alike):
        return ()
    if not any(written(twin.store, [t]) for t in missing.terms):  # the lookup last
        return tuple(missing.terms)
    # the names still missing once the writings shown and the lead's point are read
    return unwritten_names(twin, asked, lang, shown, (), view)[1] if near else ()


def asker_context(twin, asked: str, shown: Sequence[Passage], terms: Sequence[str]) -> bool:
    """Whether the names `terms` are the asker's own context (`answerable.context_only`: named
    only in the sentences that ask nothing; no figure), and the question is near a passage
    shown (`near_one`, the cross-lingual encoder): "Mio figlio fa il ginnasio al Galvani e sta
    sulle versioni fino a sera. Lei quanto lavoro dà per il pomeriggio?" asks what a post on a
    class without homework answers, whatever school the asker's son attends."""
    return (not any(answerable.figure(t) for t in terms) and bool(answerable.context_only(asked, terms))
            and near_one(twin, asked, shown))


def unanswerable(twin, asked: str, lang: str, shown: Sequence[Passage], kinds: Kinds,
                 ev: Evidence, aside: Sequence[str] = (), question: str = "",
                 view: Sequence[Passage] = (), names: Names | None = None) -> tuple[str, str] | None:
    """(reason, what the twin says) when the passages cannot answer the question although
    they come close to it; None when they may. `aside`: names set aside (`set_aside`), not
    asked of the passages; `question`, `view`: as for `private`; `names`: `unwritten_names`
    for these, when looked up already."""
    texts = prompts(lang)
    latest = twin.store.dates()[1]
    later = answerable.after_writings(asked, latest, shown)
    if later.reason and latest:
        return later.reason, texts["abstain_after"].format(last=latest[:4], years=", ".join(later.terms))
    if private(twin, asked, lang, shown, kinds, ev, question, view) == PRIVATE:
        # it claims nothing of what the author wrote: a passage came near the question (one
        # that does not is refused before this, as not covered), and may tell what it asks in
        # words the checks do not read ("What car do you drive, and are you happy with it?"
        # beside a post on the electric car she bought)
        return PRIVATE, texts["abstain_personal"]
    terms = (names or unwritten_names(twin, asked, lang, shown, aside, view))[1]
    missing = answerable.Check("missing_terms", terms) if terms else answerable.Check(None)
    if missing.reason and (years := written_in(twin.store, missing.terms)):
        # "nel 2013…" when the passages found are of other years: the author did write in
        # 2013, just nothing found on this
        return missing.reason, texts["abstain_year"].format(years=", ".join(years))
    if missing.reason:
        # "I never wrote about X" only when no passage of the writings holds X at all
        key = "abstain_terms_elsewhere" if written(twin.store, missing.terms) else "abstain_terms"
        return missing.reason, texts[key].format(terms=quoted(missing.terms, lang))
    return None


PRIVATE, OWN_WORDS = "personal", "own_words"


def private(twin, asked: str, lang: str, shown: Sequence[Passage], kinds: Kinds, ev: Evidence,
            question: str = "", view: Sequence[Passage] = ()) -> str | None:
    """How a question the private-question classifier flags is answered: None when it is not
    flagged, or a passage shows the author made it public (`answerable.personal`: very close,
    every name it uses held, `near_one`); OWN_WORDS when only a passage on what it asks does
    (`wrote_of`): then in the author's own words from the passages, not the model's, so that
    nothing of a private life is put in her mouth; PRIVATE otherwise (refused). `question`:
    the message as asked, when `asked` is what is left of it once parts the writings do not
    cover are set aside: a message read as private as a whole is on a writing as a whole
    (a reader asking whether to give her mother an e-reader or paper books is not on a post
    on Bolognese words because its last part alone, "Tu cosa le consiglieresti?", is: the
    post holds "consigli"). `view`: the passages its answer would quote from, in their order
    (the view the model would read: for a question about now, the point's newest writing
    first), when not `shown`."""
    if not kinds.personal:
        return None
    public = answerable.published(asked, lang, shown, author(twin.settings)) or near_one(twin, asked, shown)
    if not answerable.personal(True, ev.relevance, ev.threshold, public).reason:
        return None
    return OWN_WORDS if wrote_of(twin, question or asked, lang, view or shown) else PRIVATE


def wrote_of(twin, asked: str, lang: str, shown: Sequence[Passage]) -> bool:
    """Whether the first passage shown, whose words an answer would quote, is on what a
    question asks (`answerable.on_subject`, in either language): a question the
    private-question classifier flags that it is on asks what the author made public ("Ti
    seguo da anni: su quale social ti trovo?" to an author who wrote of closing her
    accounts), though it names something no passage holds, or shares words with the passage
    but not enough of them for `answerable.published`, or sits under `near_one`'s bar. It is
    then answered in the author's own words (`private`). A question that merely shares a
    word with a passage is not on it ("Sei tifosa del Bologna? Vai mai allo stadio
    Dall'Ara?" and a post on Bolognese words), nor one with no less common word, whose
    common words any passage may hold ("Hai figli? Quanti anni hanno?")."""
    if not answerable.topic_terms(asked, lang):
        return False
    alike = twin.subjects.alike if twin.subjects is not None else None
    return bool(shown) and answerable.on_subject(asked, lang, shown[0], author(twin.settings), alike)


def written_in(store, terms: Sequence[str]) -> list[str]:
    """`terms` when they are all years and the author dated a writing in each; else []."""
    if not terms or not all(re.fullmatch(r"(?:19|20)\d\d", t) for t in terms):
        return []
    years = {d[:4] for d in store.document_dates().values() if d}
    return list(terms) if all(t in years for t in terms) else []


def unwritten(store, terms: Sequence[str], shown: Sequence[Passage], point: Iterable[str] = ()) -> tuple[str, ...]:
    """Of `terms` (names no passage shown holds), those no other passage of the writings
    shown holds either, nor a writing of `point` (`on_point`): a writing that names the
    thing in another of its passages talks about it ("Appennino" in the part of the post on
    electric cars not shown), and so does an older writing on the point the answer leads
    with (the 2015 post on electric cars, which names the Apennines, beside the 2021 one
    on the car she bought, which the answer to "ho paura di restare a secco
    sull'Appennino, tu che ne dici?" leads with). Figures and years stay: they are asked
    of the passages themselves."""
    sources = {p.chunk.source for p in shown} | set(point)
    names = [t for t in terms if not any(c.isdigit() for c in t)]
    if not names:
        return tuple(terms)
    texts = [text for source, text in _looked_up(store, names) if source in sources]
    return tuple(t for t in terms if t not in names or not any(answerable.held_as_written(t, x) for x in texts))


def on_point(twin, lead: Sequence[Passage]) -> list[str]:
    """The writings on the point of the first of `lead`, the passage an answer leads with:
    those linked to its writing (`Subjects.neighbours`: its nearest, and those whose nearest
    it is). [] without the cross-lingual encoder or a passage."""
    if twin.subjects is None or not lead:
        return []
    return twin.subjects.neighbours(lead[0].chunk.source)


Names = tuple[tuple[str, ...], tuple[str, ...]]  # `unwritten_names`: not in the writings shown, nor on the point


def unwritten_names(twin, asked: str, lang: str, shown: Sequence[Passage], aside: Sequence[str] = (),
                    view: Sequence[Passage] = ()) -> Names:
    """The question's names and figures that no writing shown holds (`missing_terms`, less
    what `unwritten` finds in the writings shown; `aside`: names set aside, not asked), and
    those of them no writing on the point of the passage the answer leads with holds either
    (`on_point`; `view`, as for `private`): the names it is refused for. A writing on the lead's
    point counts only when the question is on that point, near the lead passage by the
    cross-lingual encoder (`near_one`, QUOTE_NEAR): a name the author writes of everywhere
    ("Bologna", where she lives and teaches) is held on the point of whatever passage a
    question on what she never wrote about finds first, at 0.19 to 0.27 of it."""
    missing = answerable.missing_terms(asked, lang, shown, author(twin.settings) + tuple(aside))
    if not missing.reason:
        return (), ()
    left = unwritten(twin.store, missing.terms, shown)
    if not left:
        return (), ()
    lead = (view or shown)[:1]
    return left, unwritten(twin.store, left, shown, on_point(twin, lead) if near_one(twin, asked, lead) else ())


def named_on_point(twin, asked: str, lang: str, shown: Sequence[Passage], aside: Sequence[str] = (),
                   view: Sequence[Passage] = (), names: Names | None = None) -> bool:
    """Whether the names of the question that no writing shown holds are all held by a writing
    on the point of the passage the answer leads with (`unwritten_names`): she wrote of them,
    in an older writing the model does not read. The answer is then the lead writing's own
    words, not the model's: asked of a name its passages lack, the model would say of it what
    she never wrote there, or what the older writing said of it, as her view now.
    `names`: as for `unanswerable`."""
    left, still = names or unwritten_names(twin, asked, lang, shown, aside, view)
    return bool(left) and not still


def elsewhere(store, terms: Sequence[str]) -> tuple[str, ...]:
    """Those of `terms` that some passage of the writings holds (`written`)."""
    return tuple(t for t in terms if written(store, [t]))


def written(store, terms: Sequence[str]) -> bool:
    """Whether some passage of the writings, beyond those near the question, holds all of
    `terms`, each as a word (a lexical search of the whole index): "I wrote about Rome" is
    never said from a passage on novels, "romanzi"."""
    return any(all(answerable.held_as_written(t, text) for t in terms) for _, text in _looked_up(store, terms))


def _looked_up(store, terms: Sequence[str]) -> list[tuple[str, str]]:
    """(source, text as written) of the passages of the whole index a lexical search for
    `terms` finds first."""
    found = store.search_lexical(language.query_terms(" ".join(terms), tuple(store.languages())), WRITTEN_LOOKUP)
    return [(c.source, c.context) for c in store.chunks([i for i, _ in found]).values()]


def near_found(twin, asked: str, lang: str, ev: Evidence, passages: Sequence[Passage]) -> Evidence:
    """`ev`, counted enough when it is not and the cross-lingual encoder finds the question
    near one of the passages found in another language than the question's (`near_one`): e5
    scores a question under the relevance threshold against writings in the other language
    more often than within one ("Do you still give homework?" to a blog on "compiti" in
    Italian: 0.83 against a threshold of 0.84), while the cross-lingual encoder reads the two
    languages alike. Within one language e5 decides alone (SQuAD-it's questions whose own
    article is out of reach stay refused)."""
    other = [p for p in passages if p.chunk.language not in (lang, None)]
    if ev.enough or not other:
        return ev
    return replace(ev, across=near_one(twin, asked, other))


def near_one(twin, asked: str, passages: Sequence[Passage], floor: float = QUOTE_NEAR) -> bool:
    """Whether the cross-lingual encoder finds the question near one of `passages`
    (`floor`, QUOTE_NEAR), in either language: a private question ("Tu cosa guidi oggi?") near a
    passage on it (an English post on the electric car she bought) asks what the author wrote
    of in public, which the words of `published` miss across languages and in other words.
    The private questions refused on bench/time and the ddbit sets that the writings never
    touch sit under 0.25; one beside a post can pass ("Hai figli? Quanti anni hanno…", 0.36 of
    a post on summer reading for her students), and is then answered from what the post says
    or not at all (the grounding check). False without the encoder."""
    return bool(twin.subjects is not None and passages and near_ids(twin, asked, passages, floor))


def very_near(twin, asked: str, passages: Sequence[Passage]) -> bool:
    """Whether the cross-lingual encoder finds the question very near one of `passages`:
    NEAR_MARGIN past QUOTE_NEAR, as `Evidence.near` is past the relevance threshold. A reader
    asks in other words than the writings' ("Prof, lei i romanzi li legge sul Kindle o
    preferisce il cartaceo?", 0.39 of the post on reading on an e-reader, whose words it
    hardly shares), which e5 scores under its own margin. Of bench/time's 36 questions on
    what the author never wrote about refused for a name, one sits over it (0.41, a saga of
    novels to a teacher who wrote on summer reading; the grounding check still refuses it);
    at QUOTE_NEAR itself five did, and stale current views came with them. False
    without the encoder."""
    return near_one(twin, asked, passages, QUOTE_NEAR + answerable.NEAR_MARGIN)


def near_ids(twin, asked: str, passages: Sequence[Passage], floor: float = QUOTE_NEAR) -> set[int]:
    """The ids of `passages` the cross-lingual encoder finds the question near (`floor`)."""
    cosines = twin.subjects.cosines(asked, [p.id for p in passages])
    return {i for i, c in cosines.items() if c >= floor}


def lead(twin, asked: str, shown: Sequence[Passage]) -> list[Passage]:
    """For a question about now, the passages shown with the writing the question is on first
    (`subjects.Subjects.lead`, by the cross-lingual encoder), before the time ordering builds
    the point on it; as they are without the encoder."""
    found = twin.subjects
    if found is None or not shown:
        return list(shown)
    source = found.lead([p.chunk.source for p in shown], found.question(when.timeless(asked)), shown[0].id)
    dates = twin.store.document_dates() if source else {}
    if source and not any((dates.get(o) or "") > (dates.get(source) or "9999") for o in found.neighbours(source)):
        source = None  # no newer writing on its subject: no later view to bring
    return when.led(shown, source)


def apart(twin, asked: str, shown: Sequence[Passage]) -> frozenset[str]:
    """For a question about now, the writings shown that are off its subject: newer than the
    first passage's, not linked to the writing of all the question is nearest (by the
    cross-lingual encoder, the mean of each writing's chunks: `Subjects.subject`,
    `Subjects.linked`), and whose nearest chunk is NEAR_MARGIN farther from the question than
    that writing's (`Subjects.reach`: a long writing on many things, far by its mean, may
    hold a passage on the question). None when the question is not near that writing either
    (under QUOTE_NEAR: its nearest of all is then no subject). A word the question shares with
    a newer post on another subject joins it to the point, and the time ordering would put it
    first as the current view."""
    found = twin.subjects
    if found is None or not shown:
        return frozenset()
    question = found.question(when.timeless(asked))
    subject = found.subject(question)
    if subject is None or found.nearness(subject, question) < QUOTE_NEAR:  # near no writing: no subject
        return frozenset()
    first, then = shown[0].chunk.source, when.year(shown[0]) or 0
    far = found.reach(subject, question) - answerable.NEAR_MARGIN
    return frozenset(p.chunk.source for p in shown[1:]
                     if p.chunk.source not in (first, subject) and (when.year(p) or 0) > then
                     and not found.linked(subject, p.chunk.source) and found.reach(p.chunk.source, question) < far)


def shown(found: Sequence[Passage], n: int, limit: float) -> list[Passage]:
    """The passages the model sees: the first `n` found, less those the dense search alone
    found far under the threshold; the first one when none is left."""
    kept = [p for p in found[:n] if p.lexical is not None or p.dense is None or p.dense >= limit - NEAREST_MARGIN]
    return kept or list(found[:1])


def nearest_sentence(texts: dict[str, str], lang: str, question: str, found: Sequence[Passage],
                      limit: float) -> str:
    """" I did write about related things: …" when there are some, else ""."""
    titles = near(lang, question, found, limit)
    return " " + texts["nearest"].format(titles=quoted(titles, lang)) if titles else ""


def near(lang: str, question: str, found: Sequence[Passage], limit: float) -> list[str]:
    """Titles of documents near the question: within NEAREST_MARGIN under the threshold and
    holding half of the question's words (two at least), three at most."""
    asked = set(language.terms(question, lang))
    titles: list[str] = []
    for p in found:
        if (p.dense or 0.0) < limit - NEAREST_MARGIN or p.chunk.language != lang or not asked:
            continue
        shared = asked & set(language.terms(p.chunk.context, lang))
        if len(shared) >= 2 and len(shared) / len(asked) >= 1 / 2 and p.chunk.title not in titles:
            titles.append(p.chunk.title)
    return titles[:3]


def abstention(texts: dict[str, str], lang: str, question: str, found: Sequence[Passage], limit: float) -> str:
    """'I never wrote about that', naming the nearest things the author did write about when
    there are some (see `near`)."""
    titles = near(lang, question, found, limit)
    return texts["abstain_nearest"].format(titles=quoted(titles, lang)) if titles else texts["abstain"]
