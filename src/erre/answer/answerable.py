"""Whether the writings answer a question, from more than one cosine.

A question near the author's subjects retrieves passages that look related whether or not
they hold the answer: "what do you think of Mixtral?" finds the posts on open models. The
cosine cannot tell these apart (docs/answers.md). What can:

- **the question's specific terms**: the names, numbers, years, titles and acronyms it asks
  about. When one of them is in none of the passages the answer would rest on, the writings
  do not talk about that thing, however close the topic;
- **time**: a year after the latest writing cannot be in the writings;
- **the kind of question**: a private fact (home, family, income, vote, health) is answered
  only when the passages hold it outright, never from a passage that merely shares a word.

Each check returns the reason to abstain (see `documents.ABSTAIN_REASONS`) or None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .. import language
from ..documents import Passage
from .asking import parts

Alike = language.Alike

# a token that may carry a name or a figure: letters and digits joined by . - + / _
_TOKEN = re.compile(r"\w(?:[\w.+/'’-]*\w)?", re.UNICODE)
_YEAR = re.compile(r"(?<![\w.])(19[5-9]\d|20\d\d)(?![\w.])")
# a capitalised word this common in the question's language is a sentence-ish word, not a name
COMMON_ZIPF = 6.0
# across languages, a capitalised word this common in the question's language is likely translated
# in the passages ("Italian" / "italiano"), so it is not looked for
TRANSLATED_ZIPF = 3.5
# the days and months: capitalised in English ("over Sunday lunch"), and by some readers in
# Italian, they say when, not what a question asks the writings about
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december lunedi martedi mercoledi giovedi venerdi sabato domenica "
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split())
# the Italian pronouns and possessives of courtesy, capitalised when addressing someone
_COURTESY = frozenset("lei la le gli ella suo sua suoi sue voi vi vostro vostra vostri vostre".split())
# relevance above the threshold by this much: a passage very close to the question, which
# answers a private question outright, and lets a name no writing holds be set aside (`aside`)
NEAR_MARGIN = 0.05


@dataclass(frozen=True)
class Check:
    reason: str | None  # None: the writings may answer it
    terms: tuple[str, ...] = ()  # the specific terms the passages lack, or the years after the writings


def _word(token: str, lang: str, zipf: float) -> bool:
    """Whether `token` is a word at least this common in `lang` (wordfreq's Zipf scale)."""
    return language.zipf(token.lower(), lang) >= zipf


def _common(word: str, lang: str) -> bool:
    return _word(word, lang, COMMON_ZIPF) or _word(word, "en", COMMON_ZIPF)


def specific_terms(question: str, lang: str, skip: Iterable[str] = (), *, across: bool = False) -> list[str]:
    """The names, numbers and acronyms a question asks about, as written: tokens with a digit,
    all-capital tokens of two letters or more, and capitalised words that do not open a
    sentence and are not common words nor Italian pronouns of courtesy ("Lei ha sempre…").
    A lone letter is none: the writings hold it or not whatever they say of the subject (an
    Italian "a" or "e" is a word; "X" is the network the writings call "Twitter"). A handle
    ("@livia_reads") or a web or mail address is one however written.
    `skip`: words never counted (the author's name). `across`: the passages are in another
    language, where ordinary capitalised words ("Italian", "European") are translated: only
    names that are not words count. In a hyphenated token only its name-like pieces count
    ("GPT-style" asks about "GPT")."""
    skipped = {language.fold(s) for s in skip}
    out: list[str] = []
    sentence_start = True
    for m in _TOKEN.finditer(question):
        if m.start() and question[m.start() - 1] == "@" or _ADDRESS.fullmatch(m.group(0)):
            sentence_start = False  # a handle or an address: a name however written
            if language.fold(m.group(0)) not in skipped:  # "@Davide" addresses the author
                out.append(m.group(0).strip(".'’-"))
            continue
        token = _bare(m.group(0).strip(".'’-"))
        before = question[:m.start()].rstrip()
        opens = sentence_start or before.endswith((".", "?", "!", ":", "«", '"', "“", "(", "\n"))
        sentence_start = False
        if not token or language.fold(token) in skipped:
            continue
        if "-" in token and not any(c.isdigit() for c in token):
            named = [p for p in token.split("-") if p and (p.isupper() or not _word(p, lang, TRANSLATED_ZIPF))]
            token = "-".join(named) if named and len(named) < len(token.split("-")) else token
            if not named:
                continue
        has_digit = any(c.isdigit() for c in token)
        if has_digit:
            if len(token) >= 2 or not token.isdigit():
                out.append(token)
            continue
        letters = [c for c in token if c.isalpha()]
        if len(letters) < 2:  # a lone letter: no writing can be looked up for it ("X", "Serie A")
            continue
        if all(c.isupper() for c in letters):
            out.append(token)
        elif token[0].isupper() and not opens and token.lower() != "i" and not _common(token.lower(), lang):
            # across languages a word is likely translated; "Lei", "Suo" address the reader's teacher
            if not (across and _word(token, lang, TRANSLATED_ZIPF)) and not (
                    lang == "it" and language.fold(token) in _COURTESY):
                out.append(token)
        elif any(c.isupper() for c in token[1:]) and any(c.islower() for c in token):  # "BitNet", "iPhone"
            out.append(token)
    seen: dict[str, None] = {}
    for t in out:
        seen.setdefault(t, None)
    return list(seen)


# a web or mail address ("livia.blog/newsletter", "gmail.com"): a lowercase name all the same
_ADDRESS = re.compile(r"(?:www\.)?[^\W\d_][\w-]*(?:\.[\w-]+)*\.(?:com|org|net|it|eu|io|me|blog|info|dev|uk|de|fr|ly)"
                      r"(?:/[\w./-]*)?", re.IGNORECASE)
# an elided article or preposition before a name ("dell'Apache", "l'IA") and an English
# possessive ("Graham's") are not part of the name
_ELIDED = re.compile(r"^[a-zà-ù]{1,6}['’](?=\w)")
_POSSESSIVE = re.compile(r"['’]s$")


def _bare(token: str) -> str:
    return _POSSESSIVE.sub("", _ELIDED.sub("", token))


def held(term: str, text: str) -> bool:
    """Whether `text` (folded) holds `term`: every word of it, each as the start of a word (an
    acronym of three letters or more anywhere in a word: "RAM" in "DRAM"). An acronym's
    English plural is the acronym ("LLMs" is held by "LLM")."""
    if re.fullmatch(r"[A-Z][A-Z0-9]+s", term):
        term = term[:-1]
    parts = language.words(term)
    inside = len(term) >= 3 and term.isupper() and term.isalpha()
    return bool(parts) and all(re.search(("" if inside else r"(?<!\w)") + re.escape(p), text) for p in parts)


_LANGS = ("it", "en")  # the languages a name is inflected and a figure written out in ("sedici", "sixteen")


def held_as_word(term: str, text: str) -> bool:
    """Whether `text` (folded) holds `term` as a word, not only as the start of a longer one:
    each word of a name as itself, with a plural or possessive "s", or as a word of the same
    Italian or English stem ("Bologna" in "bolognesi" is not, "Roma" in "romanzi" is not;
    "Calvino" in "Calvino's" is). An acronym or a figure as `held`."""
    if term.isupper() or any(c.isdigit() for c in term):
        return held(term, text)
    parts = language.words(term)

    def same(part: str, word: str) -> bool:
        return word in (part, part + "s", part + "es") or any(
            language.terms(word, lang, keep_stopwords=True) == language.terms(part, lang, keep_stopwords=True)
            for lang in _LANGS)

    return bool(parts) and all(any(same(p, w) for w in re.findall(r"(?<!\w)" + re.escape(p) + r"\w*", text))
                               for p in parts)


def held_as_written(term: str, text: str) -> bool:
    """Whether `text`, as written (not folded), holds `term` as `held_as_word` finds it, an
    acronym in capitals: "DAD" (didattica a distanza) is not in "saudade" nor in "dado", nor
    is it a father's "dad". Folded, an acronym is found inside any word that spells it."""
    if term.isupper() and term.isalpha():  # an acronym, as `held` finds it ("RAM" in "DRAM"), in capitals
        return bool(re.search(("" if len(term) >= 3 else r"(?<!\w)") + re.escape(term), text))
    return held_as_word(term, " ".join(language.words(text)))


# an age is the asker's context, not a figure the writings must hold: "mia figlia ha 16 anni",
# "ragazzi di 17 anni", "a 16 year old", "16-year-olds", "di anni ne ho 42", "I'm 42"
_AGE = re.compile(r"(?<![\w.,])(\d{1,3}-years?-olds?|\d{1,3}(?=\s*(?:anni|enne|years?\s+olds?)\b))|"
                  r"(?:\bne ho|\bet[àa] di|\baged?|\bi['’]?m|\bi am)\s+(\d{1,3})(?!\w|[.,]\d)", re.IGNORECASE)


def ages(question: str) -> tuple[str, ...]:
    """The figures of `question` that give someone's age."""
    return tuple(a or b for a, b in _AGE.findall(question))


def days(question: str) -> tuple[str, ...]:
    """The days and months `question` names ("over Sunday lunch"): when something happened
    to the asker, not a thing the writings must hold."""
    return tuple(w for w in re.findall(r"\w+", question) if language.fold(w) in _CALENDAR)


def spelled(figure: str, text: str) -> bool:
    """Whether `text` (folded) writes the whole number `figure` out in words, in Italian or
    English ("666": "seicentosessantasei"; "42": "forty-two")."""
    from num2words import num2words

    if not figure.isdigit() or len(figure) > 6:
        return False
    for lang in _LANGS:
        spoken = [w for w in language.words(num2words(int(figure), lang=lang)) if w != "and"]
        if spoken and re.search(r"(?<!\w)" + r"\W+(?:and\W+)?".join(map(re.escape, spoken)) + r"(?!\w)", text):
            return True
    return False


def missing_terms(question: str, lang: str, passages: Sequence[Passage], skip: Iterable[str] = ()) -> Check:
    """The question's specific terms that none of `passages` holds (title, headings and the
    year the passage was written count: "nel 2014" asks about what was written then; a
    figure written out in words counts). An age is not asked about (`ages`), nor a day or a
    month (`days`), nor a name or figure of the asker's own context (`in_context`: "I teach
    7th grade in Ohio. How much homework do you give?")."""
    text = " ".join(" ".join(language.words(f"{p.chunk.context} {(p.chunk.date or '')[:4]}")) for p in passages)
    across = sum(p.chunk.language not in (lang, None) for p in passages) > len(passages) / 2
    asked = specific_terms(question, lang, (*skip, *ages(question), *days(question)), across=across)
    missing = tuple(t for t in asked
                    if not held(t, text) and not spelled(t, text) and not in_context(question, lang, t))
    return Check("missing_terms", missing) if missing else Check(None)


TOPIC_ZIPF = language.TOPIC_ZIPF
content_words, unaddressed = language.content_words, language.unaddressed


def topic_terms(question: str, lang: str) -> list[str]:
    """Stems of the question's less common content words: what it is about ("biciclette
    elettriche"), not how it asks ("cosa pensi", "scrivi")."""
    return list(dict.fromkeys(language.terms(" ".join(content_words(question, lang)), lang, keep_stopwords=True)))


def off_topic(question: str, lang: str, passages: Sequence[Passage]) -> Check:
    """The question's topic words, none of which the passages in its language hold: they
    are near it in the vector space but about something else. Not judged across languages.
    Used on the parts of a two-part question: on whole questions asked in other words than
    the writings' it flags too many that the passages do answer."""
    same = [p for p in passages if p.chunk.language == lang]
    topic = topic_terms(question, lang)
    if not topic or not same:
        return Check(None)
    held = set()
    for p in same:
        held |= set(language.terms(p.chunk.context, lang))
    if any(t in held for t in topic):
        return Check(None)
    return Check("off_topic", tuple(topic))


def after_writings(question: str, latest: str | None, passages: Sequence[Passage] = ()) -> Check:
    """Years the question names that come after the latest dated writing and that none of
    `passages` mentions (an undated text may be newer than the dated ones)."""
    if not latest or not latest[:4].isdigit():
        return Check(None)
    last = int(latest[:4])
    said = " ".join(p.chunk.context for p in passages)
    later = tuple(y for y in dict.fromkeys(_YEAR.findall(question)) if int(y) > last and y not in said)
    return Check("after_writings", later) if later else Check(None)


def personal(is_personal: bool, relevance: float, threshold: float, published: bool = False) -> Check:
    """A private question stays unanswered unless a passage is very close to it, or it names
    only what the author wrote about in public (`published`: "Sei ancora su Facebook?" to an
    author who wrote of closing her accounts)."""
    if is_personal and relevance < threshold + NEAR_MARGIN and not published:
        return Check("personal")
    return Check(None)


def published(question: str, lang: str, passages: Sequence[Passage], skip: Iterable[str] = ()) -> bool:
    """Whether the question asks about what one of `passages` shows the author wrote about
    in public: it names something (a name, not a number) and one passage holds every name
    it uses ("Sei ancora su Facebook e Twitter?"; the names of the asker's own context,
    `in_context`, aside when the sentences that ask name something themselves, as
    "Casalecchio" in "Vivo a Casalecchio… Sei ancora iscritta a Facebook?", not "Instagram" in
    "Ti ho cercata su Instagram. Sei ancora iscritta ai social?"); or it names nothing and one passage in
    its language holds more than half of its topic words, two at least ("il dialetto
    bolognese lo parli?" to an author who wrote on Bolognese words; "Dove abiti?" has one,
    "Mi lasci il tuo numero di cellulare?" one, which a post on phones holds), or all its
    words, two at least, when none is less common ("What kind of car do you drive?" to an
    author who wrote of the electric car she bought; "Are you married?" has one; "In che
    anno sei nato, esattamente?" three, and a post on where he was born holds two)."""
    names = [t for t in specific_terms(question, lang, skip) if not any(c.isdigit() for c in t)]
    names = [t for t in names if not in_context(question, lang, t)] or names
    if names:
        return any(all(held(t, " ".join(language.words(p.chunk.context))) for t in names) for p in passages)
    topic = topic_terms(question, lang)
    if topic:
        return _mostly_held(topic, lang, passages, skip)
    # a question in common words only ("What kind of car do you drive?"): one passage holds them all
    return _mostly_held(language.terms(question, lang), lang, passages, skip, every=True)


def _mostly_held(words: Sequence[str], lang: str, passages: Sequence[Passage], skip: Iterable[str] = (),
                 every: bool = False) -> bool:
    """Whether one of `passages` in the question's language holds more than half of `words`
    (stems; `skip`'s words left out), or `every` one, two at least: one shared word is chance."""
    skipped = {w for s in skip for w in language.terms(s, lang, keep_stopwords=True)}
    topic = [t for t in dict.fromkeys(words) if t not in skipped]
    for p in passages:
        if p.chunk.language == lang:
            common = set(topic) & set(language.terms(p.chunk.context, lang))
            if len(common) >= 2 and (len(common) == len(topic) if every else 2 * len(common) > len(topic)):
                return True
    return False


def without(text: str, terms: Sequence[str], by: str = "") -> str:
    """`text` with each of `terms`, as a whole word, taken out (or replaced `by`)."""
    for term in terms:
        text = re.sub(r"(?<!\w)" + re.escape(term) + r"(?!\w)", by, text)
    return text


def named(question: str, terms: Sequence[str]) -> tuple[str, ...]:
    """`terms` as the question writes them: names next to each other joined ("Ancient Greek",
    not "Ancient", "Greek"), in the question's order."""
    spans = sorted((m.start(), m.end()) for t in dict.fromkeys(terms)
                   for m in [re.search(r"(?<!\w)" + re.escape(t) + r"(?!\w)", question)] if m)
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and not question[out[-1][1]:a].strip():
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return tuple(question[a:b] for a, b in out) or tuple(terms)


# a question asking how many or how much: its figure is about the thing named, not the rest
_QUANTITY = re.compile(r"\b(?:quant[oaie]|how (?:many|much))\b", re.IGNORECASE)


def aside(question: str, lang: str, passages: Sequence[Passage], missing: Sequence[str],
          skip: Iterable[str] = (), near: bool = False, alike: Alike | None = None) -> bool:
    """Whether the names in `missing` (no passage holds them) can be set aside and the rest
    of the question answered: they are names, not figures or years (`figure`), and one passage in the
    question's language holds most of the question's other words ("Leggi sul Kindle o sei
    ancora fedele ai libri di carta?" to an author who wrote on reading on paper and on a
    screen: the answer says what she wrote on that, and that she never wrote of the Kindle),
    or, when it asks no quantity, most of its topic words ("Why is Latin still worth studying
    now that AI translates anything?"), or the question is `near` the passages (relevance
    NEAR_MARGIN above the threshold: the name is a detail of a question on what they say, in
    either language: "Cosa pensi degli studenti che fanno tradurre le versioni a ChatGPT?" to
    an author who wrote on translating Latin in the age of chatbots). "Cosa pensi di Sam
    Altman?" has one word beside the name and is not that near: it stays unanswered. Given
    `alike` (the cross-lingual encoder's translation of a word among others: `Subjects.alike`),
    a passage in another language counts when it holds translations of most of the
    question's topic words (`_mostly_translated`: "Do you read on a Kobo, or are you a
    paper-only purist?" to an author who wrote in Italian of reading on paper and on a screen)."""
    if not missing or any(figure(t) for t in missing):
        return False
    skipped = tuple(skip) + tuple(missing)
    if _mostly_held(language.terms(question, lang), lang, passages, skipped):
        return True
    # or most of its topic words, or near the passages, when it asks no quantity: "how many
    # centrifuges at Natanz" is not answered by how many elsewhere
    return not quantity(question) and (
        near or _mostly_held(topic_terms(question, lang), lang, passages, skipped)
        or (alike is not None and _mostly_translated(question, lang, passages, skipped, alike)))


def names_left(question: str, lang: str, old: Passage, new: Passage, skip: Iterable[str] = ()) -> tuple[str, ...]:
    """The names and figures of the question (`specific_terms`) that `old` holds and `new`
    does not: a newer writing without them is not on what the question asks of the old one
    ("Lisbona", or the number of a tram, in a question on a 2014 walk through Lisbon, which a
    2023 walk to Florence never names). A term is held as the start of a word (`held`):
    "Lisbon" asked in English of "Lisbona"."""
    def folded(p: Passage) -> str:
        return " ".join(language.words(p.chunk.context))

    before, after = folded(old), folded(new)
    return tuple(t for t in specific_terms(question, lang, skip)
                 if held(t, before) and not held(t, after))


def figure(term: str) -> bool:
    """Whether `term` is a figure or a year ("2014", "3,5"), not a name that holds digits
    ("500e", "iPhone15"): a figure is asked of the passages themselves."""
    return any(c.isdigit() for c in term) and not any(c.isalpha() for c in term)


def quantity(question: str) -> bool:
    """Whether the question asks how many or how much: a figure the writings may not hold."""
    return bool(_QUANTITY.search(question))


TRANSLATED_WORDS_ZIPF = language.TRANSLATED_ZIPF
translations = language.translations


def _mostly_translated(question: str, lang: str, passages: Sequence[Passage], skip: Sequence[str],
                       alike: Alike) -> bool:
    """Whether one of `passages` in another language than the question's holds translations
    of more than half of the topic words of the question's asking sentences (`skip`'s left
    out), two at least: a word's translation is among that passage's rarer words, and
    translates back to it among the question's words (`alike` both ways, as
    `writings.translated`)."""
    skipped = {language.fold(w) for s in skip for w in language.words(s)}
    asking = " ".join(p.text for p in parts(question) if p.question)  # not the asker's context
    words = [w for w in dict.fromkeys(content_words(asking or question, lang)) if w not in skipped]
    if len(words) < 2:
        return False
    for p in passages:
        if p.chunk.language in (lang, None):
            continue
        found = len(translated_words(words, question, p, alike))
        if found >= 2 and 2 * found > len(words):
            return True
    return False


def translated_words(words: Sequence[str], question: str, passage: Passage, alike: Alike) -> list[str]:
    """Of `words` (the question's), those `passage` holds translated: the translation is
    among the passage's rarer words and translates back to the word among the question's
    words (`translations`)."""
    theirs = list(dict.fromkeys(content_words(passage.chunk.context, passage.chunk.language or "und",
                                              TRANSLATED_WORDS_ZIPF)))
    own = list(dict.fromkeys(language.words(question)))
    return [w for w in words if translations(w, theirs, own, alike)]


EVERY_ZIPF = 10.0  # above every word's frequency: `content_words` keeps them all


def on_subject(question: str, lang: str, passage: Passage, skip: Iterable[str] = (),
               alike: Alike | None = None) -> bool:
    """Whether `passage` is on what the question asks about: of the content words of the
    question's asking sentences (`skip`'s words, the author's name, left out), it holds half
    at least, and of their less common ones (`topic_terms`) each when they are one or two,
    more than half when more (stems); in another language, given `alike`, as many of them
    translated (`translated_words`). "Cosa pensi dei compiti?" and a passage on homework, in
    Italian or in English; not "Cosa pensi delle prove INVALSI?", nor "Insegna anche greco
    antico? Cosa ne pensa del greco rispetto al latino?" and a passage on teaching Latin
    (its one less common word, "insegna", held, but not "greco", "antico", "difficile")."""
    asking = " ".join(p.text for p in parts(question) if p.question) or question
    skipped = {language.fold(w) for s in skip for w in language.words(s)}
    every = [w for w in dict.fromkeys(content_words(asking, lang, EVERY_ZIPF)) if w not in skipped]
    less_common = set(content_words(asking, lang))
    rare = [w for w in every if w in less_common]
    if not every:
        return False
    if passage.chunk.language not in (lang, None):
        if alike is None:
            return False
        found = set(translated_words(every, question, passage, alike))
        return 2 * len(found) >= len(every) and len(found & set(rare)) >= _enough(len(rare))

    def stems(words: Sequence[str]) -> set[str]:
        return set(language.terms(" ".join(words), lang, keep_stopwords=True))

    held_ = set(language.terms(passage.chunk.context, lang))
    asked, topic = stems(every), stems(rare)
    return 2 * len(asked & held_) >= len(asked) and len(topic & held_) >= _enough(len(topic))


def _enough(n: int) -> int:
    """Of n words, how many a passage must hold: each when one or two, more than half when more."""
    return n if n <= 2 else n // 2 + 1


def translated_terms(question: str, lang: str, passage: Passage, alike: Alike) -> set[str]:
    """The stems (`topic_terms`) of the question's topic words that `passage`, in another
    language than the question's, holds as translations both ways ("homework" as
    "compiti"); none for a passage in the question's language."""
    if passage.chunk.language in (lang, None):
        return set()
    words = list(dict.fromkeys(content_words(question, lang)))
    return {t for w in translated_words(words, question, passage, alike)
            for t in language.terms(w, lang, keep_stopwords=True)}


def in_context(question: str, lang: str, term: str) -> bool:
    """Whether `term` is named only in the sentences of `question` that ask nothing, and the
    sentences that ask name a subject of their own: the asker's context ("I teach 7th grade
    in Ohio. How much homework do you give?"), not what the question asks. Not when what
    asks names nothing ("Ieri è uscito Mixtral. Lo hai provato?": it asks about Mixtral),
    nor a year ("Nel 2015 hai scritto…" names the writing asked about)."""
    if _YEAR.fullmatch(term):
        return False
    asking = context_only(question, (term,))
    return bool(asking) and bool(topic_terms(asking, lang))


def context_only(question: str, terms: Sequence[str]) -> str:
    """The sentences of `question` that ask something, joined, when each of `terms` is named
    only in its sentences that ask nothing (the asker's context: "Mio figlio fa il ginnasio al
    Galvani e fa versioni fino a sera. Lei quanto lavoro dà per il pomeriggio?"); "" otherwise."""
    pieces = parts(question)
    said = [" ".join(language.words(p.text)) for p in pieces if not p.question]
    asking = [p.text for p in pieces if p.question]
    asked = [" ".join(language.words(p)) for p in asking]
    if not said or not asking or not terms:
        return ""
    if all(any(held(t, s) for s in said) and not any(held(t, a) for a in asked) for t in terms):
        return " ".join(asking)
    return ""
