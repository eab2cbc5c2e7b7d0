"""The author's style profile, computed from the writings, not guessed.

`build` reads every ingested document and measures: languages; register (first person
singular or plural, how the reader is addressed: tu, Lei, voi, you); sentence and paragraph
lengths; words and expressions the author uses far more than the language at large (the
background is `wordfreq`'s frequency list of the same language); how paragraphs open and
documents close; punctuation and layout habits. The profile is written to `persona.md` in
the twin's home: numbers in YAML front matter, a readable summary, and a "Voice" section the
author may write in their own words. erre reads the file back, edits included, and a new
build keeps the author's Voice section.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import yaml

from . import language
from .chunk import sentences
from .errors import ErreError, MissingExtra

PERSONA_FILE = "persona.md"

# first-person and second-person forms, per language (lower case, as tokenized)
_PERSON = {
    "it": {"singular": {"io", "me", "mi", "mio", "mia", "miei", "mie"},
           "plural": {"noi", "nostro", "nostra", "nostri", "nostre"}},
    "en": {"singular": {"i", "me", "my", "mine", "myself"}, "plural": {"we", "us", "our", "ours", "ourselves"}},
}
_ADDRESS = {
    "it": {"tu": {"tu", "ti", "te", "tuo", "tua", "tuoi", "tue"},
           "voi": {"voi", "vi", "vostro", "vostra", "vostri", "vostre"}},
    "en": {"you": {"you", "your", "yours", "yourself", "yourselves"}},
}
# courtesy "Lei" is capitalised inside a sentence in Italian
_LEI = re.compile(r"(?<![.!?\n]\s)(?<!^)\b(Lei|Suo|Sua|Suoi|Sue)\b", re.MULTILINE)
_MARKS = {
    "questions": re.compile(r"\?"), "exclamations": re.compile(r"!"),
    "ellipses": re.compile(r"…|\.\.\."), "semicolons": re.compile(r";"), "colons": re.compile(r":(?!//)"),
    "dashes": re.compile(r"—|–|\s-\s"), "parentheses": re.compile(r"\("),
    "quotes": re.compile(r"[«“\"]"), "list_items": re.compile(r"^\s*(?:[-*•]|\d+[.)])\s", re.MULTILINE),
}


@dataclass
class Profile:
    name: str
    documents: int
    words: int
    languages: dict[str, float]  # share of the words
    person: dict[str, float]  # first-person forms per 1,000 words: singular, plural
    address: dict[str, float]  # forms addressing the reader per 1,000 words: tu, Lei, voi, you
    sentence_words: dict[str, float]  # words per sentence: mean, p10, p50, p90
    paragraph_words: dict[str, float]
    marks: dict[str, float]  # per 1,000 words
    question_share: float  # share of sentences that are questions
    headings: float  # heading-like short lines per 1,000 words
    distinctive_words: list[str]
    expressions: list[str]
    openings: list[str]  # words that most often open a sentence, with their share
    closings: list[str]  # how some documents end
    voice: str = field(default="", compare=False)  # the author's own description

    @property
    def main_language(self) -> str:
        return max(self.languages, key=lambda k: self.languages[k]) if self.languages else "und"

    def register(self) -> list[str]:
        """The register in words: person, address, formality."""
        out = []
        sing, plur = self.person.get("singular", 0.0), self.person.get("plural", 0.0)
        if sing or plur:
            out.append("first person singular" if sing >= plur else "first person plural")
        if self.address and max(self.address.values()) >= 0.5:
            form = max(self.address, key=lambda k: self.address[k])
            out.append(f"addresses the reader as '{form}'" + (" (formal)" if form == "Lei" else ""))
        else:
            out.append("rarely addresses the reader directly")
        return out


def _tokenize(text: str, lang: str) -> list[str]:
    try:
        import wordfreq
    except ImportError:
        raise MissingExtra("wordfreq (the background word frequencies)", "wordfreq") from None
    return [t for t in wordfreq.tokenize(text, lang) if any(c.isalpha() for c in t)]


def _background(word: str, lang: str) -> float:
    import wordfreq

    return max(wordfreq.word_frequency(word, lang), 1e-8)


def _stats(values: list[int]) -> dict[str, float]:
    if not values:
        return {"mean": 0.0, "p10": 0.0, "p50": 0.0, "p90": 0.0}
    a = np.array(values, dtype=float)
    p10, p50, p90 = np.percentile(a, [10, 50, 90])
    return {"mean": round(float(a.mean()), 1), "p10": round(float(p10), 1), "p50": round(float(p50), 1),
            "p90": round(float(p90), 1)}


def build(documents, name: str) -> Profile:
    """The profile of `documents`: (source, title, language, text) tuples, as the store gives."""
    docs = [(lang or "und", text) for _, _, lang, text in documents if text and text.strip()]
    if not docs:
        raise ErreError("Nothing to study: the index has no documents. Run: erre ingest ~/writing")
    by_lang: Counter[str] = Counter()
    tokens: dict[str, list[str]] = {}
    sentence_words: list[int] = []
    paragraph_words: list[int] = []
    question_sentences = 0
    marks: Counter[str] = Counter()
    headings = lei = 0
    openings: dict[str, Counter[str]] = {}
    closings: list[str] = []
    for lang, text in docs:
        words = _tokenize(text, lang)
        by_lang[lang] += len(words)
        tokens.setdefault(lang, []).extend(words)
        lei += len(_LEI.findall(text)) if lang == "it" else 0
        for key, pattern in _MARKS.items():
            marks[key] += len(pattern.findall(text))
        for para in re.split(r"\n\s*\n", text):
            n = len(para.split())
            if not n:
                continue
            if n <= 10 and not re.search(r"[.!?:;…»”\"]\s*$", para):
                headings += 1
                continue
            paragraph_words.append(n)
            for a, b in sentences(para):
                sentence = para[a:b]
                sentence_words.append(len(sentence.split()))
                question_sentences += sentence.rstrip().endswith("?")
                first = _tokenize(sentence[:40], lang)
                if first and not sentence.lstrip().startswith(("-", "*", "•")):
                    openings.setdefault(lang, Counter())[first[0]] += 1
        spans = sentences(text)
        if spans:
            last = text[spans[-1][0]:spans[-1][1]].strip()
            if 4 <= len(last.split()) <= 30 and len(closings) < 5:
                closings.append(last)
    total = sum(by_lang.values()) or 1
    per_k = lambda n: round(1000 * n / total, 2)  # noqa: E731
    main = by_lang.most_common(1)[0][0]
    counts = Counter(tokens.get(main, []))
    person = {k: per_k(sum(counts[w] for w in forms)) for k, forms in _PERSON.get(main, {}).items()}
    address = {k: per_k(sum(counts[w] for w in forms)) for k, forms in _ADDRESS.get(main, {}).items()}
    if main == "it":
        address["Lei"] = per_k(lei)
    return Profile(
        name=name, documents=len(docs), words=total,
        languages={k: round(v / total, 3) for k, v in by_lang.most_common()},
        person=person, address=address,
        sentence_words=_stats(sentence_words), paragraph_words=_stats(paragraph_words),
        marks={k: per_k(v) for k, v in marks.items()},
        question_share=round(question_sentences / max(1, len(sentence_words)), 3),
        headings=per_k(headings),
        distinctive_words=_distinctive(counts, main),
        expressions=_expressions(tokens.get(main, []), main),
        openings=_openings(openings.get(main, Counter()), main),
        closings=closings,
    )


def _distinctive(counts: Counter[str], lang: str, n: int = 25) -> list[str]:
    """Words used far more than in the language at large, weighted by use (a word's share of
    the log-likelihood ratio against the background)."""
    total = sum(counts.values()) or 1
    stop = language.stopwords(lang)
    minimum = max(3, total // 20000)
    scored = []
    for word, c in counts.items():
        if c < minimum or len(word) < 4 or language.fold(word) in stop or not word.isalpha():
            continue
        p = c / total
        bg = _background(word, lang)
        if p > bg:
            scored.append((c * math.log(p / bg), word))
    return [w for _, w in sorted(scored, reverse=True)[:n]]


_ARTICLES = {"it": {"il", "lo", "la", "i", "gli", "le", "l", "un", "uno", "una"}, "en": {"the", "a", "an"},
             "fr": {"le", "la", "les", "l", "un", "une", "des"}, "es": {"el", "la", "los", "las", "un", "una"},
             "de": {"der", "die", "das", "ein", "eine"}}


def _openings(openings: Counter[str], lang: str, n: int = 8) -> list[str]:
    """The words sentences most often open with ("But", "Quindi", "I"), articles aside, with
    the share of sentences each opens."""
    total = sum(openings.values()) or 1
    skip = _ARTICLES.get(lang, set())
    return [f"{w} ({100 * c / total:.0f}%)" for w, c in openings.most_common(n + len(skip))
            if w not in skip and c >= 3 and c / total >= 0.01][:n]


def _expressions(words: list[str], lang: str, n: int = 15) -> list[str]:
    """Recurring two- and three-word phrases that mix grammar words with content words ("a mio
    avviso", "in pratica"): habits of phrasing more than topics."""
    stop = language.stopwords(lang)
    total = len(words) or 1
    grams: Counter[tuple[str, ...]] = Counter()
    for size in (2, 3):
        grams.update(tuple(words[i:i + size]) for i in range(len(words) - size + 1))
    scored = []
    for gram, c in grams.items():
        if c < 3:
            continue
        is_stop = [language.fold(w) in stop for w in gram]
        if all(is_stop) or not any(is_stop) or is_stop[0] and is_stop[-1] and len(gram) == 2:
            continue
        expected = math.prod(_background(w, lang) for w in gram)
        scored.append((c * math.log((c / total) / expected), " ".join(gram)))
    out: list[str] = []
    for _, phrase in sorted(scored, reverse=True):
        if not any(phrase in o or o in phrase for o in out):
            out.append(phrase)
        if len(out) == n:
            break
    return out


# -- persona.md -------------------------------------------------------------------

_VOICE_HINT = ("<!-- Describe here, in your own words, how you write: tone, habits, what you never do. "
               "erre keeps this section when it rebuilds the profile. -->")


def summary(p: Profile) -> str:
    """The profile in plain words, as persona.md and `erre persona show` print it."""
    s, q = p.sentence_words, p.paragraph_words
    langs = ", ".join(f"{k} {100 * v:.0f}%" for k, v in p.languages.items())
    lines = [
        f"- **Writings**: {p.documents} documents, {p.words:,} words; languages: {langs}.",
        f"- **Register**: {'; '.join(p.register())}.",
        f"- **Sentences**: {s['mean']:.0f} words on average (half under {s['p50']:.0f}, one in ten over "
        f"{s['p90']:.0f}); {100 * p.question_share:.0f}% are questions.",
        f"- **Paragraphs**: {q['mean']:.0f} words on average (10% under {q['p10']:.0f}, 10% over {q['p90']:.0f}); "
        f"{p.headings:.1f} headings per 1,000 words.",
        "- **Punctuation and layout** (per 1,000 words): " + ", ".join(
            f"{k.replace('_', ' ')} {v:.1f}" for k, v in sorted(p.marks.items(), key=lambda kv: -kv[1])) + ".",
    ]
    if p.distinctive_words:
        lines.append(f"- **Distinctive words**: {', '.join(p.distinctive_words)}.")
    if p.expressions:
        lines.append(f"- **Recurring expressions**: {', '.join(p.expressions)}.")
    if p.openings:
        lines.append(f"- **Sentences often open with**: {', '.join(p.openings)}.")
    if p.closings:
        lines.append("- **Some endings**: " + " / ".join(f"“{c}”" for c in p.closings[:3]))
    return "\n".join(lines)


def render(p: Profile) -> str:
    data = {k: v for k, v in asdict(p).items() if k != "voice"}
    front = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    voice = p.voice.strip() or _VOICE_HINT
    return (f"---\n{front}---\n\n# {p.name}: how I write\n\nComputed by `erre persona build` from the "
            f"ingested writings; the numbers above can be edited.\n\n{summary(p)}\n\n## Voice\n\n{voice}\n")


def save(p: Profile, home: Path) -> Path:
    """Writes persona.md, keeping the Voice section of an existing one."""
    path = home / PERSONA_FILE
    if path.exists() and not p.voice:
        p.voice = load(home).voice
    path.write_text(render(p), encoding="utf-8")
    return path


def load(home: Path) -> Profile:
    path = home / PERSONA_FILE
    if not path.exists():
        raise ErreError(f"No persona yet in {home}. Run: erre persona build")
    text = path.read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n(.*)", text, re.DOTALL)
    if not m:
        raise ErreError(f"{path}: the profile must start with front matter between '---' lines")
    try:
        data = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as e:
        raise ErreError(f"{path}: the front matter is not valid YAML ({e})") from None
    fields = {f for f in Profile.__dataclass_fields__ if f != "voice"}
    missing = fields - set(data)
    if missing or not isinstance(data, dict):
        raise ErreError(f"{path}: missing {', '.join(sorted(missing))}. Run: erre persona build")
    voice = m.group(2).split("\n## Voice\n", 1)
    text_voice = re.sub(r"<!--.*?-->", "", voice[1], flags=re.DOTALL).strip() if len(voice) == 2 else ""
    return Profile(**{k: data[k] for k in fields}, voice=text_voice)
