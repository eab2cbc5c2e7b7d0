"""Every exception a user can see. Each one says what happened and what to do next."""

from __future__ import annotations


class ErreError(Exception):
    """Base class: the message is meant for the user, as is."""


class ConfigError(ErreError):
    pass


class NoTwin(ErreError):
    def __init__(self, home: str):
        super().__init__(f"No twin in {home}. Run: erre init NAME --home {home}")
        self.home = home


class NoIndex(ErreError):
    def __init__(self, home: str):
        super().__init__(f"No index in {home}. Run: erre ingest ~/writing")
        self.home = home


class LoadError(ErreError):
    """A file that can't be read: the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class MissingExtra(ErreError):
    def __init__(self, what: str, package: str):
        super().__init__(f"{what} is not installed: pip install {package}")


class EmbedderMismatch(ErreError):
    def __init__(self, indexed: str, configured: str):
        super().__init__(
            f"The index was embedded with '{indexed}' but the twin is configured for "
            f"'{configured}'. Run: erre ingest (it re-embeds every chunk with the new model)"
        )
        self.indexed = indexed
        self.configured = configured


class BackendError(ErreError):
    """A remote or local backend (embedding server, model) failed."""
