"""A twin as a context manager: it closes what it opened, and takes parts made elsewhere."""

from __future__ import annotations

import pytest

from erre import config
from erre.store.sqlite import SQLiteStore
from erre.twin import Twin


def _closed(store: SQLiteStore) -> bool:
    try:
        store.languages()
    except Exception:
        return True
    return False


def test_a_twin_closes_the_store_it_opened(tmp_path):
    config.init(tmp_path, "Lucia Ferri")
    with Twin.open(tmp_path) as twin:
        store = twin.store
        assert store.languages() == {}
    assert _closed(store)


def test_parts_given_to_a_twin_are_used_and_left_open(tmp_path, e5):
    config.init(tmp_path, "Lucia Ferri")
    mine = SQLiteStore(tmp_path / "elsewhere.db")
    with Twin.open(tmp_path).use(store=mine, embedder=e5) as twin:
        assert twin.store is mine and twin.embedder is e5
    assert not _closed(mine)  # whoever opened it closes it
    mine.close()
    with pytest.raises(TypeError):
        Twin.open(tmp_path).use(mine)  # type: ignore[misc]  # parts by name only
