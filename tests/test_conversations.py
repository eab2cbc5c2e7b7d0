"""Conversations in the twin's database: a question and its answer are stored together."""

from __future__ import annotations

import pytest

from erre.documents import Answer, Citation
from erre.errors import ErreError


def _answer(text="Per rallentare [1].", abstained=False):
    cite = Citation(n=1, source="a.md", title="A", url=None, page=None, quote="Rallento.", score=0.9,
                    passage_id=3, start=0, end=9)
    return Answer(text=text, abstained=abstained, language="it", citations=() if abstained else (cite,))


def test_an_exchange_is_stored_with_its_citations(twin):
    store = twin.store
    cid = store.new_conversation("Perché scrivi a mano?", channel="cli")
    store.add_exchange(cid, "Perché scrivi a mano?", _answer())
    store.add_exchange(cid, "E il calcio?", _answer("Non ho mai scritto di questo.", abstained=True))
    turns = store.turns(cid)
    assert [(t.role, t.content) for t in turns] == [
        ("user", "Perché scrivi a mano?"), ("assistant", "Per rallentare [1]."),
        ("user", "E il calcio?"), ("assistant", "Non ho mai scritto di questo.")]
    assert turns[1].citations[0].source == "a.md" and turns[1].citations[0].passage_id == 3
    assert turns[3].abstained and not turns[1].abstained
    conv = store.conversation(cid)
    assert conv.turns == 4 and conv.title == "Perché scrivi a mano?" and conv.channel == "cli"


def test_conversations_are_listed_newest_first_and_by_owner(twin):
    store = twin.store
    a = store.new_conversation("uno", channel="telegram", owner="tg:1")
    b = store.new_conversation("due", channel="telegram", owner="tg:2")
    store.add_exchange(a, "q", _answer())
    assert [c.id for c in store.conversations()] == [a, b]
    assert [c.id for c in store.conversations(owner="tg:2")] == [b]


def test_deleting_a_conversation_removes_its_turns(twin):
    store = twin.store
    cid = store.new_conversation("x")
    store.add_exchange(cid, "q", _answer())
    assert store.delete_conversation(cid) and store.conversation(cid) is None
    assert store.turns(cid) == [] and not store.delete_conversation(cid)


def test_an_exchange_in_an_unknown_conversation_is_refused(twin):
    with pytest.raises(ErreError, match="No conversation"):
        twin.store.add_exchange("nope", "q", _answer())
    assert twin.store.turns("nope") == []


def test_conversations_are_written_safely_from_many_threads(sample_twin):
    """The server's threads share one connection: concurrent writes never collide."""
    from concurrent.futures import ThreadPoolExecutor

    from erre.documents import Answer

    store = sample_twin.store
    answer = Answer(text="Scrivo a mano.", abstained=False, language="it")

    def talk(i):
        cid = store.new_conversation(f"c{i}", channel="web", owner="o")
        for _ in range(5):
            store.add_exchange(cid, "Perché?", answer)
        return cid

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(talk, range(16)))
    assert len(set(ids)) == 16 and all(len(store.turns(c)) == 10 for c in ids)


def test_every_channel_keeps_its_conversations_through_one_service(twin):
    from erre.conversations import NoConversation

    talk = twin.conversations
    first = talk.record(None, "  Perché   scrivi a mano? ", _answer(), channel="cli")
    assert talk.get(first).title == "Perché scrivi a mano?" and len(talk.history(first)) == 2
    assert talk.record(first, "E poi?", _answer(), channel="cli") == first and len(talk.history(first)) == 4

    untitled = talk.start("web", "browser-1")
    talk.record(untitled, "Che penna usi?", _answer(), channel="web", owner="browser-1")
    assert talk.get(untitled, channel="web", owner="browser-1").title == "Che penna usi?"
    with pytest.raises(NoConversation):  # another browser's conversation is not there for this one
        talk.get(untitled, channel="web", owner="browser-2")
    with pytest.raises(NoConversation, match="erre chat --list"):
        talk.get("nessuna")

    chat = talk.current("telegram", "42")
    assert talk.current("telegram", "42") == chat != talk.current("telegram", "43")
    assert talk.latest("42", "telegram").id == chat and talk.latest("42", "web") is None
    assert talk.history(None) == []
    assert talk.delete(chat) and talk.latest("42", "telegram") is None
