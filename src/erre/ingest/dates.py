"""When a document was written: its date as the loaders find it, made one shape.

Every date is stored as ISO `YYYY-MM-DD` (or `YYYY-MM`, `YYYY` when the source says no
more), so dates compare as strings. Sources, best first: the format's own metadata (front
matter `date`, else `updated`; a Jekyll/Hugo file name `YYYY-MM-DD-slug`; PDF, EPUB and DOCX
metadata; a JSONL `date`; an HTML page's published date), then, as a last resort, a date
written in the document's first lines ("Bologna, 12 marzo 2016", "March 3, 2018",
"2016-03-12"). The file's modification time never counts: copying a folder changes it.
"""

from __future__ import annotations

import datetime as dt
import re

# the months in the languages erre's first users write in (full names and usual abbreviations)
_FULL = (("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
          "novembre", "dicembre"),
         ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"))
MONTHS = {
    **{m: i for names in _FULL for i, m in enumerate(names, 1)},
    **{m: i for i, m in enumerate(("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott",
                                   "nov", "dic"), 1)},
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                   "nov", "dec"), 1)},
    "sept": 9,
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?(?![\d-])")
_SLASHED = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b|\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:º|°|st|nd|rd|th)?\s+(?:di\s+|of\s+)?" + _MONTH + r",?\s+(\d{4})\b",
                             re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"\b" + _MONTH + r"\s+(?:del\s+|of\s+)?(\d{4})\b", re.IGNORECASE)
_PDF = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?")
FIRST_LINES = 3  # lines of a document where a written date is looked for
LINE_CHARS = 80  # a line longer than this is prose, not a dateline
DATELINE_WORDS = 4  # words beside the date in a dateline (a place: "San Lazzaro di Savena, …")


def _made(year: int, month: int | None = None, day: int | None = None) -> str | None:
    """The ISO date, or None when it is no real date or not a plausible writing date."""
    if not 1900 <= year <= dt.date.today().year + 1:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def normalise(value) -> str | None:
    """A date as metadata gives it (a date object, ISO text, a PDF date, written words), as
    ISO text; None when it holds no date."""
    if value is None or value == "":
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return _made(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        return _made(value)
    text = str(value).strip()
    if m := _PDF.match(text):
        return _made(int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None)
    if re.fullmatch(r"\d{4}", text):
        return _made(int(text))
    return written(text)


def written(text: str) -> str | None:
    """The first date written in `text`: ISO, slashed (day first, as in Italy and most of
    Europe, unless the year comes first) or in words, in Italian or English."""
    found = _found(text)
    return found[2] if found else None


def _found(text: str) -> tuple[int, int, str] | None:
    """(start, end, ISO date) of the first date written in `text`."""
    found: list[tuple[int, int, str]] = []
    if m := _ISO.search(text):
        found.append((m.start(), m.end(), _made(int(m[1]), int(m[2]), int(m[3]) if m[3] else None) or ""))
    if m := _SLASHED.search(text):
        date = (_made(int(m[1]), int(m[2]), int(m[3])) if m[1] else _made(int(m[6]), int(m[5]), int(m[4])))
        found.append((m.start(), m.end(), date or ""))
    if m := _DAY_MONTH_YEAR.search(text):
        found.append((m.start(), m.end(), _made(int(m[3]), MONTHS[m[2].lower()], int(m[1])) or ""))
    if m := _MONTH_DAY_YEAR.search(text):
        found.append((m.start(), m.end(), _made(int(m[3]), MONTHS[m[1].lower()], int(m[2])) or ""))
    if not found and (m := _MONTH_YEAR.search(text)):
        found.append((m.start(), m.end(), _made(int(m[2]), MONTHS[m[1].lower()]) or ""))
    dated = [f for f in sorted(found) if f[2]]
    return dated[0] if dated else None


def in_first_lines(text: str) -> str | None:
    """A dateline: a date written in one of the first short lines of a document ("Bologna,
    12 marzo 2016"); a date inside the prose is about something else, not the writing."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][:FIRST_LINES]
    for line in lines:
        if len(line) <= LINE_CHARS and (found := _found(line)):
            start, end, date = found
            if len((line[:start] + line[end:]).split()) <= DATELINE_WORDS:
                return date
    return None


def date_words(iso: str | None) -> str:
    """The words a sentence may tell an ISO date with, in Italian and English: "2023-10-05"
    -> "2023 ottobre october 5" (a year alone: "2023")."""
    if not iso or not (m := re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", iso)):
        return ""
    words = [m[1]]
    if m[2] and 1 <= int(m[2]) <= 12:
        words += [names[int(m[2]) - 1] for names in _FULL]
    if m[3]:
        words.append(str(int(m[3])))
    return " ".join(words)
