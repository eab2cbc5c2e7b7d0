"""Any OpenAI-compatible `/v1/embeddings` endpoint: Ollama, vLLM, TEI, llama.cpp server, OpenAI.

The API key comes from the environment variable named in the settings, never from a file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..chunk import estimate_tokens
from ..errors import BackendError, ConfigError
from . import normalize


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY",
                 query_prefix: str = "", passage_prefix: str = "", timeout: float = 120.0,
                 batch: int = 64):
        if not base_url or not model:
            raise ConfigError("embed.backend = 'openai' needs embed.base_url (e.g. "
                              "http://127.0.0.1:11434/v1) and embed.model")
        import httpx

        key = os.environ.get(api_key_env or "", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)
        self._model, self._qp, self._pp, self._batch = model, query_prefix, passage_prefix, batch
        self.name = f"openai:{model}"
        self.dim = len(self._embed(["dimension probe"])[0])

    def _embed(self, texts: list[str]) -> np.ndarray:
        import httpx

        out: list[list[float]] = []
        for i in range(0, len(texts), self._batch):
            part = texts[i:i + self._batch]
            try:
                r = self._client.post("/embeddings", json={"model": self._model, "input": part})
            except httpx.HTTPError as e:
                raise BackendError(f"Embedding server at {self._client.base_url} unreachable: {e}") from None
            if r.status_code != 200:
                raise BackendError(f"Embedding server answered {r.status_code}: {r.text[:300]}")
            data = sorted(r.json()["data"], key=lambda d: d["index"])
            if len(data) != len(part):
                raise BackendError(f"Embedding server returned {len(data)} vectors for {len(part)} texts")
            out.extend(d["embedding"] for d in data)
        return normalize(np.array(out, dtype=np.float32))

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._embed([self._pp + t for t in texts])

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._embed([self._qp + t for t in texts])

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)
