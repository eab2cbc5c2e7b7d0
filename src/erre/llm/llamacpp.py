"""llama.cpp embedded in the process (llama-cpp-python): any local GGUF file.

The prompt is rendered with the chat template stored in the GGUF file and tokenized once;
the same tokens are counted (to fit the context window) and run, so the count is exact. One
model instance is not safe to use from two threads at once: calls are serialised by a lock.

The same file also reads a message without answering it (`Reader`): a second llama.cpp
context in embedding mode gives the mean of the model's last hidden states over the
message's tokens, the chat model's own reading of it, which the task classifier reads beside
the embedder's vectors (answer/classify.py). The weights are mapped from the same file, not
loaded twice.

llama.cpp built for the machine it runs on lays some weights out for the CPU's matrix
units (Intel AMX tiles, repacked blocks). In a virtual machine whose CPU lists AMX without
granting it, its first multiplication kills the process. Where the CPU lists AMX, a child
process tries the model once (cached per llama.cpp build, model file and CPU) and, if it
dies, the model is opened with the plain layout (`extra_layouts_safe`).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ..errors import BackendError, MissingExtra
from . import Message

# ChatML, for GGUF files that carry no chat template (most instruct models do carry one)
_CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
           "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


class LlamaCppModel:
    def __init__(self, path: Path, *, context: int = 4096, threads: int = 2, seed: int = 0,
                 lora: Path | None = None, scores: bool = False):
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:
            raise MissingExtra("llama.cpp support", "'erre[llamacpp]'") from None
        try:
            # a LoRA adapter (erre tune) is applied to the base's weights as they are loaded
            with _quiet_stderr() if lora else nullcontext(), _layouts(path):
                self._llm = llama_cpp.Llama(str(path), n_ctx=context, n_threads=threads or None,
                                            n_threads_batch=threads or None, seed=seed, verbose=False,
                                            lora_path=str(lora) if lora else None, logits_all=scores)
        except (ValueError, RuntimeError, OSError) as e:
            what = f"{path} with the adapter {lora}" if lora else str(path)
            raise BackendError(f"llama.cpp cannot load {what}: {e}. Is it a GGUF model file (and an "
                               "adapter made for it)?") from None
        meta = self._llm.metadata
        trained = int(meta.get(f"{meta.get('general.architecture', 'llama')}.context_length", context))
        self.context = min(context, trained)
        self.name = f"llamacpp:{path.stem}" + (f"+{lora.parent.name}" if lora else "")
        model = self._llm._model
        eos, bos = self._llm.token_eos(), self._llm.token_bos()
        self._eos = model.token_get_text(eos) if eos != -1 else ""
        self._bos = model.token_get_text(bos) if bos != -1 else ""
        self._template = Jinja2ChatFormatter(
            template=meta.get("tokenizer.chat_template") or _CHATML, eos_token=self._eos,
            bos_token=self._bos)
        self._seed = seed
        self._path, self._threads = path, threads
        self._reader: Reader | None = None
        self._lock = threading.Lock()
        # the last prompt's size and how much of it was already in llama.cpp's cache
        self.usage: dict[str, int] = {"prompt_tokens": 0, "cached_tokens": 0}

    @property
    def reader(self) -> Reader:
        """The base model's reading of a message (without the LoRA adapter: the classifier
        trained on the base's readings reads the same whatever adapter answers)."""
        with self._lock:
            if self._reader is None:
                self._reader = Reader(self._path, threads=self._threads)
            return self._reader

    def _tokens(self, messages: Sequence[Message]) -> list[int]:
        prompt = self._template(messages=[dict(m) for m in messages]).prompt  # type: ignore[misc]
        # templates that write the BOS token themselves must not get a second one
        add_bos = not (self._bos and prompt.startswith(self._bos))
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)

    def count(self, messages: Sequence[Message]) -> int:
        return len(self._tokens(messages))

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               stop: Sequence[str] = ()) -> Iterator[str]:
        tokens = self._tokens(messages)
        if len(tokens) + max_tokens > self.context:
            raise BackendError(f"The prompt ({len(tokens)} tokens) and answer ({max_tokens}) do not fit "
                               f"the model's context of {self.context} tokens")
        stops = [s for s in (*stop, self._eos, "<|im_end|>") if s]
        with self._lock:
            self.usage = {"prompt_tokens": len(tokens), "cached_tokens": self._cached(tokens)}
            # the same seed for every answer: an answer depends on its prompt alone, not on
            # how many answers came before it (the same question gets the same answer)
            pieces = self._llm.create_completion(tokens, max_tokens=max_tokens, temperature=temperature,
                                                 stop=stops, stream=True, seed=self._seed)
            for piece in pieces:
                text = piece["choices"][0]["text"]  # type: ignore[index]
                if text:
                    yield text

    def _cached(self, tokens: Sequence[int]) -> int:
        """How many of the prompt's first tokens llama.cpp keeps from the previous call
        (their keys and values stay in its cache): the rules and the persona card come first in
        every prompt, so a question pays only for its passages, its question and what differs.
        The last token is always run again, for its logits."""
        return min(self._llm.longest_token_prefix(self._llm._input_ids.tolist(), tokens), len(tokens) - 1)

    def log_likelihood(self, text: str) -> tuple[float, int]:
        """(sum of the log-probabilities of `text`'s tokens after the first, how many), the
        text cut to the context window; needs the model made with `scores=True`."""
        import numpy as np

        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)[:self.context]
        if len(tokens) < 2:
            return 0.0, 0
        with self._lock:
            self._llm.reset()
            self._llm.eval(tokens)
            logits = np.array(self._llm.scores[:len(tokens) - 1], dtype=np.float64)
        top = logits.max(axis=1, keepdims=True)
        logp = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        return float(logp[np.arange(len(tokens) - 1), tokens[1:]].sum()), len(tokens) - 1


class Reader:
    """A GGUF model's reading of short texts: the mean of its last hidden states over their
    tokens, of unit length. Opened on first use; one text at a time, under a lock."""

    CONTEXT = 512  # tokens read at most: a message, not a document
    CHARS = 1500  # characters read at most (the classifier's training messages are read so too)

    def __init__(self, path: Path, *, threads: int = 2):
        self.path, self.threads = path, threads
        self.name = f"llamacpp:{path.stem}"
        self._llm = None
        self._lock = threading.Lock()

    def _open(self):
        import llama_cpp

        try:  # quiet: llama.cpp tells on stderr that the pooling differs from the model's own
            with _quiet_stderr(), _layouts(self.path):
                return llama_cpp.Llama(str(self.path), embedding=True, n_ctx=self.CONTEXT, n_batch=self.CONTEXT,
                                       n_threads=self.threads or None, n_threads_batch=self.threads or None,
                                       pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN, verbose=False)
        except (ValueError, RuntimeError, OSError) as e:
            raise BackendError(f"llama.cpp cannot read messages with {self.path}: {e}") from None

    def _opened(self):  # under the lock
        if self._llm is None:
            self._llm = self._open()
        return self._llm

    @property
    def dim(self) -> int:
        with self._lock:
            return int(self._opened().n_embd())

    def read(self, texts: Sequence[str]):
        """(len(texts), dim) float32 array of unit vectors."""
        import numpy as np

        with self._lock:
            llm = self._opened()
            out = [np.asarray(llm.embed(t[:self.CHARS] or " ", normalize=False, truncate=True), dtype=np.float32)
                   for t in texts]
        x = np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


@contextmanager
def _quiet_stderr():
    """llama.cpp's C code logs a line per adapted tensor while it loads a LoRA adapter, and
    notes a pooling other than the model's, even when not verbose: its standard error goes
    to /dev/null meanwhile (errors still raise)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real file behind it (captured)
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


PROBE_CACHE = Path.home() / ".cache" / "erre" / "llamacpp-layouts.json"
_PROBE = ("import sys, llama_cpp\n"
          "m = llama_cpp.Llama(sys.argv[1], n_ctx=64, n_batch=64, n_threads=1, verbose=False)\n"
          "m.eval(m.tokenize(b'Una frase per provare il modello.'))\n")
_LAYOUT_LOCK = threading.Lock()
_SAFE: dict[str, bool] = {}


def _cpu() -> tuple[str, set[str]]:
    """(the CPU's model name, its flags), from /proc/cpuinfo; ("", set()) elsewhere."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "", set()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return name, set(flags)


def extra_layouts_safe(path: Path, cache: Path | None = None) -> bool:
    """Whether llama.cpp may lay `path`'s weights out for the CPU's matrix units: always
    where the CPU lists no AMX; else a child process loads the model and runs a sentence
    through it, and it is safe when the child lives. Remembered per llama.cpp build, model
    file and CPU, in the process and in `cache` (default PROBE_CACHE)."""
    import llama_cpp

    name, flags = _cpu()
    if not any(f.startswith("amx") for f in flags):
        return True
    cache = cache or PROBE_CACHE
    size = path.stat().st_size if path.exists() else 0
    key = hashlib.sha256(f"{llama_cpp.__version__}|{llama_cpp.__file__}|{path.resolve()}|{size}|{name}|"
                         f"{' '.join(sorted(flags))}".encode()).hexdigest()[:16]
    with _LAYOUT_LOCK:
        if key in _SAFE:
            return _SAFE[key]
        try:
            known = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        if not isinstance(known, dict):
            known = {}
        if isinstance(known.get(key), bool):
            _SAFE[key] = known[key]
            return known[key]
        try:
            child = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, timeout=300)
            safe = child.returncode >= 0  # killed by a signal: the layout crashed it
        except subprocess.TimeoutExpired:
            safe = False
        _SAFE[key] = known[key] = safe
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(known, indent=1), encoding="utf-8")
        except OSError:
            pass  # remembered for this process only
        return safe


@contextmanager
def _layouts(path: Path):
    """While a model is opened: llama.cpp's plain weight layout where its other layouts crash
    this machine (`extra_layouts_safe`)."""
    import llama_cpp.llama_cpp as lib

    if extra_layouts_safe(path):
        yield
        return
    default = lib.llama_model_default_params  # its use_extra_bufts: in every version pyproject allows (>= 0.3.16)

    def plain():
        params = default()
        params.use_extra_bufts = False
        return params

    with _LAYOUT_LOCK:
        lib.llama_model_default_params = plain
        try:
            yield
        finally:
            lib.llama_model_default_params = default
