"""Language of a text, and the terms a lexical index keeps of it.

Lexical search matches stems, not words: "pensato", "penso" and "pensare" meet in the
Italian Snowball stem. Each text is stemmed with the stemmer of its own language; a query
is stemmed with every stemmer the index uses, so proper names and numbers still match
across languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

# ISO 639-1 -> Snowball algorithm (PyStemmer)
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fi": "finnish",
    "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian",
    "id": "indonesian", "it": "italian", "lt": "lithuanian", "ne": "nepali", "nl": "dutch",
    "no": "norwegian", "nb": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil",
    "tr": "turkish",
}

_WORD = re.compile(r"\w+", re.UNICODE)


def detect(text: str, default: str = "und") -> str:
    """ISO 639-1 code of the text's language, `default` when there is too little text; the
    first one erre knows (`known`) when the identifier ranks a regional one first."""
    sample = text[:4000]
    if len(_WORD.findall(sample)) < 2:
        return default
    import py3langid

    ranked = [lang for lang, _ in py3langid.rank(sample)]
    return next((lang for lang in ranked if known(lang)), ranked[0])


def detect_query(text: str, candidates: tuple[str, ...] = ()) -> str:
    """Language of a short question. Short texts fool identifiers; when the question is
    short, prefer one of the languages the index holds (or Italian and English). A language
    erre has neither a word list nor a stemmer for (a regional one, "lij" for an Italian
    question of twelve words; "zxx", no language) gives way to the next one it knows."""
    import py3langid

    words = _WORD.findall(text)
    if not words:
        return "und"
    ranked = [lang for lang, _ in py3langid.rank(text)]
    allowed = set(candidates) | {"it", "en"}
    if len(words) < 8 and candidates:
        return next((lang for lang in ranked if lang in allowed), ranked[0])
    return next((lang for lang in ranked if lang in allowed or known(lang)), ranked[0])


@lru_cache(maxsize=None)
def known(lang: str) -> bool:
    """Whether erre reads `lang` as a language of its own: wordfreq has its word list, or
    Snowball its stemmer."""
    from wordfreq import available_languages

    return lang in SNOWBALL or lang in available_languages()


def zipf(word: str, lang: str) -> float:
    """How common `word` is in `lang` on wordfreq's Zipf scale (0 for a word never seen);
    0 as well in a language wordfreq has no list for (a short question can be detected as
    one, "lij"): every word of it counts as rare."""
    from wordfreq import zipf_frequency

    try:
        return zipf_frequency(word, lang)
    except LookupError:
        return 0.0


@lru_cache(maxsize=None)
def _stemmer(lang: str):
    name = SNOWBALL.get(lang)
    if name is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(name)


@lru_cache(maxsize=None)
def stopwords(lang: str) -> frozenset[str]:
    from stop_words import StopWordError, get_stop_words

    try:
        return frozenset(fold(w) for w in get_stop_words(lang))
    except StopWordError:
        return frozenset()


def fold(word: str) -> str:
    """Lower case without accents, so "perché" and "perche" are one term."""
    word = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in word if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text)]


def terms(text: str, lang: str | None, *, keep_stopwords: bool = False) -> list[str]:
    """The stems a text contributes to the lexical index, in order."""
    ws = words(text)
    lang = lang or "und"
    if not keep_stopwords:
        stop = stopwords(lang)
        ws = [w for w in ws if w not in stop]
    stem = _stemmer(lang)
    # the stemmer works on the unaccented form too: Snowball handles both spellings
    return stem.stemWords(ws) if stem else ws


def query_terms(text: str, langs: tuple[str, ...]) -> list[str]:
    """Distinct stems of a question under each language in `langs` (question's first)."""
    seen: dict[str, None] = {}
    for lang in langs:
        for t in terms(text, lang):
            seen.setdefault(t, None)
    return list(seen)


TOPIC_ZIPF = 4.5  # a content word rarer than this in its language names the thing asked about
TRANSLATED_ZIPF = 5.5  # a passage's words rarer than this are the translations looked among
# how readers address the author: a greeting, a title, a name, before a comma ("Prof, …",
# "Ciao Livia, …", "Gentile professoressa, …") or a title between commas ("…, prof, …")
_GREETING = r"(?:ciao|salve|buongiorno|buonasera|gentil\w*|car[ao]|egregi[ao]|hi|hello|hey|dear)"
_TITLE = (r"(?:prof(?:\.|\.?ssa)?|professor\w*|maestr[ao]|signor[ae]?|dott\w*|mrs?\.?|ms\.?|miss|dr\.?|"
          r"madam|ma'am|sir|teacher)")
_ADDRESS = re.compile(
    rf"^\W*(?:{_GREETING}(?:\s+{_TITLE})?(?:\s+[A-Z][\w'-]*){{0,2}}|{_TITLE}(?:\s+[A-Z][\w'-]*){{0,2}})\s*[,!:]"
    rf"|,\s*{_TITLE}(?:\s+[A-Z][\w'-]*)?\s*(?=[,?!.]|$)", re.IGNORECASE)


def unaddressed(question: str) -> str:
    """`question` without the words addressing the author: they are not what it asks about."""
    return _ADDRESS.sub(" ", question)


def content_words(text: str, lang: str, rarer: float = TOPIC_ZIPF) -> list[str]:
    """The words of `text` (a question) rarer than `rarer` in its language (wordfreq's scale),
    stopwords, numbers, words of two letters and the words addressing the author left out."""
    stop = stopwords(lang)
    return [w for w in words(unaddressed(text)) if w not in stop and not w.isdigit() and len(w) > 2
            and zipf(w, lang) < rarer]


Alike = Callable[[str, Sequence[str]], list[str]]  # the words of a list that translate a word


def translations(word: str, theirs: Sequence[str], own: Sequence[str], alike: Alike) -> list[str]:
    """The words of `theirs` (another language's) that translate `word` both ways: `alike`
    (a cross-lingual encoder's nearest words: `Subjects.alike`) finds them among `theirs`,
    and finds `word` first among `own` (the words of `word`'s language, `word` with them)
    for each ("homework" -> "compiti" -> "homework"; "readers" -> "lettura" -> "reading" is
    no translation)."""
    return [t for t in alike(word, theirs) if alike(t, own)[:1] == [word]]
