"""The twin's words, per language: the prompt texts (`prompts/<lang>.toml` over the English
file), the languages' names as the prompt gives them, and quotation marks."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

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


def spoken_date(iso: str, lang: str) -> str:
    """A document's date as the answer says it: "del 19 febbraio 2024", "written on May 30, 2021"."""
    texts = prompts(lang)
    parts = iso.split("-")
    month = texts["months"].split()[int(parts[1]) - 1] if len(parts) > 1 else ""
    key = {1: "date_year", 2: "date_month"}.get(len(parts), "date_day")
    day = int(parts[2]) if len(parts) > 2 else 0
    if day in (8, 11) and "date_day_vowel" in texts:  # "dell'8 marzo", "dell'11 febbraio"
        key = "date_day_vowel"
    return texts[key].format(year=parts[0], month=month, day=day or "")


def quoted(items: Sequence[str], lang: str) -> str:
    left, right = _QUOTES.get(lang, ("«", "»"))
    return ", ".join(f"{left}{t}{right}" for t in items)


def not_covered(lang: str, uncovered: Sequence[str], elsewhere: Sequence[str] = (), unnamed: Sequence[str] = ()) -> str:
    """What is said after an answer of the parts and names of the question the writings do
    not cover, no more than the checks found: a part no passage answers (`uncovered`: "A «…»,
    invece, non rispondo: nei miei scritti non ne trovo una risposta precisa."), a name no
    writing holds (`unnamed`: "Nei miei scritti non nomino mai «Kindle»."; not "I never wrote
    about it": she may have, in other words, of e-readers), or one held on another point only
    (`elsewhere`: "Nei miei scritti nomino «Bologna» altrove, non a questo proposito."). ""
    when there are none."""
    texts = prompts(lang)
    said = [texts["uncovered"].format(parts=quoted(uncovered, lang))] if uncovered else []
    if unnamed:
        said.append(texts["unnamed"].format(terms=quoted(unnamed, lang)))
    if elsewhere:
        said.append(texts["elsewhere"].format(terms=quoted(elsewhere, lang)))
    return " ".join(said)
