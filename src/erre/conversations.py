"""Conversations, the same for every channel (erre ask and erre chat, the web chat, the
Telegram bot): which conversation a message belongs to, its history for the next question,
and the exchange stored once answered, in one transaction.

A conversation has a channel (cli, web, telegram) and an owner (a browser, a Telegram chat;
None on the author's own machine): a channel only ever sees its owner's conversations. One
that starts without a title is titled by its first question.
"""

from __future__ import annotations

from .documents import Answer, Turn
from .errors import ErreError
from .store import Conversation, Store

TITLE_CHARS = 80  # a conversation titled by its first question keeps this much of it
GIVEN_TITLE_CHARS = 200  # a title given by the reader


def title_of(text: str, limit: int = TITLE_CHARS) -> str:
    return " ".join(text.split())[:limit]


class Conversations:
    def __init__(self, store: Store):
        self.store = store

    def get(self, id: str, *, channel: str | None = None, owner: str | None = None) -> Conversation:
        """Conversation `id`, when it exists (and belongs to `channel` and `owner`, when given)."""
        c = self.store.conversation(id)
        if c is None or (channel is not None and (c.channel != channel or c.owner != owner)):
            raise NoConversation(id)
        return c

    def latest(self, owner: str | None = None, channel: str | None = None) -> Conversation | None:
        """The owner's most recent conversation (on `channel`, when given)."""
        return next((c for c in self.store.conversations(owner=owner, limit=50)
                     if channel is None or c.channel == channel), None)

    def start(self, channel: str, owner: str | None = None, title: str = "") -> str:
        """A new conversation; untitled ones take their first question as title."""
        return self.store.new_conversation(title_of(title, GIVEN_TITLE_CHARS), channel=channel, owner=owner)

    def current(self, channel: str, owner: str) -> str:
        """The owner's conversation on a channel of one conversation per owner (Telegram):
        the latest, or a new one."""
        found = self.latest(owner, channel)
        return found.id if found is not None else self.start(channel, owner)

    def history(self, id: str | None) -> list[Turn]:
        """The turns before the next question, oldest first ([] for a new conversation)."""
        return self.store.turns(id) if id else []

    def record(self, id: str | None, question: str, answer: Answer, *, channel: str,
               owner: str | None = None) -> str:
        """Store an answered question: in conversation `id`, or in a new one titled by the
        question when `id` is None. Returns the conversation's id."""
        if id is None:
            return self.store.new_conversation(title_of(question), channel=channel, owner=owner,
                                               exchange=(question, answer))
        self.store.add_exchange(id, question, answer, title=title_of(question))
        return id

    def list(self, owner: str | None = None, limit: int = 50) -> list[Conversation]:
        return self.store.conversations(owner=owner, limit=limit)

    def delete(self, id: str) -> bool:
        return self.store.delete_conversation(id)


class NoConversation(ErreError):
    def __init__(self, id: str):
        super().__init__(f"No conversation {id}. See: erre chat --list")
        self.id = id
