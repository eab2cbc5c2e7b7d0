"""A twin: its home directory, settings, index, embedder and chat model, opened lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import config, embed, llm
from .config import Settings
from .conversations import Conversations
from .embed import Embedder
from .errors import ErreError, NoIndex
from .store import Store


def open_store(where: str | Path) -> Store:
    """A store by its place: a postgresql:// URL, or the path of a SQLite file."""
    if str(where).startswith(("postgresql://", "postgres://")):
        from .store.postgres import PostgresStore

        return PostgresStore(str(where))
    if "://" in str(where):
        from .errors import ConfigError

        raise ConfigError(f"Unknown store '{str(where).split('://')[0]}://': use a postgresql:// URL, "
                          "or leave store.url empty for the twin's own SQLite file")
    from .store.sqlite import SQLiteStore

    return SQLiteStore(where)


@dataclass
class Twin:
    home: Path
    settings: Settings
    _opened: list = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, home: str | Path | None = None, **overrides) -> "Twin":
        path = config.resolve_home(str(home) if home else None)
        return cls(path, config.load(path).with_(**overrides))

    @property
    def index_path(self) -> Path:
        return self.home / config.INDEX_FILE

    @cached_property
    def store(self) -> Store:
        s = open_store(self.settings.store_url or self.index_path)
        self._opened.append(s)
        return s

    def existing_store(self) -> Store:
        """The index, or NoIndex when nothing was ingested yet."""
        if not self.settings.store_url and not self.index_path.exists():
            raise NoIndex(str(self.home))
        if self.settings.store_url and self.store.embedder() is None and not self.store.files():
            raise NoIndex(str(self.home))
        return self.store

    @cached_property
    def conversations(self) -> Conversations:
        """The conversations every channel keeps in the twin's store."""
        return Conversations(self.store)

    @cached_property
    def embedder(self) -> Embedder:
        return embed.load(self.settings)

    @cached_property
    def model(self) -> llm.ChatModel:
        return llm.load(self.settings, self.home)

    @cached_property
    def reader(self):
        """The chat model's reading of a message, for the task classifier (a llama.cpp
        model's `Reader`), or None: another backend, or a model that cannot be loaded (its
        error comes when it is asked to write)."""
        try:
            model = self.model
        except ErreError:
            return None
        return getattr(model, "reader", None)

    def ingest(self, sources, progress=None):
        """Bring the index in line with `sources` (folders or files: sync.run), then the
        writings' cross-lingual vectors, so that the first question does not wait for them."""
        from . import sync

        report = sync.run(self.store, self.embedder, sources, self.settings, progress=progress)
        self.__dict__.pop("subjects", None)  # read again with the new chunks
        self.subjects
        return report

    @cached_property
    def subjects(self):
        """The writings' cross-lingual vectors (subjects.py), kept in the twin's cache; None
        when chat.related is off or the encoder is not installed."""
        from . import subjects

        if not self.settings.chat_related:
            return None
        enc = subjects.encoder(self.settings.embed_threads)
        return None if enc is None else subjects.load(self.store, enc, self.home / "cache")

    @cached_property
    def persona(self):
        """The style profile (persona.md, `erre persona build`), or None."""
        from . import persona

        if not (self.home / persona.PERSONA_FILE).exists():
            return None
        return persona.load(self.home)

    @cached_property
    def verifier(self):
        """The style model (`erre style train`), or None."""
        from . import style

        return style.load(self.home)

    def use(self, *, store: Store | None = None, embedder: Embedder | None = None,
            model: llm.ChatModel | None = None, verifier=None) -> Twin:
        """Parts made elsewhere, used instead of opening the twin's own: a loaded embedder
        or model shared between twins, a scripted model in a test. A store given here is not
        closed by `close()`: whoever opened it closes it."""
        for name, part in (("store", store), ("embedder", embedder), ("model", model), ("verifier", verifier)):
            if part is not None:
                self.__dict__[name] = part
        if model is not None:
            self.__dict__.pop("reader", None)  # the new model's reading, if it has one
        return self

    def close(self) -> None:
        for s in self._opened:
            s.close()
        self._opened.clear()

    def __enter__(self) -> Twin:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
