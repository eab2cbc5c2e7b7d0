"""What a reply streams to a channel: the passages about to be read, the answer's pieces as
they come, and the answer whole, last."""

from __future__ import annotations

from dataclasses import dataclass

from ..documents import Answer, Citation


@dataclass(frozen=True)
class Token:
    """A piece of the answer's text, as it streams."""

    text: str


@dataclass(frozen=True)
class Done:
    """The answer, whole: the last event."""

    answer: Answer


@dataclass(frozen=True)
class Reading:
    """The passages the model is about to read, numbered as in its prompt, sent before it
    writes: reading them is most of the wait for the first word, so channels show them (and
    that the twin is writing) at once."""

    sources: tuple[Citation, ...]
    language: str  # the answer's

    def brief(self) -> list[dict]:
        """The passages as channels send them before the answer: no quote yet."""
        return [{"n": c.n, "title": c.title, "source": c.source, "date": c.date} for c in self.sources]


Event = Token | Reading | Done
