"""Citations: the model's [n] markers checked as the text streams (a marker that names no
shown passage is dropped), markers attributed to an answer written without them, the
citation objects with the passage sentence that supports the answer, footnotes, and the
author's own sentence quoted as an answer.

Invariant: a citation always points at a passage that was retrieved and shown to the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from .. import language
from ..chunk import sentences
from ..documents import Citation, Passage
from .texts import LANGUAGE_NAMES, _QUOTES

# how much closer than a question an answer sentence must be to a passage sentence to cite
# it: a paraphrase in the passage's own language scores high (0.87-0.96 seen), one across
# languages lower (0.85); an unrelated sentence on the same topic about 0.84-0.87
ATTRIBUTION_MARGIN = {"same": 0.025, "other": 0.005}
_ENDS = frozenset(".!?…;:»\")'")  # how a sentence ends (a heading does not)
QUOTE_WORDS = 15  # a quoted sentence shorter than this takes the next one along
# words by which a sentence speaks as its author, per language: "io", "ho" ("ho cambiato idea"), "my"
FIRST_PERSON = {"it": frozenset({"io", "mi", "me", "mio", "mia", "miei", "mie", "ho"}),
                "en": frozenset({"i", "me", "my", "mine", "myself"})}
# how much farther from the question (e5 cosine) the author's own statement may be than the
# sentence nearest it, to be quoted instead: see `stated`
STATED_MARGIN = 0.06


_MARKER = re.compile(r"\[(?:(?:passaggio|passage|fonte|source|doc)\s*)?(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]",
                     re.IGNORECASE)
_PARTIAL = re.compile(r"\[[\w\s,;]{0,24}$")


def footnotes(citations: Sequence[Citation]) -> str:
    """The citations as Markdown footnotes to put after an answer's text ("" without any):
    "[1] [Title](url) (source, date)" with a link when the document has a URL."""
    lines = []
    for c in citations:
        title = c.title.replace("[", "(").replace("]", ")")
        where = c.where
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


def checked(stream: Iterator[str], markers: "Markers") -> Iterator[str]:
    """The model's text as it streams, with its [n] markers checked."""
    for piece in stream:
        yield markers.feed(piece)
    yield markers.flush()


def attribute(text: str, passages: Sequence[Passage], embedder, store, limit: float,
              lang: str) -> tuple[str, list[int], dict[int, tuple[int, int]]]:
    """Markers for an answer the model wrote without them (small models seldom cite): each
    sentence gets the number of the shown passage holding the sentence most like it, when
    that likeness passes the threshold plus a margin (see ATTRIBUTION_MARGIN). Returns the
    marked text, the numbers cited in order, and for each number the span of its sentence
    that supports the answer best."""
    spans = [(a, b) for a, b in sentences(text) if len(text[a:b].split()) >= 4]
    units = store.vectors([p.id for p in passages])
    if not spans or not units:
        return text, [], {}
    vectors = embedder.queries([text[a:b] for a, b in spans])
    cited: list[int] = []
    support: dict[int, tuple[float, tuple[int, int]]] = {}
    inserts: list[tuple[int, str]] = []
    for (a, b), v in zip(spans, vectors):
        best = max(((float(sim), n, (int(span[0]), int(span[1]))) for n, p in enumerate(passages, 1)
                    if p.id in units for sim, span in zip(units[p.id].units @ v, units[p.id].spans)),
                   default=None)
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


def citation(n: int, p: Passage, support: tuple[int, int] | None = None) -> Citation:
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
                    score=float(p.score), passage_id=p.id, start=c.start, end=c.end, date=c.date)


def sentence(p: Passage, avoid: Callable[[str], bool] | None = None,
             at: tuple[int, int] | None = None) -> tuple[str, tuple[int, int]]:
    """The author's sentence of `p` that best matches the question (the search's best unit of
    the passage, or the one `at` starts; a short one takes the next along), and its span in
    the document. `avoid`: sentences not to quote when a later one of the passage will do."""
    c = p.chunk
    spans = [(a + c.start, b + c.start) for a, b in sentences(c.text)
             if len(language.words(c.text[a:b])) >= 4] or [(c.start, c.end)]
    best = at or p.quote
    span = best if best and c.start <= best[0] < c.end else spans[0]
    i = next((k for k, sp in enumerate(spans) if sp[0] >= span[0]), 0)
    if avoid is not None:
        i = next((k for k in range(i, len(spans)) if not avoid(c.text[spans[k][0] - c.start:spans[k][1] - c.start])), i)
    start, end = spans[i]
    if (len(language.words(c.text[start - c.start:end - c.start])) < QUOTE_WORDS and i + 1 < len(spans)
            and c.text[spans[i + 1][0] - c.start:spans[i + 1][1] - c.start].rstrip()[-1:] in _ENDS):
        end = spans[i + 1][1]  # a short sentence takes the next one along (a sentence, not a heading)
    return " ".join(c.text[start - c.start:end - c.start].split()), (start, end)


def quote(passages: Sequence[Passage], lang: str, texts: dict[str, str],
          intro: str = "", avoid: Callable[[str], bool] | None = None,
          frame: str = "quote_intro") -> tuple[str, tuple[int, int] | None]:
    """The author's own sentence that best matches the question, from the first passage,
    framed in first person and cited: "Ne ho scritto così: «…» [1]"; with its span. `intro`:
    another frame than "Ne ho scritto così:"; `frame`: the prompt text that frames it (and
    its `_other` form, for a passage in another language). `avoid`: sentences not to quote when a later
    one of the passage will do (one telling what the author thought years ago, for a
    question about now)."""
    words, span = sentence(passages[0], avoid)
    return framed(passages[0], words, 1, lang, texts, frame, intro), span


def framed(p: Passage, words: str, n: int, lang: str, texts: dict[str, str], frame: str, intro: str = "",
           **fields: str) -> str:
    """The author's `words` from passage `p`, quoted and cited as [n] after the prompt text
    `frame` (its `_other` form for a passage in another language than the answer's; `fields`
    fill it), or after `intro` when given."""
    c = p.chunk
    left, right = _QUOTES.get(lang, ("«", "»"))
    if not intro:
        key = frame if c.language in (lang, None) else f"{frame}_other"
        intro = texts[key].format(language=LANGUAGE_NAMES.get(c.language or "", c.language), **fields)
    return f"{intro} {left}{words}{right} [{n}]"


def stated(p: Passage, units: Sequence[tuple[int, int]], cosines: Sequence[float]) -> tuple[int, int] | None:
    """The sentence unit of `p` (`units`: their spans in the document, with their cosines to the
    question) in which the author states something as herself, when it is within
    STATED_MARGIN of the unit nearest the question (`herself`; "Vado controcorrente: io i
    compiti li assegno, e non pochi.", where the unit nearest "Che idea avevi dei compiti a casa
    nel 2013?" tells of a petition against homework). None when no such unit is that near."""
    c = p.chunk
    k = herself([c.text[a - c.start:b - c.start] for a, b in units], cosines, c.language, STATED_MARGIN)
    return None if k is None else units[k]


def herself(texts: Sequence[str], cosines: Sequence[float], lang: str | None, margin: float) -> int | None:
    """The index of the sentence of `texts` nearest the question (`cosines`) in which the author
    speaks as herself, within `margin` of the nearest of all: not a question, and holding a word
    of the first person in `lang`. None when none is that near, or `lang` has no such words."""
    first = FIRST_PERSON.get(lang or "", frozenset())
    if not first or not cosines:
        return None
    floor = max(cosines) - margin
    best: tuple[float, int] | None = None
    for k, (text, cos) in enumerate(zip(texts, cosines)):
        words = language.words(text)
        if (cos >= floor and "?" not in text and len(words) >= 4 and first & set(words)
                and (best is None or cos > best[0])):
            best = (cos, k)
    return best[1] if best else None


THEN, NOW = ("then_first", "then_next"), ("now_first", "now_before")  # `through_time`'s frames


def through_time(passages: Sequence[Passage], lang: str, texts: dict[str, str],
                 at: Sequence[tuple[int, int] | None] = (),
                 frames: tuple[str, str] = THEN, also: Sequence[tuple[int, int] | None] = ()
                 ) -> tuple[str, list[tuple[int, int]]]:
    """The author's own sentences from `passages` (one per writing), each introduced by the
    year it was written and cited: "Nel 2013 ne scrivevo così: «…» [1] Nel 2023: «…» [2]"
    (THEN, oldest first), or "Nel 2023 ho scritto così: «…» [1] Prima, nel 2013, scrivevo:
    «…» [2]" (NOW, newest first: when she wrote it, not a claim that it is on what was asked);
    with their spans. `at`: for each passage, the sentence to quote when not the search's best
    (`stated`); `also`: a second sentence of the same passage to quote with it, in the order
    of the text, "[…]" marking what lies between (`joined`). A passage without a date is
    introduced as a quote is."""
    said, spans = [], []
    for n, p in enumerate(passages, 1):
        year = (p.chunk.date or "")[:4]
        frame = (frames[0] if n == 1 else frames[1]) if year.isdigit() else "quote_intro"
        words, span = sentence(p, at=at[n - 1] if n <= len(at) else None)
        if n <= len(also) and (second := also[n - 1]) is not None:
            words, span = joined(p, (words, span), sentence(p, at=second))
        said.append(framed(p, words, n, lang, texts, frame, year=year))
        spans.append(span)
    return " ".join(said), spans


def joined(p: Passage, first: tuple[str, tuple[int, int]], second: tuple[str, tuple[int, int]]
           ) -> tuple[str, tuple[int, int]]:
    """Two quoted sentences of passage `p` (words, span) as one quote, in the order of the text:
    side by side when nothing but space lies between them, "[…]" between them otherwise; the
    first alone when they overlap. The span runs from the first's start to the last's end."""
    (a, sa), (b, sb) = sorted([first, second], key=lambda x: x[1][0])
    if sb[0] < sa[1]:
        return first
    between = p.chunk.text[sa[1] - p.chunk.start:sb[0] - p.chunk.start]
    return f"{a}{' ' if not between.strip() else ' […] '}{b}", (sa[0], sb[1])
