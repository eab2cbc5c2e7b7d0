"""The answer pipeline: the one path from a question to the twin's answer, for every channel.

    question (+ conversation)
      -> an order to the twin? (guard: declined by rule)   -> a task, a private question? (policy)
      -> the parts the writings cover (policy)             -> search, a follow-up condensed (followup)
      -> enough evidence? no: "I never wrote about that", naming the nearest writings (policy)
      -> names, years, private facts the passages can't answer? (policy)
      -> prompt: rules, voice, passages, question, fitted to the window (prompt, voice)
      -> drafts streamed, [n] markers checked (citations), each sentence checked (grounding)
      -> the answer with its citations, or the author's own words quoted (standin), or a refusal

It yields events: `Token`s as the answer streams, then one `Done` with the `Answer`, which
says why when the twin did not answer (`reason`: declined, empty_index, task, not_covered,
after_writings, personal, missing_terms, unsupported; `quoted`, `latest`, `then` and `cut` on
answers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import guard, language, retrieve
from ..documents import Answer, Passage, Turn
from ..errors import ErreError
from . import answerable, asking, grounding, policy, standin, when, writings
from .citations import NOW, THEN, Markers, attribute, checked, citation, quote, stated, strip_markers, through_time
from .clock import Clock
from .events import Done, Event, Reading, Token
from .followup import condense
from .policy import Evidence
from .prompt import NoRoom, fit
from .texts import not_covered, prompts, quoted, spoken_date
from .voice import EXEMPLAR_POOL, voices

ALTERNATIVE_TEMPERATURE = 0.8  # for the second and later drafts of a best-of-n answer


@dataclass(frozen=True)
class Found:
    """The search for a question (a follow-up condensed), and how well it covers it."""

    retrieved: retrieve.Retrieved
    evidence: Evidence

    @property
    def query(self) -> str:
        return self.retrieved.query

    @property
    def passages(self) -> list[Passage]:
        return self.retrieved.passages

    @property
    def pool(self) -> list[Passage]:
        """The deeper pool the examples of form come from."""
        return self.retrieved.pool


@dataclass
class Draft:
    text: str
    cited: list[int]  # passage numbers, in the order the text cites them
    score: float | None  # the style model's: probability the author wrote it
    cut: int  # sentences the grounding check cut

    @property
    def spoken(self) -> bool:
        """Something the passages support is left to say."""
        return bool(language.words(self.text)) and (self.cut == 0 or grounding.enough(self.text))


class Reply:
    """An answer being written: iterate for the text as it streams; `answer` holds the
    result once the iteration is over (`events()` gives both as typed events)."""

    def __init__(self, twin, question: str, history: Sequence[Turn] = (), *, voice: bool = True,
                 candidates: int = 1):
        self.twin = twin
        self.voice = voice  # False: the same evidence with a neutral assistant (for comparisons)
        # more than one: that many answers are written with the voice and the one the style
        # model scores highest is kept; nothing streams until it is chosen
        self.candidates = max(1, candidates) if voice and twin.verifier is not None else 1
        self.question = " ".join(question.split())
        self.asked = self.question  # what the model answers: the parts the writings cover
        self.uncovered: tuple[str, ...] = ()  # the parts they do not
        self.elsewhere: tuple[str, ...] = ()  # names set aside that the writings hold on another point
        self.unnamed: tuple[str, ...] = ()  # names set aside that no writing holds
        self.own_words = False  # a private question a writing is on: her words only (policy.private)
        self.aside: tuple[str, ...] = ()  # names no writing holds, in a question on what the writings do
        self.task = False  # read as a task for an assistant: declined unless the latest writing answers it
        self.cut: list[list[tuple[str, str]]] = []  # per draft, the sentences the grounding check cut, and why
        self.history = list(history)
        self.answer: Answer | None = None
        self.passages: list[Passage] = []  # what the model was shown, numbered from 1
        self.evidence: Evidence | None = None
        self.when = when.When(when.OFF)  # the time the question asks about (policy.when_asked)
        if not self.question:
            raise ErreError("The question is empty.")
        if len(self.question) > policy.MAX_QUESTION_CHARS:
            raise ErreError(f"The question is too long ({len(self.question):,} characters; at most "
                            f"{policy.MAX_QUESTION_CHARS:,}). Ask it in fewer words.")

    def __iter__(self) -> Iterator[str]:
        for event in self.events():
            if isinstance(event, Token):
                yield event.text

    def events(self) -> Iterator[Event]:
        """The answer as typed events: what the model reads (`Reading`, when a model writes
        it), the text as it streams (`Token`), the answer (`Done`, also kept in `answer`)."""
        for event in self._events():
            if isinstance(event, Done):
                self.answer = event.answer
            yield event

    def _events(self) -> Iterator[Event]:
        twin, s = self.twin, self.twin.settings
        clock = Clock()
        langs = twin.store.languages()
        detected = language.detect_query(self.question, tuple(langs))  # the only detection
        lang = next(iter(langs)) if detected == "und" and langs else detected
        texts = prompts(lang)
        declined = guard.check(self.question)
        if declined:  # an order to the twin, not a question: declined by rule
            yield from self._abstain(texts[f"decline_{declined}"], lang, clock, reason="declined")
            return
        if not langs:  # nothing ingested: nothing to answer from
            yield from self._abstain(texts["no_index"], lang, clock, reason="empty_index")
            return
        with clock.checking():  # the checks' own time (the question's vector included)
            kinds = policy.kinds(twin, self.question, lang) if s.chat_checks else policy.unchecked(twin, self.question)
        # a task for an assistant (write, translate, play a role): declined in the author's voice; a
        # question for the latest writing is answered by its words when found (policy.asks_latest)
        self.task = kinds.task
        if self.task and not policy.asks_latest(self.question, kinds):
            yield from self._decline_task(lang, clock)
            return
        limit = policy.threshold(s, twin.embedder.name)
        if s.chat_checks and not self.history:
            with clock.checking():
                self.asked, self.uncovered, kinds = policy.covered_parts(twin, self.question, lang, limit, kinds)
        found = self._find(detected, lang, limit, clock, kinds.vector if self.asked == self.question else None)
        self.evidence = found.evidence
        asked_when = self.when = policy.when_asked(self.question, kinds.past) if s.chat_time else when.When(when.OFF)
        if not found.evidence.enough:
            yield from self._not_covered(lang, clock, found, limit, kinds, asked_when.kind == when.LATEST)
            return
        shown = policy.shown(found.passages, s.chat_passages, limit)
        # a latest writing that is not found is answered as a question about now
        ordering = when.When(when.NOW) if asked_when.kind == when.LATEST else asked_when
        shown = policy.lead(twin, self.asked, shown) if ordering.kind == when.NOW else shown  # its writing first
        pool = policy.shown(found.pool, len(found.pool), limit)
        args = (ordering, shown, pool, s.chat_passages, answerable.topic_terms(self.question, lang),
                *writings.related(twin, self.asked, self.question, ordering, shown, lang, pool))
        translated = self._translated(lang)
        apart = policy.apart(twin, self.asked, shown) if ordering.kind == when.NOW else frozenset()
        shown = when.arrange(*args, translated=translated, apart=apart)
        # for a question about now the model reads the point's newest writing, not the older ones, for one
        # about the beginning its oldest, for a time gone by the writings of then, not a later one telling
        # of them (whether the writings answer it is judged on all)
        view = (when.arrange(*args, newest=True, translated=translated, apart=apart)
                if ordering.kind in (when.NOW, when.EARLY, when.PAST) else shown)
        refusal = None
        if s.chat_checks:
            with clock.checking():
                refusal = self._check(lang, shown, kinds, found, view, limit)
        clock.timings["checks_ms"] = round(clock.checks * 1000, 1)
        if refusal is not None:
            yield from self._abstain(refusal[1], lang, clock, found.query, reason=refusal[0])
            return
        older = when.left_older(shown, view) if ordering.kind == when.NOW else []  # the point's older writings
        shown = view
        told = self._aside(lang)  # the names set aside: said after the answer, what the model is told
        if (newest := writings.newest(twin, self.asked, lang, limit) if asked_when.kind == when.LATEST else None):
            yield from self._latest(newest, lang, clock, found.query)  # the newest writing on the subject, quoted
            return
        # the author's own words, no model run; so for a message read as a task whose question for
        # the latest writing (policy.asks_latest) found no writing by its subject's words: the
        # writings answer it (the checks passed) and the point's newest writing is first; the
        # model is never handed a message read as a task
        if s.chat_answer == "quote" or self.own_words or self.task:
            self.passages = shown
            yield from self._quoted(lang, clock, found.query)
            return
        if then := self._then(ordering, shown, lambda: when.arrange(*args, translated=translated, point_only=True),
                              lambda: older or writings.older(twin, self.question, lang, view, found.passages)):
            yield from self._through_time(then, lang, clock, found, ordering.kind)  # her words of then, no model
            return
        note = (when.note(ordering, shown, texts) + told).strip()
        yield from self._write(lang, clock, found, shown, limit, note, bool(older))

    @property
    def missing(self) -> tuple[str, ...]:
        """What the question asked that the answer does not: the parts no passage answers, the
        names no writing holds, and those held on another point only."""
        return self.uncovered + self.unnamed + self.elsewhere

    def _aside(self, lang: str) -> str:
        """The names set aside (`policy.set_aside`), as the question writes them, said plainly
        after the answer like the parts not covered: named in no writing (`unnamed`), or only
        on another point (`elsewhere`). Returns what the model is told of them: to say
        nothing of them (the check cuts what it says)."""
        texts, far = prompts(lang), policy.elsewhere(self.twin.store, self.aside)
        never = self.unnamed = answerable.named(self.asked, tuple(t for t in self.aside if t not in far))
        self.elsewhere = answerable.named(self.asked, far) if far else ()
        return "".join("\n\n" + texts[key].format(terms=quoted(terms, lang))
                       for key, terms in (("aside", never), ("aside_elsewhere", self.elsewhere)) if terms)

    def _check(self, lang: str, shown: list[Passage], kinds: policy.Kinds, found: Found,
               view: list[Passage], limit: float) -> tuple[str, str] | None:
        """The checks before the model: the names set aside (policy.set_aside), whether the
        question is answered in the author's own words (a private one, policy.private; one whose
        names only an older writing on the point holds, policy.named_on_point; from `view`, what
        the model would read), and the refusal, if any (policy.unanswerable: its reason and its
        text, which names the nearest writings but for a private question)."""
        args = (self.twin, self.asked, lang, shown, kinds, found.evidence)
        self.aside = policy.set_aside(self.twin, self.asked, lang, shown, found.evidence, view)
        names = policy.unwritten_names(self.twin, self.asked, lang, shown, self.aside, view)  # looked up once
        self.own_words = (policy.private(*args, self.question, view) == policy.OWN_WORDS
                          or policy.named_on_point(self.twin, self.asked, lang, shown, names=names))
        refusal = policy.unanswerable(*args, self.aside, self.question, view, names)
        if refusal is None or refusal[0] == "personal":
            return refusal
        return refusal[0], refusal[1] + policy.nearest_sentence(prompts(lang), lang, found.query, found.passages, limit)

    def _write(self, lang: str, clock: Clock, found: Found, shown: list[Passage], limit: float,
               note: str = "", left_older: bool = False) -> Iterator[Event]:
        """The model writes the answer from the passages shown; what survives the checks is
        spoken, cited; otherwise the author's own words or a refusal. `left_older`: for a
        question about now, the passages shown left out the point's older writings."""
        twin, texts = self.twin, prompts(lang)
        # the voice gives way when the window is small: examples first, then the card
        options = voices(twin, lang, self.asked, shown, found.pool) if self.voice else [None]
        for i, voice in enumerate(options):
            try:
                messages, self.passages = fit(twin.model, twin.settings, self.asked, lang, shown,
                                              self.history, style=voice, note=note)
                break
            except NoRoom:
                if i == len(options) - 1:
                    raise
        clock.mark("reading_ms")
        yield Reading(tuple(citation(n, p) for n, p in enumerate(self.passages, 1)), lang)
        drafts = yield from self._drafts(messages, lang, clock)
        # grounding first, style second: the draft with most of its own sentences kept
        best = max(drafts, key=lambda d: (d.spoken, -d.cut, -1.0 if d.score is None else d.score))
        kind = self.when.kind if twin.settings.chat_time else None
        now = kind == when.NOW
        # a time named in words, or a time gone by the verb names asking what the author thought
        # then or yes or no: the writing of then is first (not a detail of an occasion, "What
        # temperature did you set…?")
        timed = twin.settings.chat_time and (when.timed(self.question)
                                             or kind == when.PAST and asking.opinion(self.asked))
        cuts = [c for cs in self.cut for c in cs]
        if not best.spoken and not best.text and standin.stands_in(
                twin, self.asked, lang, cuts, self.passages, self.aside, timed=timed, now=now, left_older=left_older):
            yield from self._quoted(lang, clock, found.query)
            return
        if not best.spoken:  # nothing the passages support survived the check
            # what streamed was checked sentence by sentence: it stays, the refusal follows it
            clock.mark("first_token_ms")
            refusal = texts["abstain_unsupported"] + policy.nearest_sentence(texts, lang, found.query,
                                                                              found.passages, limit)
            if self.candidates == 1:
                yield Token(("\n\n" if best.text else "") + refusal)
            text = (best.text + "\n\n" + refusal).strip() if best.text else refusal
            yield Done(Answer(text=text, abstained=True, language=lang, timings=clock.close(), query=found.query,
                              model=twin.model.name, reason="unsupported"))
            return
        yield from self._spoken(best, drafts, lang, clock, found.query, limit,
                                twin.settings.chat_time and twin.settings.chat_checks
                                and kind in (when.NOW, when.LATEST))

    def _drafts(self, messages, lang: str, clock: Clock):  # -> Generator[Event, None, list[Draft]]
        """`candidates` drafts, each checked as it streams (the first one streams out when it
        is the only one); each with the style model's score."""
        twin, s = self.twin, self.twin.settings
        verifier = twin.verifier
        drafts: list[Draft] = []
        for i in range(self.candidates):
            markers = Markers(len(self.passages))
            pieces: list[str] = []
            # the first draft as configured, the others freer, so that they differ
            temperature = s.llm_temperature if i == 0 else max(s.llm_temperature, ALTERNATIVE_TEMPERATURE)
            stream = twin.model.stream(messages, max_tokens=s.llm_max_tokens, temperature=temperature)
            # a name set aside is no evidence: a sentence that names it is cut
            sentences_ = grounding.Sentences(answerable.without(self.asked, self.aside), lang, self.passages,
                                             policy.author(s), enabled=s.chat_checks, aside=self.aside)
            for piece in sentences_.feed(checked(stream, markers)):
                if piece:
                    clock.mark("first_token_ms")
                    pieces.append(piece)
                    if self.candidates == 1:
                        yield Token(piece)
            if hasattr(stream, "close"):  # a draft cut short (a loop): the model stops and lets go now
                stream.close()
            self.cut.append([(v.problem or "", v.text) for v in sentences_.cut])
            clock.checks += sentences_.seconds
            text = "".join(pieces).strip()
            score = float(verifier.score([strip_markers(text)])[0]) if verifier and text else None
            marked = dict.fromkeys(int(n) for n in re.findall(r"\[(\d{1,3})\]", text))  # after the check's moves
            drafts.append(Draft(text, [n for n in marked if 1 <= n <= len(self.passages)], score,
                                len(sentences_.cut)))
        return drafts

    def _spoken(self, draft: Draft, drafts: list[Draft], lang: str, clock: Clock, query: str,
                limit: float, now: bool = False) -> Iterator[Event]:
        """The chosen draft, the uncovered parts said plainly, its citations. `now`: a question
        about now (or the latest writing)."""
        twin, texts = self.twin, prompts(lang)
        text, cited = draft.text, draft.cited
        # the parts the writings do not cover, said plainly after the answer (no passage is
        # attributed to that sentence)
        tail = not_covered(lang, self.uncovered, self.elsewhere, self.unnamed)
        tail = " " + tail if tail else ""
        if tail and self.candidates == 1:
            yield Token(tail)
        if self.candidates > 1:
            clock.timings["first_token_ms"] = clock.ms()
            yield Token(text.rstrip() + tail if tail else text)
        clock.mark("first_token_ms")
        support: dict[int, tuple[int, int]] = {}
        if not cited and limit > 0:
            text, cited, support = attribute(text, self.passages, twin.embedder, twin.store, limit, lang)
        if tail:
            text = text.rstrip() + tail
        if not cited:  # nothing attributable: the passages shown are the sources
            cited = list(range(1, min(3, len(self.passages)) + 1))
        # a question about now answered from none of the point's newest writing, first, near
        # the question: the author's words of that writing follow (standin.strayed)
        if now and standin.strayed(twin, self.asked, self.passages, cited):
            words, span = quote(self.passages, lang, texts, avoid=when.retrospective, frame="quote_point")
            yield Token("\n\n" + words)  # after the draft, streamed or whole
            text, cited = text.rstrip() + "\n\n" + words, [*cited, 1]
            if span is not None:
                support[1] = span
        timings = clock.close()
        style: dict | None = None
        if draft.score is not None:
            style = {"score": round(draft.score, 4)}
            if len(drafts) > 1:
                style["candidates"] = [None if d.score is None else round(d.score, 4) for d in drafts]
        yield Done(Answer(text=text, abstained=False, language=lang,
                          citations=tuple(citation(n, self.passages[n - 1], support.get(n)) for n in cited),
                          timings=timings, query=query, model=twin.model.name, style=style,
                          reason="cut" if draft.cut else None, uncovered=self.missing))

    def _translated(self, lang: str) -> Callable[[Passage], set[str]] | None:
        """The question's topic words a passage in the other language holds translated
        (answerable.translated_terms), once per passage; None without the cross-lingual encoder."""
        subjects = self.twin.subjects
        if subjects is None:
            return None
        seen: dict[int, set[str]] = {}

        def translated(p: Passage) -> set[str]:
            if p.id not in seen:
                seen[p.id] = answerable.translated_terms(self.question, lang, p, subjects.alike)
            return seen[p.id]
        return translated

    def _not_covered(self, lang: str, clock: Clock, found: Found, limit: float, kinds: policy.Kinds,
                     latest: bool) -> Iterator[Event]:
        """The question scores under the relevance threshold: the twin says it did not write
        about it. But the latest writing on a subject (`latest`) is found by the subject's
        words, or their translation, alone (`writings.newest`): the whole question, in the other
        language, may score under the threshold although a writing holds its subject."""
        newest = writings.newest(self.twin, self.asked, lang, limit) if latest else None
        refusal = None
        if newest is not None and self.twin.settings.chat_checks:  # the question's checks, against that writing
            refusal = policy.unanswerable(self.twin, self.asked, lang, [newest], kinds, found.evidence,
                                          question=self.question)
        if (newest is None and not self.task) or refusal is not None:
            text = policy.abstention(prompts(lang), lang, found.query, found.passages, limit)
            yield from self._abstain(text, lang, clock, found.query, reason="not_covered")
            return
        yield from self._latest(newest, lang, clock, found.query)  # declined as a task when none is found

    def _quoted(self, lang: str, clock: Clock, query: str, latest: bool = False) -> Iterator[Event]:
        """Answer with the author's own sentence from the first passage, quoted and cited,
        then the parts of the question the writings don't cover. `latest`: the passage is
        the newest writing on the question's subject, named with its date first."""
        texts = prompts(lang)
        intro = ""
        if latest:
            c = self.passages[0].chunk
            intro = texts["latest"].format(title=c.title or Path(c.source).stem, date=spoken_date(c.date or "", lang))
        now = self.twin.settings.chat_time and self.when.kind in (when.NOW, when.LATEST)
        text, span = quote(self.passages, lang, texts, intro, avoid=when.retrospective if now else None)
        if tail := self._tail(lang, text):
            text += " " + tail
        clock.mark("first_token_ms")
        yield Token(text)
        yield Done(Answer(text=text, abstained=False, language=lang, timings=clock.close(), query=query,
                          citations=(citation(1, self.passages[0], span),),
                          model="" if self.twin.settings.chat_answer == "quote" or latest or self.own_words
                          else self.twin.model.name,
                          reason="latest" if latest else "quoted", uncovered=self.missing))

    def _tail(self, lang: str, said: str) -> str:
        """The parts of the question the writings don't cover, said after the author's quoted
        words (`said`), less the names those words hold: a name she says there is neither
        "never named" nor named "elsewhere" ("…restare a secco sui tornanti dell'Appennino?",
        answered by her 2015 sentence "Io salgo spesso sull'Appennino…"). Those names leave
        `unnamed` and `elsewhere` too, so the answer's `uncovered` says the same. An acronym
        counts only in capitals, as in the writings (`answerable.held_as_written`)."""
        self.unnamed, self.elsewhere = (tuple(t for t in names if not answerable.held_as_written(t, said))
                                        for names in (self.unnamed, self.elsewhere))
        return not_covered(lang, self.uncovered, self.elsewhere, self.unnamed)

    def _then(self, ordering: when.When, shown: list[Passage], course: Callable[[], list[Passage]],
              earlier: Callable[[], Sequence[Passage]] = lambda: ()) -> list[Passage]:
        """The writings that answer a question about a time gone by in the author's own words
        (`chat.then` = quote): for a year, the beginning, or what the author thought then (a
        verb of the past asking an opinion), the writing of then, first in `shown`; for how a
        view changed, the first passage of the oldest writing on the point and of the newest
        (`when.course` of `course()`, the point's passages oldest first; the first passage shown
        alone when the point holds one date). Asked of the 1.5B model, those answers gave the
        author views and feelings her writings never held (docs/time.md, fiftieth version); her
        own words of then cannot. So for a question about now on a point she wrote of years
        apart (`chat.now` = quote; `earlier()`: the point's older passages, oldest first, that the
        evidence left out, `when.left_older`, or else those the search found on the point of the
        newest, `writings.older`): the newest writing first in `shown`, then the oldest, as a
        reader is told what she thinks now and what she thought before. [] for any other
        question."""
        s = self.twin.settings
        if not (s.chat_time and shown):
            return []
        if ordering.kind == when.NOW:
            older = earlier() if s.chat_now == "quote" else ()
            return [shown[0], older[0]] if older else []
        if s.chat_then != "quote":
            return []
        if ordering.kind == when.CHANGE:
            return when.course(course()) or shown[:1]
        if ordering.kind in (when.YEARS, when.EARLY) or ordering.kind == when.PAST and asking.opinion(self.asked):
            return shown[:1]
        return []

    def _through_time(self, passages: list[Passage], lang: str, clock: Clock, found: Found,
                      kind: str = when.PAST) -> Iterator[Event]:
        """The author's own sentences from `passages`, each after the year it was written, cited
        (`citations.through_time`, framed as now and before for a question about now, `kind`),
        then the parts of the question the writings don't cover. The sentences: for a question
        about now, the writing's nearest the question by the cross-lingual encoder, in any of
        its passages, and beside it that passage's next nearest (`writings.stance`); otherwise
        the passage's by the search's own vector of the question, without its years (`stated`),
        and beside it the passage's nearest by the encoder (`writings.beside`)."""
        query, vector, asked = found.query, found.retrieved.vector, when.timeless(when.undated(found.query))
        if kind == when.NOW and self.twin.subjects is not None:
            passages, at, also = map(list, zip(*(writings.stance(self.twin, asked, p) for p in passages)))
            also[1:] = [None] * (len(also) - 1)  # two sentences of the newest writing, one of the older
        else:
            also = [writings.beside(self.twin, asked, p) for p in passages]
            if vector is None:  # a lexical search: the question's vector, as asked
                vector = self.twin.embedder.queries([query])[0]
            units = self.twin.store.vectors([p.id for p in passages])
            at = [stated(p, [tuple(sp) for sp in v.spans], list(v.units @ vector)) if (v := units.get(p.id)) else None
                  for p in passages]
        self.passages = passages
        text, spans = through_time(passages, lang, prompts(lang), at, NOW if kind == when.NOW else THEN, also)
        if tail := self._tail(lang, text):
            text += " " + tail
        clock.mark("first_token_ms")
        yield Token(text)
        yield Done(Answer(text=text, abstained=False, language=lang, timings=clock.close(), query=query,
                          citations=tuple(citation(n, p, span) for n, (p, span) in enumerate(zip(passages, spans), 1)),
                          model="", reason="then", uncovered=self.missing))

    def _find(self, detected: str, lang: str, limit: float, clock: Clock, vector=None) -> Found:
        """The search for the question (a follow-up condensed with the conversation first).
        `detected`: the question's language as detected ("und" when unsure), `lang`: the
        language of the answer; `vector`: the question's own vector, when embedded already."""
        twin, s = self.twin, self.twin.settings
        k = max(s.search_k, s.chat_passages)
        # the time a question asks about orders the evidence: its words are not searched for in
        # the passages' words (nor read by the cross-lingual encoder); its years only there (a
        # passage's text holds no date: dates.date_words), not by meaning; e5 reads the rest as asked
        asked = when.timeless(self.asked) if s.chat_time else self.asked
        near = self.asked  # what the cross-lingual encoder reads: the question without its years, as e5
        if s.chat_time and when.asked(self.asked).kind == when.YEARS:
            near = when.undated(self.asked)
            vector = twin.embedder.queries([near])[0]
        elif asked != self.asked and vector is None:
            vector = twin.embedder.queries([self.asked])[0]

        def search(q: str) -> Found:
            # one search serves the evidence (near across languages: `policy.near_found`) and the voice's examples
            found = retrieve.find(twin.store, twin.embedder, q, k, pool=EXEMPLAR_POOL, lang=detected,
                                  candidates=s.search_candidates, query_vector=vector if q == asked else None,
                                  second=twin.subjects if s.search_cross else None,
                                  weights=retrieve.Weights(second=s.search_cross, translated=s.search_translated))
            ev = policy.evidence(q, lang, judged := found.judged or found.passages, limit)
            return Found(found, policy.near_found(twin, q if self.history else near, lang, ev, judged))

        previous = next((t.content for t in reversed(self.history) if t.role == "user"), None)
        if previous is None:
            result = search(asked)
            clock.timings["retrieve_ms"] = clock.ms()
            return result
        joined = f"{previous} {self.question}"
        # a rewrite the model could not make: the previous question gives the subject
        query = condense(twin.model, self.question, self.history) or joined
        clock.timings["condense_ms"] = clock.ms()
        result = search(query)
        if not result.evidence.enough and query != joined:
            # a follow-up whose rewrite lost the subject: try with the previous question
            again = search(joined)
            if again.evidence.relevance > result.evidence.relevance:
                result = again
        clock.timings["retrieve_ms"] = clock.ms()
        return result

    def _latest(self, newest: Passage | None, lang: str, clock: Clock, query: str) -> Iterator[Event]:
        """The latest writing on the subject, named and quoted without the model; a message read
        as a task that asked for it (policy.asks_latest) is declined when none is found and the
        writings do not cover it (`_not_covered`)."""
        if newest is None:  # read as a task, and no latest writing answers it
            yield from self._decline_task(lang, clock)
            return
        self.passages = [newest]
        yield from self._quoted(lang, clock, query, latest=True)

    def _decline_task(self, lang: str, clock: Clock) -> Iterator[Event]:
        yield from self._abstain(prompts(lang)["decline_task"], lang, clock, reason="task")

    def _abstain(self, text: str, lang: str, clock: Clock, query: str = "", *, reason: str) -> Iterator[Event]:
        if self.evidence is None:  # decided before any search
            self.evidence = policy.NONE
        clock.mark("retrieve_ms")
        clock.timings["first_token_ms"] = clock.ms()
        yield Token(text)
        clock.timings["total_ms"] = clock.ms()
        yield Done(Answer(text=text, abstained=True, language=lang, timings=clock.timings,
                          query=query or self.question, reason=reason))


def reply(twin, question: str, history: Sequence[Turn] = (), *, voice: bool = True,
          candidates: int = 1) -> Reply:
    """The twin's answer to `question`, streamed: `for piece in r: ...`, then `r.answer`.
    One draft by default, so that the first words show at once."""
    return Reply(twin, question, history, voice=voice, candidates=candidates)


def answer(twin, question: str, history: Sequence[Turn] = (), *, voice: bool = True,
           candidates: int | None = None) -> Answer:
    """The twin's answer to `question`, after the conversation `history` (oldest first).
    Delivered whole, so `style.candidates` drafts are written by default and the one that
    sounds most like the author is kept."""
    if candidates is None:
        candidates = twin.settings.style_candidates
    r = reply(twin, question, history, voice=voice, candidates=candidates)
    for _ in r:
        pass
    assert r.answer is not None
    return r.answer
