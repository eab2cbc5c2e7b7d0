"""The conversation log, written once for SQLite and PostgreSQL.

Both stores keep conversations in the same two tables (`conversations`, `turns`) and speak
the same SQL; a store mixes in `ConversationSQL` and says how to run it: a transaction
(`_tx`), a read (`_read`), its parameter mark, its insertion-order column, and how text is
made storable. A question and its answer are written in one transaction, together with the
conversation when it is new, so a conversation never holds a question without its answer.
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

from ..documents import Answer, Citation, Turn
from ..errors import ErreError
from . import Conversation

TITLE_LIMIT = 200  # characters of a conversation's title that are stored

_SELECT = ("SELECT c.id, c.title, c.channel, c.owner, c.created, c.updated, "
           "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) FROM conversations c ")
_NEW = "INSERT INTO conversations(id, title, channel, owner, created, updated) VALUES (?,?,?,?,?,?)"
_TURN = "INSERT INTO turns(conversation_id, role, content, citations, abstained, created) VALUES (?,?,?,?,?,?)"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class ConversationSQL(ABC):
    """The ConversationLog protocol over SQL; see the module's docstring for what the store gives."""

    _MARK = "?"  # the driver's parameter mark
    _ORDER = "c.rowid"  # the conversations' insertion order, to break ties

    @abstractmethod
    def _tx(self) -> AbstractContextManager[Any]:
        """A write transaction: committed when the block ends, rolled back on error."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[Any]:
        """A connection to read from."""

    @staticmethod
    def _text(text: str) -> str:
        return text

    def _sql(self, sql: str) -> str:
        return sql if self._MARK == "?" else sql.replace("?", self._MARK)

    def new_conversation(self, title: str, channel: str = "cli", owner: str | None = None,
                         exchange: tuple[str, Answer] | None = None) -> str:
        """A new conversation's id; with its first `exchange` (question, answer) written in
        the same transaction."""
        cid, at = uuid.uuid4().hex, now()
        with self._tx() as db:
            db.execute(self._sql(_NEW), (cid, self._text(title[:TITLE_LIMIT]), channel, owner, at, at))
            if exchange is not None:
                self._turns(db, cid, exchange, at)
        return cid

    def conversations(self, owner: str | None = None, limit: int = 50) -> list[Conversation]:
        sql, args = _SELECT, ()  # type: tuple[str, tuple[str, ...]]
        if owner is not None:
            sql, args = sql + "WHERE c.owner = ? ", (owner,)
        sql += ("ORDER BY c.updated DESC, (SELECT max(t.id) FROM turns t WHERE t.conversation_id = c.id) "
                f"DESC NULLS LAST, {self._ORDER} DESC LIMIT ?")
        with self._read() as db:
            rows = db.execute(self._sql(sql), (*args, int(limit))).fetchall()
        return [Conversation(*r) for r in rows]

    def conversation(self, id: str) -> Conversation | None:
        with self._read() as db:
            row = db.execute(self._sql(_SELECT + "WHERE c.id = ?"), (id,)).fetchone()
        return Conversation(*row) if row else None

    def turns(self, conversation_id: str) -> list[Turn]:
        with self._read() as db:
            rows = db.execute(self._sql("SELECT role, content, citations, abstained, created FROM turns "
                                        "WHERE conversation_id = ? ORDER BY id"), (conversation_id,)).fetchall()
        return [Turn(r[0], r[1], tuple(Citation(**c) for c in json.loads(r[2])), bool(r[3]), r[4]) for r in rows]

    def add_exchange(self, conversation_id: str, question: str, answer: Answer, *,
                     title: str | None = None) -> None:
        """Store a question and its answer; `title` names the conversation if it has no title yet."""
        at = now()
        with self._tx() as db:
            if not db.execute(self._sql("UPDATE conversations SET updated = ? WHERE id = ?"),
                              (at, conversation_id)).rowcount:
                raise ErreError(f"No conversation {conversation_id}. Start a new one.")
            if title:
                db.execute(self._sql("UPDATE conversations SET title = ? WHERE id = ? AND title = ''"),
                           (self._text(title[:TITLE_LIMIT]), conversation_id))
            self._turns(db, conversation_id, (question, answer), at)

    def _turns(self, db, conversation_id: str, exchange: tuple[str, Answer], at: str) -> None:
        question, answer = exchange
        cites = json.dumps([c.__dict__ for c in answer.citations], ensure_ascii=False)
        for role, content, cited, abstained in (("user", question, "[]", False),
                                                ("assistant", answer.text, cites, answer.abstained)):
            db.execute(self._sql(_TURN), (conversation_id, role, self._text(content), self._text(cited),
                                          bool(abstained), at))

    def rename_conversation(self, id: str, title: str) -> None:
        with self._tx() as db:
            db.execute(self._sql("UPDATE conversations SET title = ? WHERE id = ?"),
                       (self._text(title[:TITLE_LIMIT]), id))

    def delete_conversation(self, id: str) -> bool:
        with self._tx() as db:
            return db.execute(self._sql("DELETE FROM conversations WHERE id = ?"), (id,)).rowcount > 0

    def put_conversation(self, conversation: Conversation, turns: Sequence[Turn]) -> None:
        """Write a conversation exactly as given (copying between stores)."""
        c = conversation
        with self._tx() as db:
            db.execute(self._sql("DELETE FROM conversations WHERE id = ?"), (c.id,))
            db.execute(self._sql(_NEW), (c.id, self._text(c.title), c.channel, c.owner, c.created, c.updated))
            for t in turns:
                cites = json.dumps([x.__dict__ for x in t.citations], ensure_ascii=False)
                db.execute(self._sql(_TURN), (c.id, t.role, self._text(t.content), self._text(cites),
                                              bool(t.abstained), t.created))
