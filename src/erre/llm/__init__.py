"""Chat models: one small streaming protocol, a backend per module, a table to pick them.

A backend turns a list of chat messages into a stream of text pieces. It also says how many
tokens a list of messages takes once rendered with its chat template, and how many tokens it
can see at once, so that the answering stage can fit the prompt to the window instead of
letting the model silently drop its beginning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, TypedDict

from ..errors import ConfigError


class Message(TypedDict):
    role: str  # "system", "user" or "assistant"
    content: str


class ChatModel(Protocol):
    name: str  # what answered, e.g. "llamacpp:qwen2.5-coder-1.5b-instruct-q4_k_m"
    context: int  # tokens the model sees at once: prompt and answer together

    def count(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt these messages render to (with the chat template)."""
        ...

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               stop: Sequence[str] = ()) -> Iterator[str]:
        """The answer, piece by piece, as the model writes it."""
        ...


def _llamacpp(settings, home: Path) -> ChatModel:
    from . import llamacpp, models

    lora = None
    if settings.llm_adapter:  # checked first: it is the cheaper check, and the more likely mistake
        from .weights import adapter_dir

        lora = adapter_dir(home, settings.llm_adapter) / "adapter.gguf"
        if not lora.is_file():
            raise ConfigError(f"The adapter in {lora.parent} has no GGUF file for llama.cpp (its base was not "
                              "a GGUF model): serve it with the transformers backend, or tune the GGUF base.")
    path = models.resolve(settings.llm_model, home)
    return llamacpp.LlamaCppModel(path, context=settings.llm_context, threads=settings.llm_threads, lora=lora)


def _openai(settings, home: Path) -> ChatModel:
    from .openai_compat import OpenAIChatModel

    return OpenAIChatModel(base_url=settings.llm_base_url, model=settings.llm_model,
                           api_key_env=settings.llm_api_key_env, context=settings.llm_context,
                           timeout=settings.llm_timeout)


def _transformers(settings, home: Path) -> ChatModel:
    from . import models
    from .transformers_backend import TransformersModel
    from .weights import Base, adapter_dir

    adapter = adapter_dir(home, settings.llm_adapter) if settings.llm_adapter else None
    name = settings.llm_model
    if not name or name in models.SHIPPED or name.endswith(".gguf"):  # transformers reads the GGUF
        path = models.resolve(name, home)
        base = Base(str(path.parent), path.name)
    else:  # a transformers model folder (or a hub name, where the hub can be reached)
        folder = Path(name).expanduser()
        base = Base(str(folder) if folder.exists() else name)
    return TransformersModel(base, adapter=adapter, context=settings.llm_context)


# the table an outside plugin would register in too
CHAT_MODELS: dict[str, Callable[..., ChatModel]] = {"llamacpp": _llamacpp, "openai": _openai,
                                                    "transformers": _transformers}


def load(settings, home: Path) -> ChatModel:
    try:
        factory = CHAT_MODELS[settings.llm_backend]
    except KeyError:
        raise ConfigError(f"No chat backend named '{settings.llm_backend}'. "
                          f"Available: {', '.join(CHAT_MODELS)}") from None
    return factory(settings, home)


def estimate_tokens(text: str) -> int:
    """A safe over-estimate when the model's tokenizer is unknown (remote servers): about
    3 characters per token, fewer than the 3.5-4 of English and Italian BPE vocabularies."""
    return len(text) // 3 + 1
