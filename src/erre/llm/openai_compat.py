"""Any OpenAI-compatible `/v1/chat/completions` server: Ollama, vLLM, llama.cpp's server,
LM Studio, OpenAI. Streams Server-Sent Events.

The API key comes from the environment variable named in the settings, never from a file,
and is never logged. The server's tokenizer is unknown here, so prompt sizes are
over-estimated (see `estimate_tokens`) and the window is the configured `llm.context`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence

from ..errors import BackendError, ConfigError
from . import Message, estimate_tokens


class OpenAIChatModel:
    def __init__(self, base_url: str, model: str, *, api_key_env: str = "OPENAI_API_KEY",
                 context: int = 4096, timeout: float = 300.0, transport=None):
        if not base_url or not model:
            raise ConfigError("llm.backend = 'openai' needs llm.base_url (e.g. http://127.0.0.1:11434/v1 "
                              "for Ollama) and llm.model (e.g. qwen2.5:7b-instruct): pass --base-url and --model")
        import httpx

        key = os.environ.get(api_key_env or "", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                                    timeout=httpx.Timeout(timeout, connect=10.0), transport=transport)
        self._model = model
        self.name = f"openai:{model}"
        self.context = context

    def count(self, messages: Sequence[Message]) -> int:
        return sum(estimate_tokens(m["content"]) + 4 for m in messages) + 3

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               stop: Sequence[str] = ()) -> Iterator[str]:
        import httpx

        body: dict = {"model": self._model, "messages": list(messages), "stream": True,
                      "max_tokens": max_tokens, "temperature": temperature}
        if stop:
            body["stop"] = list(stop)[:4]  # OpenAI accepts at most four
        where = str(self._client.base_url).rstrip("/") + "/chat/completions"
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as r:
                if r.status_code != 200:
                    r.read()
                    raise BackendError(f"The chat server at {where} answered {r.status_code}: {_reason(r)}")
                for line in r.iter_lines():
                    piece = _piece(line, where)
                    if piece is None:
                        return
                    if piece:
                        yield piece
        except httpx.HTTPError as e:
            raise BackendError(f"The chat server at {where} failed: {e!r}. Is it running?") from None


def _piece(line: str, where: str) -> str | None:
    """The text in one SSE line; "" for lines without text, None at the end of the stream."""
    if not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        event = json.loads(data)
    except ValueError:
        raise BackendError(f"The chat server at {where} sent a malformed event: {data[:200]!r}") from None
    if "error" in event:
        raise BackendError(f"The chat server at {where} reported: {_message(event['error'])}")
    choices = event.get("choices") or [{}]
    return (choices[0].get("delta") or {}).get("content") or ""


def _reason(r) -> str:
    try:
        return _message(r.json().get("error", r.text))
    except ValueError:
        return r.text[:300]


def _message(error) -> str:
    return str(error.get("message", error) if isinstance(error, dict) else error)[:300]
