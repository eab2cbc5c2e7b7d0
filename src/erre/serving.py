"""One model, a fixed number of answers at a time (one, unless the model is a server with
parallel slots): requests from every channel (the web chat, the API, the Telegram bot) wait
their turn in one bounded line."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from collections.abc import Iterator

from .errors import ErreError


class Busy(ErreError):
    """The line of waiting requests is full: retry after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"The twin is answering other questions and {retry_after} s is a fair wait; "
                         f"retry after that.")
        self.retry_after = retry_after


class Gate:
    """At most `answering` requests are answered at once and `waiting` more wait; more are told
    to retry (Busy), never queued without limit. A request takes a ticket as it arrives (so a
    full line is an immediate error, before any streaming starts) and holds one of the model's
    places while it answers."""

    def __init__(self, waiting: int = 8, seconds_per_answer: int = 15, answering: int = 1):
        self.waiting = max(0, waiting)
        self.answering = max(1, answering)
        self.seconds_per_answer = seconds_per_answer
        self._model = threading.Semaphore(self.answering)
        self._count = threading.Lock()
        self._inside = 0  # answering or waiting

    @property
    def load(self) -> int:
        return self._inside

    def ticket(self) -> "Ticket":
        with self._count:
            if self._inside >= self.waiting + self.answering:
                raise Busy(self.seconds_per_answer * max(1, self._inside // self.answering))
            self._inside += 1
        return Ticket(self)

    def _leave(self) -> None:
        with self._count:
            self._inside -= 1


class Ticket:
    """A place in the line: `with ticket.turn(): ...` waits for the model and holds it;
    `close()` gives the place back when the request ends without its turn."""

    def __init__(self, gate: Gate):
        self._gate = gate
        self._done = False

    @contextmanager
    def turn(self) -> Iterator[None]:
        try:
            with self._gate._model:
                yield
        finally:
            self.close()

    def close(self) -> None:
        if not self._done:
            self._done = True
            self._gate._leave()
