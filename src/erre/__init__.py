"""erre: an author's twin, answering from their own writings with open models."""

__version__ = "0.1.0"
