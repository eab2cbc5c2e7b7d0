"""The `erre` command: a thin layer that parses, calls the core, and prints."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click

from . import __version__, config
from .errors import ErreError

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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="erre")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """erre: a twin of an author that answers from their writings.

    \b
    erre init massimo --name "Massimo Chiriatti"
    erre ingest ~/writing ~/books/libro.pdf
    erre search "cosa penso del fine-tuning?"
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
    from . import sync
    from .twin import Twin

    if sample:
        paths = (*paths, str(resources.files("erre") / "sample"))
    if not paths:
        raise ErreError("Nothing to ingest. Give folders or files: erre ingest ~/writing")
    twin = Twin.open(home, ingest_include_drafts=drafts)
    progress = _progress_bar(enabled=not as_json)
    try:
        report = sync.run(twin.store, twin.embedder, paths, twin.settings, progress=progress)
    finally:
        progress.close()
        twin.close()
    if as_json:
        _echo_json(report.as_dict())
        return
    for e in report.errors:
        click.echo(f"  failed: {e}", err=True)
    click.echo(report.summary())


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
            bar = self.bars[what] = tqdm(total=total, desc=what, unit="file" if what == "ingesting" else "chunk",
                                         leave=False, file=sys.stderr)
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

    twin = Twin.open(home)
    try:
        passages = retrieve.search(twin.existing_store(), twin.embedder if mode != "lexical" else None,
                                   query, k or twin.settings.search_k,
                                   candidates=twin.settings.search_candidates, mode=mode)
    finally:
        twin.close()
    if as_json:
        _echo_json([_passage_json(p) for p in passages])
        return
    if not passages:
        click.echo("No passages found.")
    for n, p in enumerate(passages, 1):
        c = p.chunk
        where = c.source + (f", p. {c.page}" if c.page else "")
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


def _passage_json(p) -> dict:
    c = p.chunk
    return {
        "id": p.id, "source": c.source, "title": c.title, "heading": list(c.heading),
        "page": c.page, "url": c.url, "date": c.date, "language": c.language,
        "start": c.start, "end": c.end, "text": c.text,
        "score": p.score, "dense": p.dense, "lexical": p.lexical,
        "rank_dense": p.rank_dense, "rank_lexical": p.rank_lexical,
    }


@main.command()
@home_option
@json_option
def status(home: str | None, as_json: bool) -> None:
    """Documents, chunks, languages, models and size of the twin's index."""
    from .twin import Twin

    twin = Twin.open(home)
    try:
        stats = twin.existing_store().stats()
    finally:
        twin.close()
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
    for root, n in stats["roots"].items():
        click.echo(f"  {root} ({n} files)")
    if stats["roots"]:
        click.echo("Re-run `erre ingest` on these paths to bring the index up to date.")


@main.group("eval")
def eval_group() -> None:
    """Measure the twin: retrieval quality."""


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
    twin = Twin.open(home)
    modes = ["lexical", "dense", "hybrid"] if mode == "all" else [mode]
    try:
        store = twin.existing_store()
        results = [retrieval.evaluate(store, twin.embedder if m != "lexical" else None, qs, mode=m,
                                      candidates=twin.settings.search_candidates) for m in modes]
    finally:
        twin.close()
    if as_json:
        _echo_json(results if mode == "all" else results[0])
        return
    click.echo(f"{'mode':8} {'questions':>9} {'R@1':>6} {'R@5':>6} {'MRR@10':>7}")
    for r in results:
        click.echo(f"{r['mode']:8} {r['questions']:>9} {r['recall@1']:6.3f} {r['recall@5']:6.3f} "
                   f"{r['mrr@10']:7.3f}")


@main.command("config")
@home_option
def config_cmd(home: str | None) -> None:
    """Show the twin's settings (edit erre.toml in its directory to change them)."""
    from .twin import Twin

    twin = Twin.open(home)
    click.echo(f"# {twin.home / config.CONFIG_FILE}")
    click.echo(config.render(twin.settings), nl=False)


if __name__ == "__main__":
    main()
