"""The `erre` command: a thin layer that parses, calls the core, and prints."""

from __future__ import annotations

import dataclasses
import json
from contextlib import closing
import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, config
from .errors import ErreError

if TYPE_CHECKING:
    from .documents import Answer

home_option = click.option("--home", envvar="ERRE_HOME", type=click.Path(file_okay=False),
                           help="The twin's directory (default: $ERRE_HOME, else the last twin created).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


class _Group(click.Group):
    """Prints user errors as one line (with the traceback under --debug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ErreError as e:
            if ctx.params.get("debug") or "--debug" in sys.argv:
                raise
            click.echo(f"erre: {e}", err=True)
            sys.exit(1)

UNDATED_SHOWN = 10  # undated documents named after an ingest (--json lists all)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="erre")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """erre: a twin of an author that answers from their writings.

    \b
    erre init massimo --name "Massimo Chiriatti"
    erre ingest ~/writing ~/books/libro.pdf
    erre search "cosa penso del fine-tuning?"
    erre ask "Perché scrivi ancora a mano?"
    erre chat
    erre persona build
    erre status
    """


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@main.command()
@click.argument("slug")
@click.option("--name", default="", help="The author's full name.")
@home_option
def init(slug: str, name: str, home: str | None) -> None:
    """Create a twin in its own directory (~/erre/SLUG, or --home).

    \b
    erre init massimo --name "Massimo Chiriatti"
    """
    path = Path(home).expanduser() if home else config.root() / slug
    settings = config.init(path.absolute(), name or slug)
    click.echo(f"Twin '{settings.name}' ready in {path}. Next: erre ingest ~/writing")


@main.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--sample", is_flag=True, help="Ingest erre's built-in sample corpus.")
@click.option("--drafts", is_flag=True, default=None, help="Include Markdown drafts (draft: true).")
@home_option
@json_option
def ingest_cmd(paths: tuple[str, ...], sample: bool, drafts: bool | None, home: str | None,
               as_json: bool) -> None:
    """Bring the index in line with files and folders (re-run it after every change).

    \b
    erre ingest ~/writing ~/books/libro.pdf
    erre ingest --sample
    """
    from .twin import Twin

    if sample:
        paths = (*paths, str(resources.files("erre") / "sample"))
    if not paths:
        raise ErreError("Nothing to ingest. Give folders or files: erre ingest ~/writing")
    progress = _progress_bar(enabled=not as_json)
    with Twin.open(home, ingest_include_drafts=drafts) as twin, closing(progress):
        report = twin.ingest(paths, progress=progress)
    if as_json:
        _echo_json(report.as_dict())
        return
    for e in report.errors:
        click.echo(f"  failed: {e}", err=True)
    click.echo(report.summary())
    if report.undated:
        shown = ", ".join(report.undated[:UNDATED_SHOWN]) + (" …" if len(report.undated) > UNDATED_SHOWN else "")
        click.echo(f"{len(report.undated)} documents have no date: {shown}. The twin cannot tell when they were "
                   "written: give them a `date:` in front matter, a YYYY-MM-DD- file name or a dateline "
                   "(\"Bologna, 12 marzo 2016\") as first line. `erre ingest --json` lists them all.")


class _progress_bar:
    """A tqdm bar per phase, on stderr, only when it is a terminal or forced."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bars: dict[str, Any] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(what)
        if bar is None:
            unit = "question" if what.startswith("answering") else {"ingesting": "file"}.get(what, "chunk")
            bar = self.bars[what] = tqdm(total=total, desc=what, unit=unit, leave=False, file=sys.stderr)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@main.command()
@click.argument("query")
@click.option("-k", type=int, default=None, help="How many passages (default: search.k).")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical"]), default="hybrid")
@home_option
@json_option
def search(query: str, k: int | None, mode: str, home: str | None, as_json: bool) -> None:
    """Ranked passages for a question, with their sources.

    \b
    erre search "cosa penso del fine-tuning?"
    """
    from . import retrieve
    from .twin import Twin

    with Twin.open(home) as twin:
        passages = retrieve.search(twin.existing_store(), twin.embedder if mode != "lexical" else None,
                                   query, k or twin.settings.search_k,
                                   candidates=twin.settings.search_candidates, mode=mode)
    if as_json:
        _echo_json([_passage_json(p) for p in passages])
        return
    if not passages:
        click.echo("No passages found.")
    for n, p in enumerate(passages, 1):
        c = p.chunk
        where = ", ".join(x for x in (c.source, f"p. {c.page}" if c.page else "", c.date or "") if x)
        head = " > ".join(c.heading)
        click.secho(f"[{n}] {c.title} ({where})", bold=True)
        evidence = [f"score {p.score:.4f}"]
        if p.dense is not None:
            evidence.append(f"cosine {p.dense:.3f}")
        if p.lexical is not None:
            evidence.append(f"bm25 {p.lexical:.2f}")
        click.echo(f"    {head + ' | ' if head else ''}{', '.join(evidence)}")
        text = " ".join(c.text.split())
        click.echo("    " + (text[:300] + "…" if len(text) > 300 else text))


@main.command()
@click.argument("topic")
@click.option("-n", "limit", type=int, default=12, show_default=True, help="How many writings at most.")
@home_option
@json_option
def timeline(topic: str, limit: int, home: str | None, as_json: bool) -> None:
    """The writings on a topic, oldest to newest, each with its date and the sentence of
    yours nearest the topic: how a view evolved.

    \b
    erre timeline "lavoro da remoto"
    erre timeline "e-books" --json
    """
    from .timeline import timeline as entries_of
    from .twin import Twin

    with Twin.open(home) as twin:
        twin.existing_store()
        entries = entries_of(twin, topic, limit)
    if as_json:
        _echo_json([e.as_dict() for e in entries])
        return
    if not entries:
        click.echo(f"Nothing written on “{topic}” (nothing passes the relevance threshold).")
    for e in entries:
        click.secho(f"{e.date or 'undated':10}  {e.title} ({e.source})", bold=True)
        click.echo(f"            “{e.summary}”")


def _passage_json(p) -> dict:
    c = p.chunk
    return {
        "id": p.id, "source": c.source, "title": c.title, "heading": list(c.heading),
        "page": c.page, "url": c.url, "date": c.date, "language": c.language,
        "start": c.start, "end": c.end, "text": c.text,
        "score": p.score, "dense": p.dense, "lexical": p.lexical,
        "rank_dense": p.rank_dense, "rank_lexical": p.rank_lexical,
    }


def _model_options(f):
    """--llm, --model, --base-url, --adapter: the chat model for this run (over erre.toml)."""
    f = click.option("--adapter", default=None, help=config.describe("llm.adapter", "; 'none' for none"))(f)
    f = click.option("--base-url", default=None, help=config.describe("llm.base_url"))(f)
    f = click.option("--model", default=None, help=config.describe("llm.model"))(f)
    f = click.option("--llm", "backend", type=click.Choice(["llamacpp", "openai", "transformers"]), default=None,
                     help=config.describe("llm.backend"))(f)
    return f


def _sample_options(f):
    """--limit, --seed: a random sample of a question set."""
    f = click.option("--seed", type=int, default=0, help="Seed of the sample.")(f)
    return click.option("--limit", type=int, default=None, help="Answer a random sample of this many questions.")(f)


def _open_for_chat(home, backend, model, base_url, adapter=None):
    from .twin import Twin

    overrides = {"llm_backend": backend, "llm_model": model, "llm_base_url": base_url,
                 "llm_adapter": "" if adapter == "none" else adapter}
    if base_url and not backend:
        overrides["llm_backend"] = "openai"
    twin = Twin.open(home, **overrides)
    twin.existing_store()
    return twin


def _load_model(twin) -> None:
    if sys.stderr.isatty():
        click.echo("Loading the model…", err=True, nl=False)
    try:
        twin.model
    finally:
        if sys.stderr.isatty():
            click.echo("\r" + " " * 20 + "\r", err=True, nl=False)


def _print_sources(citations) -> None:
    if not citations:
        return
    click.echo()
    click.secho("Sources", bold=True)
    for c in citations:
        click.echo(f"[{c.n}] {c.title} ({c.where})" + (f" {c.url}" if c.url else ""))
        click.echo(f"    “{c.quote}”")


def _reading(event) -> str:
    """What the twin reads before it writes, on one line: «Title» (2016), …"""
    from .answer.texts import prompts

    titles = ", ".join(f"«{c.title}»" + (f" ({c.date[:4]})" if c.date else "") for c in event.sources)
    return prompts(event.language)["reading"].format(titles=titles)


def _stream(twin, question: str, history) -> "Answer":
    """Prints the answer as it is written (on a terminal), or whole with its citation markers
    (when the output goes to a file or a pipe), then the sources."""
    from . import chat

    live = sys.stdout.isatty()
    # on a terminal the first words show at once; otherwise the answer is chosen among drafts
    r = chat.reply(twin, question, history, candidates=1 if live else twin.settings.style_candidates)
    for event in r.events():
        if live and isinstance(event, chat.Token):
            click.echo(event.text, nl=False)
        elif live and isinstance(event, chat.Reading):  # while the model reads: what it reads
            click.secho(_reading(event), dim=True, err=True)
    assert r.answer is not None
    click.echo("" if live else r.answer.text)
    _print_sources(r.answer.citations)
    return r.answer


@main.command()
@click.argument("question")
@click.option("--conversation", default=None, help="Continue a stored conversation (its id).")
@_model_options
@home_option
@json_option
def ask(question: str, conversation: str | None, backend: str | None, model: str | None,
        base_url: str | None, adapter: str | None, home: str | None, as_json: bool) -> None:
    """Ask the twin: a first-person answer from the writings, with numbered sources.

    \b
    erre ask "Perché scrivi ancora a mano?"
    erre ask "..." --json
    erre ask "..." --model ~/models/qwen2.5-7b-instruct-q4_k_m.gguf
    erre ask "..." --llm openai --base-url http://127.0.0.1:11434/v1 --model qwen2.5:7b-instruct
    """
    from . import chat

    with _open_for_chat(home, backend, model, base_url, adapter) as twin:
        talk = twin.conversations
        if conversation:
            talk.get(conversation)  # NoConversation, with where to look, when there is none
        history = talk.history(conversation)
        if not as_json:
            _load_model(twin)
            answer = _stream(twin, question, history)
        else:
            answer = chat.answer(twin, question, history)
        if conversation:
            talk.record(conversation, question, answer, channel="cli")
    if as_json:
        _echo_json(answer.as_dict())


@main.command()
@click.option("--host", default=None, help=config.describe("server.host"))
@click.option("--port", type=int, default=None, help=config.describe("server.port"))
@click.option("--api-key-env", default=None, help=config.describe("server.api_key_env"))
@click.option("--insecure", is_flag=True, help="Allow listening beyond loopback without an API key.")
@_model_options
@home_option
def serve(host: str | None, port: int | None, api_key_env: str | None, insecure: bool, backend: str | None,
          model: str | None, base_url: str | None, adapter: str | None, home: str | None) -> None:
    """Serve the twin: an OpenAI-compatible API at /v1 (and /health).

    \b
    erre serve                                   # http://127.0.0.1:8000/v1
    ERRE_API_KEY=... erre serve --host 0.0.0.0 --api-key-env ERRE_API_KEY
    """
    import logging

    from . import server

    twin = _open_for_chat(home, backend, model, base_url, adapter)
    s = twin.settings
    host, port = host or s.server_host, port or s.server_port
    key_env = api_key_env if api_key_env is not None else s.server_api_key_env
    key = os.environ.get(key_env) if key_env else None
    if key_env and not key:
        raise ErreError(f"The API key variable {key_env} is empty: export {key_env}=<a long random key>")
    if not key and host not in ("127.0.0.1", "localhost", "::1") and not insecure:
        raise ErreError(f"Listening on {host} without an API key would let anyone on the network use the twin: "
                        f"pass --api-key-env VAR (the key in $VAR), or --insecure.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _load_model(twin)
    app = server.create_app(twin, api_key=key, queue=s.server_queue, log_contents=s.server_log_contents,
                            parallel=s.server_parallel)
    click.echo(f"erre: serving {twin.home.name} on http://{host}:{port}/v1 "
               f"({'API key required' if key else 'no API key'}); Ctrl-C stops", err=True)
    with twin:
        server.run(app, host, port)


@main.command("telegram")
@click.option("--allow", default=None, help="Usernames or user ids to answer, e.g. @ada,12345 (default: "
              "telegram.allow; empty: everyone).")
@click.option("--base-url", "api_url", default=None, help="Another Bot API server (default: Telegram's).")
@home_option
def telegram_cmd(allow: str | None, api_url: str | None, home: str | None) -> None:
    """Run the twin as a Telegram bot (token from TELEGRAM_BOT_TOKEN).

    \b
    TELEGRAM_BOT_TOKEN=123:abc erre telegram --allow @ada,12345
    """
    import logging

    from . import telegram

    twin = _open_for_chat(home, None, None, None)
    s = twin.settings
    token = os.environ.get(s.telegram_token_env, "")
    if not token:
        raise ErreError(f"No bot token: export {s.telegram_token_env}=<the token @BotFather gave you>")
    allowed = telegram.parse_allow(allow if allow is not None else s.telegram_allow)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry the token
    _load_model(twin)
    bot = telegram.Bot(twin, allowed)
    click.echo(f"erre: {twin.home.name} on Telegram, answering "
               f"{', '.join(sorted(allowed)) if allowed else 'everyone'}; Ctrl-C stops", err=True)
    with twin:
        bot.application(token, api_url).run_polling()


@main.command("chat")
@click.option("--resume", "resume", default=None, help="Resume a conversation: its id, or 'last'.")
@click.option("--list", "list_", is_flag=True, help="List stored conversations and exit.")
@_model_options
@home_option
def chat_cmd(resume: str | None, list_: bool, backend: str | None, model: str | None,
             base_url: str | None, adapter: str | None, home: str | None) -> None:
    """Talk with the twin; the conversation is stored and can be resumed.

    \b
    Commands: /reset (new conversation), /sources (of the last answer), /help, /quit
    erre chat
    erre chat --resume last
    """
    from .conversations import NoConversation

    with _open_for_chat(home, backend, model, base_url, adapter) as twin:
        if list_:
            for c in twin.conversations.list(limit=100):
                click.echo(f"{c.id}  {c.updated[:16].replace('T', ' ')}  {c.turns:3} messages  {c.title}")
            return
        conversation: str | None = None
        history = []
        if resume:
            found = twin.conversations.latest() if resume == "last" else twin.conversations.get(resume)
            if found is None:
                raise NoConversation(resume)
            conversation = found.id
            history = twin.conversations.history(conversation)
            click.echo(f"Resumed “{found.title}” ({len(history)} messages).")
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        _load_model(twin)
        click.echo(f"{twin.settings.name or 'The twin'} is listening. /help for commands, Ctrl-D to leave.")
        last = None
        while True:
            try:
                line = input("> ").strip()
            except (EOFError, KeyboardInterrupt):
                click.echo()
                return
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return
            if line == "/help":
                click.echo("/reset  start a new conversation\n/sources  sources of the last answer\n/quit  leave")
                continue
            if line == "/reset":
                conversation, history, last = None, [], None
                click.echo("New conversation.")
                continue
            if line == "/sources":
                if last is None or not last.citations:
                    click.echo("No sources yet.")
                else:
                    _print_sources(last.citations)
                continue
            try:
                last = _stream(twin, line, history)
            except ErreError as e:
                click.echo(f"erre: {e}", err=True)
                continue
            except KeyboardInterrupt:  # stop this answer, keep the conversation as it was
                click.echo("\n(interrupted: not stored)")
                continue
            conversation = twin.conversations.record(conversation, line, last, channel="cli")
            history = twin.conversations.history(conversation)


@main.command()
@home_option
@json_option
def status(home: str | None, as_json: bool) -> None:
    """Documents, chunks, languages, models and size of the twin's index."""
    from .twin import Twin

    with Twin.open(home) as twin:
        stats = twin.existing_store().stats()
    stats = {"name": twin.settings.name, "home": str(twin.home),
             "embed_backend": twin.settings.embed_backend, **stats}
    if as_json:
        _echo_json(stats)
        return
    langs = ", ".join(f"{k} {v}" for k, v in stats["languages"].items()) or "-"
    formats = ", ".join(f"{k} {v}" for k, v in stats["formats"].items()) or "-"
    click.echo(f"Twin:       {stats['name']} ({stats['home']})")
    click.echo(f"Files:      {stats['files']}   documents: {stats['documents']} ({formats})")
    click.echo(f"Chunks:     {stats['chunks']}   tokens: {stats['tokens']}")
    click.echo(f"Languages:  {langs} (chunks)")
    click.echo(f"Embedder:   {stats['embedder'] or '-'} ({stats['dim'] or '-'} dimensions)")
    click.echo(f"Index:      {stats['path']}, {stats['size_bytes'] / 1e6:.1f} MB")
    click.echo(f"Ingested:   {stats['last_ingest'] or '-'}")
    first, last = stats.get("dates") or (None, None)
    click.echo(f"Written:    {first or '-'} to {last or '-'}, {stats.get('undated', 0)} documents without a date")
    for root, n in stats["roots"].items():
        click.echo(f"  {root} ({n} files)")
    if stats["roots"]:
        click.echo("Re-run `erre ingest` on these paths to bring the index up to date.")


@main.command()
@click.argument("target")
@click.option("--use", is_flag=True, help="Then make the twin use the new store (sets store.url in erre.toml).")
@home_option
@json_option
def migrate(target: str, use: bool, home: str | None, as_json: bool) -> None:
    """Copy the twin's index and conversations into another store, vectors included.

    \b
    erre migrate postgresql://erre@db.example.org/massimo --use     (password: PGPASSWORD)
    erre migrate ~/twin-backup.db                                    (back to a SQLite file)
    """
    from . import migrate as copying
    from .twin import Twin, open_store

    with Twin.open(home) as twin:
        destination = target if "://" in target else str(Path(target).expanduser().resolve())
        if destination == str(twin.settings.store_url or twin.index_path):
            raise ErreError("The target is the store the twin already uses.")
        if use and "://" not in destination:
            raise ErreError("--use takes a postgresql:// URL: a SQLite copy is a backup (the twin's own "
                            "index.db is always its SQLite store).")
        progress = _progress_bar(enabled=not as_json)
        with closing(progress), closing(open_store(destination)) as store:
            report = copying.copy(twin.existing_store(), store, progress=progress)
    if use:
        settings = config.load(twin.home, env={}).with_(store_url=destination)
        (twin.home / config.CONFIG_FILE).write_text(config.render(settings), encoding="utf-8")
    if as_json:
        _echo_json({**report, "target": _redacted(destination), "using": use})
        return
    click.echo(f"Copied {report['files']} files, {report['documents']} documents, {report['chunks']} chunks, "
               f"{report['conversations']} conversations ({report['turns']} turns) in {report['seconds']} s "
               f"to {_redacted(destination)}.")
    if use:
        click.echo(f"The twin now uses it (store.url in {twin.home / config.CONFIG_FILE}).")
    elif "://" in destination:
        click.echo(f"To use it: set url = \"{destination}\" under [store] in {twin.home / config.CONFIG_FILE}, "
                   "or run again with --use.")


def _redacted(where: str) -> str:
    if "://" not in where:
        return where
    from .store.postgres import redact

    return redact(where)


@main.group("persona")
def persona_group() -> None:
    """The author's style profile (persona.md in the twin's directory)."""


@persona_group.command("build")
@home_option
@json_option
def persona_build(home: str | None, as_json: bool) -> None:
    """Study the ingested writings and write persona.md (your Voice section is kept).

    \b
    erre persona build
    """
    from . import persona
    from .twin import Twin

    with Twin.open(home) as twin:
        profile = persona.build(twin.existing_store().documents(), twin.settings.name)
        path = persona.save(profile, twin.home)
    if as_json:
        _echo_json({**dataclasses.asdict(profile), "path": str(path)})
        return
    click.echo(persona.summary(profile))
    click.echo(f"\nWritten to {path}: edit it freely, and describe your voice in its Voice section.")


@persona_group.command("show")
@home_option
@json_option
def persona_show(home: str | None, as_json: bool) -> None:
    """Print the profile as persona.md holds it, the author's edits included.

    \b
    erre persona show --json
    """
    from . import persona

    path = config.resolve_home(home)
    profile = persona.load(path)
    if as_json:
        _echo_json(dataclasses.asdict(profile))
        return
    click.secho(f"{profile.name}: how I write", bold=True)
    click.echo(persona.summary(profile))
    if profile.voice:
        click.echo(f"\nVoice:\n{profile.voice}")


@main.group("style")
def style_group() -> None:
    """How much a text reads like the author: a model trained on the writings."""


@style_group.command("train")
@click.option("--background", multiple=True, help=config.describe("style.background", "; repeatable"))
@home_option
@json_option
def style_train(background: tuple[str, ...], home: str | None, as_json: bool) -> None:
    """Learn the author's style against other writers; prints the held-out ROC AUC.

    \b
    erre style train --background ~/corpora/altri-autori
    """
    import time

    from . import style
    from .twin import Twin

    with Twin.open(home) as twin:
        paths = list(background) or [p.strip() for p in twin.settings.style_background.split(",") if p.strip()]
        if not paths:
            raise ErreError("The style model needs texts by other writers in the author's language: "
                            "pass --background FOLDER or set style.background in erre.toml")
        store = twin.existing_store()
        lang = max(store.languages().items(), key=lambda kv: kv[1])[0]
        author = [text for _, _, doc_lang, text in store.documents() if doc_lang == lang]
        others = style.background_texts(paths)
        t0 = time.perf_counter()
        auc = style.check(author, others, lang)
        verifier = style.train(author, others, lang)
        style.save(verifier, twin.home)
    out = {"language": lang, "author_texts": len(author), "background_texts": len(others),
           "author_windows": verifier.author_windows, "background_windows": verifier.background_windows,
           "heldout_auc": round(auc, 4), "seconds": round(time.perf_counter() - t0, 1)}
    if as_json:
        _echo_json(out)
        return
    click.echo(f"Learned {out['author_texts']} texts ({out['author_windows']} windows) in '{lang}' against "
               f"{out['background_texts']} by other writers ({out['background_windows']} windows) in "
               f"{out['seconds']} s. Held-out ROC AUC: {out['heldout_auc']:.3f}")


@style_group.command("score")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@home_option
@json_option
def style_score(file, home: str | None, as_json: bool) -> None:
    """The probability that a text (a file, or - for standard input) was written by the author.

    \b
    erre style score answer.txt
    """
    from . import style

    path = config.resolve_home(home)
    verifier = style.load(path)
    if verifier is None:
        raise ErreError(f"No style model in {path}. Run: erre style train --background FOLDER")
    text = file.read()
    if not text.strip():
        raise ErreError("The text is empty.")
    score = float(verifier.score([text])[0])
    if as_json:
        _echo_json({"score": round(score, 4), "windows": len(style.windows(text))})
        return
    click.echo(f"{score:.3f}")


@main.group("tune")
def tune_group() -> None:
    """Optional style tuning: a LoRA adapter trained on the writings (pip install 'erre[tune]')."""


@tune_group.command("prepare")
@click.option("--questions", type=click.Choice(["templates", "model"]), default="templates", show_default=True,
              help="Who writes the questions: templates from titles and headings, or the twin's model "
                   "(slower, better questions).")
@click.option("--limit", type=int, default=2000, show_default=True, help="Examples at most.")
@click.option("--seed", type=int, default=0, help="Seed of the shuffle.")
@home_option
@json_option
def tune_prepare(questions: str, limit: int, seed: int, home: str | None, as_json: bool) -> None:
    """Build the training set from the ingested writings and show a sample.

    \b
    erre tune prepare
    erre tune prepare --questions model
    """
    from .tune import data, folder
    from .twin import Twin

    bar = _progress_bar(not as_json)
    with Twin.open(home) as twin, closing(bar):
        twin.existing_store()
        examples = data.build(twin, questions=questions, limit=limit, seed=seed, progress=bar)
        where = folder(twin.home) / "data"
        counts = data.save(examples, where)
    if not examples:
        raise ErreError("No training example could be made: ingest some writings first (erre ingest FOLDER).")
    if as_json:
        _echo_json({"folder": str(where), **counts})
        return
    click.echo(f"Wrote {where}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sorted(counts.items())))
    for kind in ("qa", "continue"):
        e = next((x for x in examples if x.kind == kind), None)
        if e:
            click.secho(f"\n{'Question and answer' if kind == 'qa' else 'Continuation'} ({e.source})", bold=True)
            click.echo(e.messages[-1]["content"][-400:] if kind == "continue" else e.question)
            click.echo("→ " + (e.answer[:400] + ("…" if len(e.answer) > 400 else "")))


@tune_group.command("train")
@click.option("--name", default=None, help="The adapter's name (default: style-DATE-TIME); a started run "
                                           "with this name goes on from its last checkpoint.")
@click.option("--resume", is_flag=True, help="Go on with the latest run, from its last checkpoint.")
@click.option("--steps", type=int, default=None, help="Optimiser steps (default: tune.epochs over the data).")
@home_option
@json_option
def tune_train(name: str | None, resume: bool, steps: int | None, home: str | None, as_json: bool) -> None:
    """Train a LoRA adapter on tune/data (GPU when present; CPU works for small models).

    \b
    erre tune train
    erre tune train --resume
    erre ask "..." --adapter latest
    """
    from .tune import train
    from .twin import Twin

    with Twin.open(home) as twin:
        say = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
        target = train.run(twin, name=name, steps=steps, resume=resume, progress=say)
    meta = json.loads((target / "erre.json").read_text(encoding="utf-8"))
    if as_json:
        _echo_json({"adapter": str(target), **meta})
        return
    click.echo(f"Adapter {meta['name']} in {target}: {meta['steps']} steps on {meta['examples']} examples, "
               f"{meta['seconds']} s on {meta['device']}, training loss {meta['train_loss']}."
               + ("" if meta.get("gguf") else " (No GGUF copy: serve it through transformers.)"))
    click.echo("Use it: erre ask \"...\" --adapter latest   (or llm.adapter = \"latest\" in erre.toml)")


@tune_group.command("report")
@click.option("--adapter", default="latest", show_default=True, help="The adapter: a name or a folder.")
@click.option("--questions", type=int, default=20, show_default=True, help="Held-out questions answered per set-up.")
@click.option("--no-style", is_flag=True, help="Only the forgetting figures (no answers written).")
@click.option("--engine", type=click.Choice(["auto", "llamacpp", "transformers"]), default="auto",
              show_default=True, help="What runs the forgetting check (auto: llama.cpp when the adapter has a "
                                      "GGUF copy, as the twin serves it).")
@home_option
@json_option
def tune_report(adapter: str, questions: int, no_style: bool, engine: str, home: str | None,
                as_json: bool) -> None:
    """Style gained and general ability lost: the adapter against the base, side by side.

    \b
    erre tune report
    """
    from .tune import report
    from .twin import Twin

    with Twin.open(home) as twin:
        twin.existing_store()
        say = (lambda m: None) if as_json else (lambda m: click.echo(m, err=True))
        out = report.run(twin, lambda **o: Twin.open(twin.home, **o), adapter=adapter, questions=questions,
                         style=not no_style, say=say, engine=engine)
    if as_json:
        _echo_json(out)
        return
    click.echo(report.render(out))


@main.group("eval")
def eval_group() -> None:
    """Measure the twin: retrieval and answer quality."""


@eval_group.command("retrieval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False))
@click.option("--mode", type=click.Choice(["hybrid", "dense", "lexical", "all"]), default="hybrid")
@home_option
@json_option
def eval_retrieval(questions: str, mode: str, home: str | None, as_json: bool) -> None:
    """Recall@1, recall@5 and MRR@10 of search over what is ingested.

    \b
    erre eval retrieval questions.jsonl --mode all
    """
    from .eval import retrieval
    from .twin import Twin

    qs = retrieval.load_questions(Path(questions))
    modes = ["lexical", "dense", "hybrid"] if mode == "all" else [mode]
    with Twin.open(home) as twin:
        store = twin.existing_store()
        results = [retrieval.evaluate(store, twin.embedder if m != "lexical" else None, qs, mode=m,
                                      candidates=twin.settings.search_candidates) for m in modes]
    if as_json:
        _echo_json(results if mode == "all" else results[0])
        return
    click.echo(f"{'mode':8} {'questions':>9} {'R@1':>6} {'R@5':>6} {'MRR@10':>7}")
    for r in results:
        click.echo(f"{r['mode']:8} {r['questions']:>9} {r['recall@1']:6.3f} {r['recall@5']:6.3f} "
                   f"{r['mrr@10']:7.3f}")


@eval_group.command("answers")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False))
@_sample_options
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write every question with its answer and citations here (JSON Lines).")
@click.option("--split", default=None, help="Only the questions of this split (their 'split' field: dev, test).")
@_model_options
@home_option
@json_option
def eval_answers(questions: str, limit: int | None, seed: int, out: str | None, split: str | None,
                 backend: str | None, model: str | None, base_url: str | None, adapter: str | None,
                 home: str | None, as_json: bool) -> None:
    """Run the answer pipeline over a question set: citations, answers, abstention, declines,
    latency; by category and split when the set has them.

    \b
    erre eval answers questions.jsonl --limit 200 --out answers.jsonl
    erre eval answers bench/questions/ddbit-hard.jsonl --split test
    """
    from .eval import answers

    items = answers.load(Path(questions), limit=limit, seed=seed, split=split)
    twin = _open_for_chat(home, backend, model, base_url, adapter)
    summary = _answer_all(twin, lambda progress: answers.run(twin, items, progress=progress), as_json, out)
    if as_json:
        _echo_json(summary)
        return
    for key, value in summary.items():
        click.echo(f"{key:28} {'-' if value is None else value}")


def _answer_all(twin, run, as_json: bool, out: str | None) -> dict:
    """Load the model, run `run(progress)` over a question set with a progress bar, close the
    twin, write the records to `out` (JSON Lines); the summary."""
    progress = _progress_bar(enabled=not as_json)
    with twin, closing(progress):
        _load_model(twin)
        summary, records = run(lambda d, t: progress("answering", d, t))
    if out:
        Path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return summary


@eval_group.command("attacks")
@click.option("--cases", "cases_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Another set of cases (JSON Lines like erre's own, eval/data/attacks.jsonl).")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write every case's answer and verdict here (JSON Lines).")
@_model_options
@home_option
@json_option
def eval_attacks(cases_file: str | None, out: str | None, backend: str | None, model: str | None,
                 base_url: str | None, adapter: str | None, home: str | None, as_json: bool) -> None:
    """Prompt injections, requests for the hidden instructions, impersonation and malware,
    from the user and planted in documents: the share handled, with the twin's model.

    \b
    erre eval attacks                       (the default model)
    erre eval attacks --home ~/erre/massimo  (that twin's model and settings)
    """
    import tempfile

    from .eval import attacks
    from .twin import Twin

    items = attacks.cases(Path(cases_file) if cases_file else None)
    overrides = {"llm_backend": backend or ("openai" if base_url else None), "llm_model": model,
                 "llm_base_url": base_url}
    try:
        with Twin.open(home) as owner:
            if adapter and adapter != "none":  # the attacks' twin lives elsewhere: the adapter's own folder
                from . import tune

                overrides["llm_adapter"] = str(tune.adapter_dir(owner.home, adapter))
            settings = owner.settings.with_(**overrides)
    except ErreError:
        if home:
            raise
        settings = config.Settings().with_(**overrides)  # no twin yet: erre's defaults
    with tempfile.TemporaryDirectory(prefix="erre-attacks-") as tmp:
        twin = attacks.twin_for_attacks(settings, Path(tmp))
        summary = _answer_all(twin, lambda progress: attacks.run(twin, items, progress=progress), as_json, out)
    if as_json:
        _echo_json(summary)
        return
    click.echo(f"Handled {summary['handled']} of {summary['cases']} ({summary['share']:.0%})")
    for kind, v in summary["by_kind"].items():
        click.echo(f"  {kind:14} {v['share']:.0%} of {v['cases']}")
    for f in summary["failures"]:
        click.echo(f"  failed {f['id']}: {f['why']}")


@eval_group.command("voice")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False))
@_sample_options
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write both runs' answers here (JSON Lines, with a 'run' field).")
@_model_options
@home_option
@json_option
def eval_voice(questions: str, limit: int | None, seed: int, out: str | None, backend: str | None,
               model: str | None, base_url: str | None, adapter: str | None, home: str | None, as_json: bool) -> None:
    """The twin's answers against a neutral assistant's (same model, same evidence): style
    scores, the share attributed to the author, and grounding.

    \b
    erre eval voice questions.jsonl --limit 40
    """
    from .eval import answers, voice

    items = answers.load(Path(questions), limit=limit, seed=seed)
    progress = _progress_bar(enabled=not as_json)
    with _open_for_chat(home, backend, model, base_url, adapter) as twin, closing(progress):
        _load_model(twin)
        summary, records = voice.run(twin, items, progress=lambda n, d, t: progress(f"answering ({n})", d, t))
    if out:
        Path(out).write_text("".join(json.dumps({"run": run, **r}, ensure_ascii=False) + "\n"
                                     for run, recs in records.items() for r in recs), encoding="utf-8")
    if as_json:
        _echo_json(summary)
        return
    runs = [r for r in ("voice", "voice, first draft", "neutral") if r in summary]
    click.echo(f"{'':22}" + "".join(f" {r.replace(', ', ' ')[:18]:>18}" for r in runs))
    for k in summary["voice"]:
        values = [summary[r].get(k) for r in runs]
        click.echo(f"{k:22}" + "".join(f" {'-' if v is None else v:>18}" for v in values))


@main.command("config")
@home_option
def config_cmd(home: str | None) -> None:
    """Show the twin's settings (edit erre.toml in its directory to change them)."""
    from .twin import Twin

    with Twin.open(home) as twin:
        click.echo(f"# {twin.home / config.CONFIG_FILE}")
        click.echo(config.render(twin.settings), nl=False)


if __name__ == "__main__":
    main()
