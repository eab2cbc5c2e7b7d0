"""The answer pipeline: the one path from a question to the twin's answer, for every channel.

    question (+ conversation) -> an order to the twin? (guard: declined by rule)
        -> standalone query -> retrieve -> enough evidence?
        no  -> a short first-person "I never wrote about that", in the question's language
        yes -> prompt (persona, numbered passages as quoted material, conversation)
               -> stream -> [n] markers checked against the passages -> Answer with citations

Invariants: a citation always points at a passage that was retrieved and shown to the
model (markers that point at nothing are removed from the text as it streams); the prompt
always fits the model's window (passages are trimmed first, then the conversation); whether
the twin abstains is decided from the retrieval evidence, not left to the model, because a
small model answers anyway.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from . import guard, language, retrieve
from .answer import answerable, classify, grounding
from .chunk import sentences
from .documents import Answer, Citation, Passage, Turn
from .errors import ConfigError, ErreError
from .llm import Message

# Best-sentence cosine under which the writings don't cover a question, per embedder.
# Fitted on SQuAD-it dev (questions with their article in the index vs. removed) and checked
# on Italian and English questions over an Italian blog; see docs/answers.md.
CALIBRATED = {"e5:multilingual-e5-small-q4": 0.84}
# Share of the question's content words found in a passage that counts as evidence on its
# own (same language only): rescues answerable questions whose cosine is low.
COVERAGE_ENOUGH = 0.7
# how much closer than a question an answer sentence must be to a passage sentence to cite
# it: a paraphrase in the passage's own language scores high (0.87-0.96 seen), one across
# languages lower (0.85); an unrelated sentence on the same topic about 0.84-0.87
ATTRIBUTION_MARGIN = {"same": 0.025, "other": 0.005}
NEAREST_MARGIN = 0.03  # passages this close under the threshold are named as "related"
CONDENSE_TOKENS = 80  # longest rewrite of a follow-up
MAX_QUESTION_CHARS = 4000  # a question, not a document: longer ones are refused
ALTERNATIVE_TEMPERATURE = 0.8  # for the second and later drafts of a best-of-n answer
ANSWER_RESERVE = 16  # tokens kept free beyond max_tokens (stop sequences, template tail)
_ENDS = frozenset(".!?…;:»\")'")  # how a sentence ends (a heading does not)
QUOTE_WORDS = 15  # a quoted sentence shorter than this takes the next one along
PART_TASK = 0.95  # probability from which a sentence of a longer message, not itself a question, is an order
# ... and from which a message made only of what/how/why questions is a task (answerable.wh_question):
# every such message the classifier flagged on the hard set and the attack sets was a question
WH_TASK = 0.95
WRITTEN_LOOKUP = 20  # passages of the whole index looked at for a term the near ones lack

LANGUAGE_NAMES = {"it": "Italian", "en": "English", "fr": "French", "es": "Spanish", "de": "German",
                  "pt": "Portuguese", "nl": "Dutch", "ca": "Catalan", "ro": "Romanian"}
_QUOTES = {"en": ("“", "”"), "de": ("„", "“")}


@lru_cache(maxsize=None)
def prompts(lang: str) -> dict[str, str]:
    """The prompt texts for a language: its own file over the English one."""
    folder = resources.files("erre") / "prompts"
    texts = tomllib.loads((folder / "en.toml").read_text(encoding="utf-8"))
    own = folder / f"{lang}.toml"
    if lang != "en" and own.is_file():
        texts.update(tomllib.loads(own.read_text(encoding="utf-8")))
    return texts


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved passages cover the question."""

    relevance: float  # best cosine between the question and a passage (its best sentence)
    coverage: float  # best share of the question's content words found in one passage
    threshold: float

    @property
    def enough(self) -> bool:
        return self.threshold <= 0 or self.relevance >= self.threshold or self.coverage >= COVERAGE_ENOUGH


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
class Voice:
    """How the twin should sound: lines added to the system prompt (the persona card and the
    directions about form) and example exchanges where a question about one of the author's
    topics is answered with the author's own words. The examples teach form, not facts: they
    come before the conversation and carry no passage numbers, so they cannot be cited."""

    card: str = ""
    shots: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.card or self.shots)


class Reply:
    """An answer being written: iterate for the text as it streams; `answer` holds the
    result once the iteration is over. Retrieval happens on the first step."""

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
        self.cut: list[list[tuple[str, str]]] = []  # per draft, the sentences the grounding check cut, and why
        self.history = list(history)
        self.answer: Answer | None = None
        self.passages: list[Passage] = []  # what the model was shown, numbered from 1
        self.evidence: Evidence | None = None
        self._pool: list[Passage] | None = None  # the search's passages, deeper than the evidence
        if not self.question:
            raise ErreError("The question is empty.")
        if len(self.question) > MAX_QUESTION_CHARS:
            raise ErreError(f"The question is too long ({len(self.question):,} characters; at most "
                            f"{MAX_QUESTION_CHARS:,}). Ask it in fewer words.")

    def __iter__(self) -> Iterator[str]:
        return self._run()

    def _run(self) -> Iterator[str]:
        twin, s = self.twin, self.twin.settings
        t0 = time.perf_counter()
        ms = lambda: round((time.perf_counter() - t0) * 1000, 1)  # noqa: E731
        timings: dict[str, float] = {}
        langs = twin.store.languages()
        lang = language.detect_query(self.question, tuple(langs))
        if lang == "und" and langs:
            lang = next(iter(langs))
        texts = prompts(lang)
        declined = guard.check(self.question)
        if declined:  # an order to the twin, not a question: declined by rule
            self.evidence = Evidence(0.0, 0.0, 1.0)
            yield from self._abstain(texts[f"decline_{declined}"], lang, timings, ms, reason="declined")
            return
        if not langs:  # nothing ingested: nothing to answer from
            self.evidence = Evidence(0.0, 0.0, 1.0)
            yield from self._abstain(texts["no_index"], lang, timings, ms, reason="empty_index")
            return
        checking = time.perf_counter()
        kinds = self._kinds(lang) if s.chat_checks else Kinds(twin.embedder.queries([self.question])[0], False, False)
        checks = time.perf_counter() - checking  # the checks' own time (the question's vector included)
        if kinds.task:  # a task for an assistant (write, translate, play a role): declined in the author's voice
            self.evidence = Evidence(0.0, 0.0, 1.0)
            yield from self._abstain(texts["decline_task"], lang, timings, ms, reason="task")
            return
        limit = threshold(s, twin.embedder.name)
        checking = time.perf_counter()
        self.asked, self.uncovered = self._covered_parts(lang, limit, kinds)
        checks += time.perf_counter() - checking
        query, found, self.evidence = self._retrieve(lang, limit, timings, ms,
                                                     kinds.vector if self.asked == self.question else None)
        if not self.evidence.enough:
            yield from self._abstain(_abstention(texts, lang, query, found, limit), lang, timings, ms, query,
                                     reason="not_covered")
            return
        shown = [p for p in found[:s.chat_passages]
                 if p.lexical is not None or p.dense is None or p.dense >= limit - NEAREST_MARGIN]
        checking = time.perf_counter()
        refusal = self._unanswerable(lang, shown or found[:1], kinds, limit) if s.chat_checks else None
        checks += time.perf_counter() - checking
        timings["checks_ms"] = round(checks * 1000, 1)
        if refusal is not None:
            reason, text = refusal
            if reason != "personal":
                text += _nearest_sentence(texts, lang, query, found, limit)
            yield from self._abstain(text, lang, timings, ms, query, reason=reason)
            return
        if s.chat_answer == "quote":  # the author's own words, no model run
            self.passages = list(shown or found[:1])
            yield from self._quoted(lang, texts, timings, ms, checks, query)
            return
        # the voice gives way when the window is small: examples first, then the card
        voices = self._voices(lang, shown) if self.voice else [None]
        for i, voice in enumerate(voices):
            try:
                messages, self.passages = fit(twin.model, s, self.asked, lang, shown or found[:1],
                                              self.history, style=voice)
                break
            except NoRoom:
                if i == len(voices) - 1:
                    raise
        verifier = twin.verifier
        skip = tuple(s.name.split()) if s.name else ()
        drafts: list[tuple[str, list[int], float | None, int]] = []
        for i in range(self.candidates):
            markers = Markers(len(self.passages))
            pieces: list[str] = []
            cut = 0
            # the first draft as configured, the others freer, so that they differ
            temperature = s.llm_temperature if i == 0 else max(s.llm_temperature, ALTERNATIVE_TEMPERATURE)
            stream = twin.model.stream(messages, max_tokens=s.llm_max_tokens, temperature=temperature)
            sentences_ = grounding.Sentences(self.asked, lang, self.passages, skip, enabled=s.chat_checks)
            for piece in sentences_.feed(_checked(stream, markers)):
                if piece:
                    timings.setdefault("first_token_ms", ms())
                    pieces.append(piece)
                    if self.candidates == 1:
                        yield piece
            cut = len(sentences_.cut)
            self.cut.append([(v.problem or "", v.text) for v in sentences_.cut])
            checks += sentences_.seconds
            draft = "".join(pieces).strip()
            score = float(verifier.score([strip_markers(draft)])[0]) if verifier and draft else None
            marked = dict.fromkeys(int(n) for n in re.findall(r"\[(\d{1,3})\]", draft))  # after the check's moves
            drafts.append((draft, [n for n in marked if 1 <= n <= len(self.passages)], score, cut))
        # grounding first, style second: the draft with most of its own sentences kept
        spoken = lambda d: bool(language.words(d[0])) and (d[3] == 0 or grounding.enough(d[0]))  # noqa: E731
        text, cited, score, cut = max(drafts, key=lambda d: (spoken(d), -d[3], -1.0 if d[2] is None else d[2]))
        if not spoken((text, cited, score, cut)) and not text and self._quotable([c for cs in self.cut for c in cs]):
            # a yes/no question the model answered by restating it: the author's own words answer it
            yield from self._quoted(lang, texts, timings, ms, checks, query)
            return
        if not spoken((text, cited, score, cut)):  # nothing the passages support survived the check
            # what streamed was checked sentence by sentence: it stays, the refusal follows it
            timings.setdefault("first_token_ms", ms())
            refusal_text = texts["abstain_unsupported"] + _nearest_sentence(texts, lang, query, found, limit)
            if self.candidates == 1:
                yield ("\n\n" if text else "") + refusal_text
            text = (text + "\n\n" + refusal_text).strip() if text else refusal_text
            timings["total_ms"] = ms()
            timings["checks_ms"] = round(checks * 1000, 1)
            self.answer = Answer(text=text, abstained=True, language=lang, timings=timings, query=query,
                                 model=twin.model.name, reason="unsupported")
            return
        if self.uncovered:  # the parts the writings do not cover, said plainly
            tail = " " + texts["uncovered"].format(parts=_quoted(self.uncovered, lang))
            text = text.rstrip() + tail
            if self.candidates == 1:
                yield tail
        if self.candidates > 1:
            timings["first_token_ms"] = ms()
            yield text
        timings.setdefault("first_token_ms", ms())
        support: dict[int, tuple[int, int]] = {}
        if not cited and limit > 0:
            text, cited, support = attribute(text, self.passages, twin.embedder, twin.store, limit, lang)
        if not cited:  # nothing attributable: the passages shown are the sources
            cited = list(range(1, min(3, len(self.passages)) + 1))
        timings["total_ms"] = ms()
        timings["checks_ms"] = round(checks * 1000, 1)
        style: dict | None = None
        if score is not None:
            style = {"score": round(score, 4)}
            if len(drafts) > 1:
                style["candidates"] = [None if d[2] is None else round(d[2], 4) for d in drafts]
        self.answer = Answer(text=text, abstained=False, language=lang,
                             citations=tuple(_citation(n, self.passages[n - 1], support.get(n)) for n in cited),
                             timings=timings, query=query, model=twin.model.name, style=style,
                             reason="cut" if cut else None, uncovered=self.uncovered)

    def _quoted(self, lang: str, texts: dict[str, str], timings: dict, ms, checks: float,
                query: str) -> Iterator[str]:
        """Answer with the author's own sentence from the first passage, quoted and cited,
        then the parts of the question the writings don't cover."""
        text, span = self._quote(lang, texts)
        if self.uncovered:
            text += " " + texts["uncovered"].format(parts=_quoted(self.uncovered, lang))
        timings.setdefault("first_token_ms", ms())
        yield text
        timings["total_ms"] = ms()
        timings["checks_ms"] = round(checks * 1000, 1)
        self.answer = Answer(text=text, abstained=False, language=lang, timings=timings, query=query,
                             citations=(_citation(1, self.passages[0], span),),
                             model="" if self.twin.settings.chat_answer == "quote" else self.twin.model.name,
                             reason="quoted", uncovered=self.uncovered)

    def _quotable(self, cut_reasons: Sequence[tuple[str, str]]) -> bool:
        """Whether a draft cut whole is better replaced by the author's own words than by a
        refusal: a yes/no question whose draft only restated it (or flipped its stance), with
        a passage that makes the point. A question asking for a detail (what, how many, which)
        whose draft was cut stays unanswered: the writings likely don't hold that detail."""
        return (bool(cut_reasons) and all(p in ("echo", "stance") for p, _ in cut_reasons)
                and answerable.polar(self.asked) and bool(self.passages))

    def _quote(self, lang: str, texts: dict[str, str]) -> tuple[str, tuple[int, int] | None]:
        """The author's own sentence that best matches the question, from the first passage,
        framed in first person and cited: "Ne ho scritto così: «…» [1]"; with its span."""
        p = self.passages[0]
        c = p.chunk
        spans = [(a + c.start, b + c.start) for a, b in sentences(c.text)
                 if len(language.words(c.text[a:b])) >= 4] or [(c.start, c.end)]
        span = p.quote if p.quote and c.start <= p.quote[0] < c.end else spans[0]
        i = next((k for k, sp in enumerate(spans) if sp[0] >= span[0]), 0)
        start, end = spans[i]
        if (len(language.words(c.text[start - c.start:end - c.start])) < QUOTE_WORDS and i + 1 < len(spans)
                and c.text[spans[i + 1][0] - c.start:spans[i + 1][1] - c.start].rstrip()[-1:] in _ENDS):
            end = spans[i + 1][1]  # a short sentence takes the next one along (a sentence, not a heading)
        quoted = " ".join(c.text[start - c.start:end - c.start].split())
        left, right = _QUOTES.get(lang, ("«", "»"))
        intro = (texts["quote_intro"] if c.language in (lang, None)
                 else texts["quote_intro_other"].format(language=LANGUAGE_NAMES.get(c.language or "", c.language)))
        return f"{intro} {left}{quoted}{right} [1]", (start, end)

    def _kinds(self, lang: str) -> "Kinds":
        """The question's vector (embedded once, for retrieval too), its parts, and what kind of
        message it is: a task for an assistant, a private question. A message of several parts
        is a task when one of them is (an order after a question)."""
        twin = self.twin
        pieces = answerable.parts(self.question)
        texts = [self.question] + ([p.text for p in pieces] if len(pieces) > 1 else [])
        x = classify.features(twin.embedder, texts, [lang] * len(texts))
        vectors = x[:, :twin.embedder.dim].astype(np.float32)  # the plain query vectors, for the search
        cache = twin.home / "cache"
        scope = classify.load(classify.SCOPE, twin.embedder, cache)
        p = scope.probability(x)
        # the whole message; and an order standing as a sentence of its own, past a higher bar
        # (a part out of context reads like a task more often than the whole does)
        orders = [q for part, q in zip(pieces, p[1:]) if not part.question] if len(pieces) > 1 else []
        bar = max(scope.threshold, WH_TASK) if answerable.wh_question(self.question) else scope.threshold
        task = bool(p[0] >= bar or any(q >= max(scope.threshold, PART_TASK) for q in orders))
        personal = bool(classify.load(classify.PERSONAL, twin.embedder, cache).flags(vectors[:1])[0])
        asked = [(p, v) for p, v in zip(pieces, vectors[1:]) if p.question] if len(pieces) > 1 else []
        return Kinds(vectors[0], task, personal, tuple(pieces) if len(pieces) > 1 else (), tuple(asked))

    def _covered_parts(self, lang: str, limit: float, kinds: "Kinds") -> tuple[str, tuple[str, ...]]:
        """For a question of two parts or more: the question the writings answer (its context
        and the parts they cover) and the parts they do not; (question, ()) when all or none
        are covered."""
        twin, s = self.twin, self.twin.settings
        if len(kinds.asked) < 2 or self.history or not s.chat_checks:
            return self.question, ()
        skip = tuple(s.name.split()) if s.name else ()
        uncovered: list[str] = []
        for part, vector in kinds.asked:
            found = retrieve.search(twin.store, twin.embedder, part.text, s.chat_passages,
                                    candidates=s.search_candidates, query_vector=vector)
            ev = evidence(part.text, lang, found, limit)
            if (not ev.enough or answerable.missing_terms(part.text, lang, found, skip).reason
                    or answerable.off_topic(part.text, lang, found).reason):
                uncovered.append(part.text)
        if not uncovered or len(uncovered) == len(kinds.asked):
            return self.question, ()
        kept = " ".join(p.text for p in kinds.parts if p.text not in uncovered)
        return kept, tuple(uncovered)

    def _unanswerable(self, lang: str, shown: Sequence[Passage], kinds: "Kinds",
                      limit: float) -> tuple[str, str] | None:
        """(reason, what the twin says) when the passages cannot answer the question although
        they come close to it; None when they may."""
        texts, s = prompts(lang), self.twin.settings
        skip = tuple(s.name.split()) if s.name else ()
        assert self.evidence is not None
        latest = self._latest()
        later = answerable.after_writings(self.asked, latest, shown)
        if later.reason and latest:
            return later.reason, texts["abstain_after"].format(last=latest[:4], years=", ".join(later.terms))
        private = answerable.personal(kinds.personal, self.evidence.relevance, limit)
        if private.reason:
            return private.reason, texts["abstain_personal"]
        missing = answerable.missing_terms(self.asked, lang, shown, skip)
        if missing.reason:
            # "I never wrote about X" only when no passage of the writings holds X at all
            key = "abstain_terms_elsewhere" if self._written(missing.terms) else "abstain_terms"
            return missing.reason, texts[key].format(terms=_quoted(missing.terms, lang))
        return None

    def _written(self, terms: Sequence[str]) -> bool:
        """Whether some passage of the writings, beyond those near the question, holds all of
        `terms` (a lexical search of the whole index)."""
        store = self.twin.store
        found = store.search_lexical(language.query_terms(" ".join(terms), tuple(store.languages())), WRITTEN_LOOKUP)
        chunks = store.chunks([i for i, _ in found])
        return any(all(answerable.held(t, " ".join(language.words(c.context))) for t in terms)
                   for c in chunks.values())

    def _latest(self) -> str | None:
        return self.twin.store.dates()[1]

    def _voices(self, lang: str, shown: Sequence[Passage]) -> list[Voice]:
        """The voice, fullest first: persona card and examples of form; the card alone;
        nothing (also when there is no persona yet)."""
        profile = self.twin.persona
        if profile is None:
            return [Voice()]
        texts = prompts(lang)
        the_card = texts["voice"].format(card=card(profile, texts))
        shots = tuple((texts["shot_question"].format(topic=topic), text)
                      for topic, text in exemplars(self.twin, self.asked, {p.id for p in shown},
                                                   found=self._pool))
        return [Voice(the_card, shots), Voice(the_card), Voice()]

    def _retrieve(self, lang: str, limit: float, timings: dict, ms,
                  vector=None) -> tuple[str, list[Passage], Evidence]:
        """The query searched (a follow-up condensed), the passages found, their evidence.
        `vector`: the question's own vector, when it was embedded already."""
        twin, s = self.twin, self.twin.settings

        k = max(s.search_k, s.chat_passages)

        def search(q: str) -> tuple[list[Passage], Evidence]:
            # one search serves the evidence and, deeper, the voice's examples of form
            found = retrieve.search(twin.store, twin.embedder, q, max(k, EXEMPLAR_POOL),
                                    candidates=s.search_candidates,
                                    query_vector=vector if q == self.asked else None)
            return found, evidence(q, lang, found[:k], limit)

        previous = next((t.content for t in reversed(self.history) if t.role == "user"), None)
        if previous is None:
            found, ev = search(self.asked)
            timings["retrieve_ms"] = ms()
            self._pool = found
            return self.asked, found[:k], ev
        joined = f"{previous} {self.question}"
        # a rewrite the model could not make: the previous question gives the subject
        query = condense(twin.model, self.question, self.history) or joined
        timings["condense_ms"] = ms()
        found, ev = search(query)
        if not ev.enough and query != joined:
            # a follow-up whose rewrite lost the subject: try with the previous question
            again, ev2 = search(joined)
            if ev2.relevance > ev.relevance:
                query, found, ev = joined, again, ev2
        timings["retrieve_ms"] = ms()
        self._pool = found
        return query, found[:k], ev

    def _abstain(self, text: str, lang: str, timings: dict, ms, query: str = "", *,
                 reason: str) -> Iterator[str]:
        timings.setdefault("retrieve_ms", ms())
        timings["first_token_ms"] = ms()
        yield text
        timings["total_ms"] = ms()
        self.answer = Answer(text=text, abstained=True, language=lang, timings=timings,
                             query=query or self.question, reason=reason)


@dataclass(frozen=True)
class Kinds:
    vector: np.ndarray  # the question's embedding, reused by the search
    task: bool  # a task for an assistant, not a question to the author
    personal: bool  # asks for a private fact
    parts: tuple = ()  # the question's parts (answerable.Part), when it has more than one
    asked: tuple = ()  # (part, its vector) for each part that asks something


def _checked(stream: Iterator[str], markers: "Markers") -> Iterator[str]:
    """The model's text as it streams, with its [n] markers checked."""
    for piece in stream:
        yield markers.feed(piece)
    yield markers.flush()


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


# -- the prompt ------------------------------------------------------------------

def _where(p: Passage) -> str:
    c = p.chunk
    where = c.header or c.title or c.source
    return where + (f", p. {c.page}" if c.page else "")


def _history_messages(history: Sequence[Turn], keep: int) -> list[Message]:
    turns = [t for t in history if t.role in ("user", "assistant") and t.content.strip()]
    return [Message(role=t.role, content=strip_markers(t.content) if t.role == "assistant" else t.content)
            for t in turns[-keep:]] if keep > 0 else []


def build(settings, question: str, lang: str, passages: Sequence[tuple[Passage, str]],
          history: Sequence[Message], style: Voice | None = Voice()) -> list[Message]:
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
                                                    text=_escape(guard.defuse(text)))
                         for n, (p, text) in enumerate(passages, 1))
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
        history: Sequence[Turn], style: Voice | None = Voice()) -> tuple[list[Message], list[Passage]]:
    """The largest prompt that fits the window: passages in rank order (the last one cut if
    need be), then as much of the conversation as fits, newest first. A quarter of the room
    is kept for the conversation when it has that much."""
    budget = model.context - settings.llm_max_tokens - ANSWER_RESERVE
    count = lambda shown, past: model.count(build(settings, question, lang, shown, past, style))  # noqa: E731
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
        text = p.chunk.text
        while text and count([*shown, (p, text)], []) > budget - reserve:
            text = _shorten(text)
        if not text:
            break
        shown.append((p, text))
        if text != p.chunk.text:
            break
    if not shown and passages:
        raise NoRoom(f"No passage fits the model's context of {model.context} tokens; "
                     f"raise llm.context or lower llm.max_tokens.")
    while past and count(shown, past) > budget:
        past = past[1:]
    return build(settings, question, lang, shown, past, style), [p for p, _ in shown]


class NoRoom(ErreError):
    """Not even one passage fits beside the rest of the prompt."""


def _shorten(text: str) -> str:
    """Text cut by a fifth at a word boundary; "" when too little would be left to be useful."""
    if len(text) < 200:
        return ""
    cut = text[: int(len(text) * 0.8)]
    return cut[: cut.rfind(" ")] + " …" if " " in cut else cut


def card(profile, texts: dict[str, str]) -> str:
    """The persona card: the measured register and habits, then the author's own words."""
    sing, plur = profile.person.get("singular", 0.0), profile.person.get("plural", 0.0)
    lines = []
    if sing or plur:
        lines.append(texts["card_singular"] if sing >= plur else texts["card_plural"])
    if profile.address and max(profile.address.values()) >= 0.5:
        lines.append(texts["card_address"].format(form=max(profile.address, key=lambda k: profile.address[k])))
    lines.append(texts["card_sentences"].format(words=round(profile.sentence_words.get("p50", 15))))
    if profile.question_share >= 0.05:
        lines.append(texts["card_questions"])
    if profile.expressions:
        lines.append(texts["card_expressions"].format(expressions=", ".join(f"«{e}»" for e in profile.expressions[:6])))
    if profile.voice:
        lines.append(profile.voice)
    return "\n".join(f"- {line}" for line in lines)


EXEMPLAR_WORDS = 70
EXEMPLAR_POOL = 12  # passages near the question that the examples of form are chosen from


def exemplars(twin, question: str, exclude: set[int], n: int = 2,
              found: Sequence[Passage] | None = None) -> list[tuple[str, str]]:
    """Short passages chosen for form, each with its topic (heading or title): from the
    writings near the question, not among the evidence, the ones the style model finds most
    typical of the author (by rank without a model), headings left out and cut to about
    EXEMPLAR_WORDS words at a sentence end. `found`: the question's search, when made already."""
    if found is None:
        found = retrieve.search(twin.store, twin.embedder, question, EXEMPLAR_POOL,
                                candidates=twin.settings.search_candidates)
    picked: list[tuple[str, str]] = []
    for p in found:
        if p.id in exclude:
            continue
        text = _first_words(_prose(p.chunk.text), EXEMPLAR_WORDS)
        if len(text.split()) >= 25:
            picked.append(((p.chunk.heading[-1] if p.chunk.heading else p.chunk.title) or p.chunk.source, text))
    verifier = twin.verifier
    if verifier is not None and len(picked) > n:
        scores = verifier.score([text for _, text in picked])
        picked = [picked[i] for i in np.argsort(-scores, kind="stable")]
    return picked[:n]


def _prose(text: str) -> str:
    """The text without heading-like lines (short, no closing punctuation), table rows and
    Markdown marks."""
    lines = []
    for line in text.splitlines():
        bare = line.strip().lstrip("#>*-+ ").strip()
        if not bare or "|" in bare or (
                len(bare.split()) < 12 and not bare.endswith((".", "!", "?", "…", ":", ";", '"', "»"))):
            continue  # headings, table rows
        lines.append(re.sub(r"[*_`]{1,3}", "", bare))
    return "\n".join(lines)


def _first_words(text: str, words: int) -> str:
    """The first sentences of `text` that fit in `words` words (at least the first one)."""
    out = ""
    for a, b in sentences(text):
        piece = " ".join(text[a:b].split())
        if out and len((out + " " + piece).split()) > words:
            break
        out = f"{out} {piece}".strip()
    return out


# -- follow-ups ------------------------------------------------------------------

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


# -- citations -------------------------------------------------------------------

_MARKER = re.compile(r"\[(?:(?:passaggio|passage|fonte|source|doc)\s*)?(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]",
                     re.IGNORECASE)
_PARTIAL = re.compile(r"\[[\w\s,;]{0,24}$")


def footnotes(citations: Sequence[Citation]) -> str:
    """The citations as Markdown footnotes to put after an answer's text ("" without any):
    "[1] [Title](url), source" with a link when the document has a URL."""
    lines = []
    for c in citations:
        title = c.title.replace("[", "(").replace("]", ")")
        where = c.source + (f", p. {c.page}" if c.page else "")
        url = (c.url or "").replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        lines.append(f"[{c.n}] " + (f"[{title}]({url})" if url else title) + f" ({where})")
    return ("\n\n" + "\n\n".join(lines)) if lines else ""


def strip_markers(text: str) -> str:
    return re.sub(r"\s*" + _MARKER.pattern, "", text, flags=re.IGNORECASE)


class Markers:
    """Checks [n] markers while the text streams: a marker is held back until it is complete,
    then written as [n] for each number that names a shown passage, or dropped."""

    def __init__(self, passages: int):
        self.valid = range(1, passages + 1)
        self.cited: list[int] = []
        self._held = ""

    def feed(self, piece: str) -> str:
        out: list[str] = []
        for ch in piece:
            if self._held:
                self._held += ch
                if ch == "]":
                    out.append(self._resolve(self._held))
                    self._held = ""
                elif not _PARTIAL.match(self._held):
                    out.append(self._held)
                    self._held = ""
            elif ch == "[":
                self._held = ch
            else:
                out.append(ch)
        return "".join(out)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held

    def _resolve(self, marker: str) -> str:
        m = _MARKER.fullmatch(marker)
        if not m:
            return marker
        kept = []
        for n in (int(x) for x in re.split(r"[,;]", m.group(1))):
            if n in self.valid and n not in kept:
                kept.append(n)
                if n not in self.cited:
                    self.cited.append(n)
        return "".join(f"[{n}]" for n in kept)


def attribute(text: str, passages: Sequence[Passage], embedder, store, limit: float,
              lang: str) -> tuple[str, list[int], dict[int, tuple[int, int]]]:
    """Markers for an answer the model wrote without them (small models seldom cite): each
    sentence gets the number of the shown passage holding the sentence most like it, when
    that likeness passes the threshold plus a margin (see ATTRIBUTION_MARGIN). Returns the
    marked text, the numbers cited in order, and for each number the span of its sentence
    that supports the answer best."""
    spans = [(a, b) for a, b in sentences(text) if len(text[a:b].split()) >= 4]
    units = store.unit_vectors([p.id for p in passages])
    if not spans or not units:
        return text, [], {}
    vectors = embedder.queries([text[a:b] for a, b in spans])
    cited: list[int] = []
    support: dict[int, tuple[float, tuple[int, int]]] = {}
    inserts: list[tuple[int, str]] = []
    for (a, b), v in zip(spans, vectors):
        best = max(((float(vec @ v), n, (us, ue)) for n, p in enumerate(passages, 1)
                    for us, ue, vec in units.get(p.id, ())), default=None)
        if best is None:
            continue
        sim, n, span = best
        if sim < limit + ATTRIBUTION_MARGIN["same" if passages[n - 1].chunk.language == lang else "other"]:
            continue
        if n not in cited:
            cited.append(n)
        if sim > support.get(n, (0.0, span))[0]:
            support[n] = (sim, span)
        end = b - (len(text[a:b]) - len(text[a:b].rstrip(".!?;:…")))
        inserts.append((end, f" [{n}]"))
    for pos, marker in reversed(inserts):
        text = text[:pos] + marker + text[pos:]
    return text, cited, {n: span for n, (_, span) in support.items()}


def _citation(n: int, p: Passage, support: tuple[int, int] | None = None) -> Citation:
    c = p.chunk
    span = support or p.quote
    if span:
        quote = c.text[span[0] - c.start:span[1] - c.start].strip()
    else:
        quote = ""
    quote = " ".join(quote.split()) or " ".join(c.text.split())
    if len(quote) > 400:
        quote = quote[:400].rsplit(" ", 1)[0] + " …"
    return Citation(n=n, source=c.source, title=c.title, url=c.url, page=c.page, quote=quote,
                    score=float(p.score), passage_id=p.id, start=c.start, end=c.end)


def _quoted(items: Sequence[str], lang: str) -> str:
    left, right = _QUOTES.get(lang, ("«", "»"))
    return ", ".join(f"{left}{t}{right}" for t in items)


def _nearest_sentence(texts: dict[str, str], lang: str, question: str, found: Sequence[Passage],
                      limit: float) -> str:
    """" I did write about related things: …" when there are some, else ""."""
    titles = _near(lang, question, found, limit)
    return " " + texts["nearest"].format(titles=_quoted(titles, lang)) if titles else ""


def _near(lang: str, question: str, found: Sequence[Passage], limit: float) -> list[str]:
    """Titles of documents near the question: within NEAREST_MARGIN under the threshold and
    holding half of the question's words (two at least), three at most."""
    asked = set(language.terms(question, lang))
    near: list[str] = []
    for p in found:
        if (p.dense or 0.0) < limit - NEAREST_MARGIN or p.chunk.language != lang or not asked:
            continue
        shared = asked & set(language.terms(p.chunk.context, lang))
        if len(shared) >= 2 and len(shared) / len(asked) >= 1 / 2 and p.chunk.title not in near:
            near.append(p.chunk.title)
    return near[:3]


def _abstention(texts: dict[str, str], lang: str, question: str, found: Sequence[Passage], limit: float) -> str:
    """'I never wrote about that', naming the nearest things the author did write about when
    there are some (see `_near`)."""
    near = _near(lang, question, found, limit)
    return texts["abstain_nearest"].format(titles=_quoted(near, lang)) if near else texts["abstain"]
