"""The training set for style tuning, made from the twin's own index.

Two kinds of example, both written as the twin's chat prompts so that what is learnt is
used the way the twin asks:

- **continuation**: a stretch of one of the author's texts, and the text that follows it;
- **question/answer**: a question a passage answers, the twin's answering prompt with the
  passages a search finds for it (the source among them), and the passage itself as the
  answer, citing its number. Questions are written by the twin's model when asked to
  (`questions="model"`), otherwise made from the passage's title or heading with templates.

Whole documents go to one split, so the held-out examples (one document in ten, at least one
when there are two) come from texts the adapter never saw.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import chat, retrieve
from ..answer import prompt as answering
from ..documents import Chunk, Passage
from ..llm import Message

CONTEXT_WORDS = 120  # words of the text shown before a continuation
TARGET_WORDS = 160  # words the continuation runs to, at most
CONTINUATIONS_PER_DOCUMENT = 4
PASSAGES = 2  # passages in a question/answer prompt: the source and one more (short prompts train faster)
HELDOUT_EVERY = 10  # one document in ten is held out


@dataclass
class Example:
    kind: str  # "continue" or "qa"
    split: str  # "train" or "heldout"
    source: str
    language: str
    messages: list[Message]  # the prompt
    answer: str  # what the author wrote
    question: str = ""
    chunk: int | None = None
    meta: dict = field(default_factory=dict)


def _rank(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def heldout_sources(sources) -> frozenset[str]:
    """The documents held out: one in HELDOUT_EVERY (at least one of two or more), chosen by
    the hash of their name, so the choice does not move when others are added."""
    ordered = sorted(set(sources), key=_rank)
    n = max(1, round(len(ordered) / HELDOUT_EVERY)) if len(ordered) >= 2 else 0
    return frozenset(ordered[:n])


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 5]


def _words(parts: list[str], limit: int, *, from_end: bool = False) -> str:
    """Whole paragraphs up to `limit` words (from the end: the last ones), at least one."""
    out: list[str] = []
    n = 0
    for p in reversed(parts) if from_end else parts:
        if out and n + len(p.split()) > limit:
            break
        out.append(p)
        n += len(p.split())
    return "\n\n".join(reversed(out) if from_end else out)


def continuations(source: str, lang: str, text: str, settings, split: str = "train") -> Iterator[Example]:
    """Up to CONTINUATIONS_PER_DOCUMENT (text so far, what follows) pairs from one document."""
    paras = _paragraphs(text)
    if len(paras) < 2:
        return
    texts = chat.prompts(lang)
    step = max(1, (len(paras) - 1) // CONTINUATIONS_PER_DOCUMENT)
    for i in range(1, len(paras), step)[:CONTINUATIONS_PER_DOCUMENT]:
        before = _words(paras[:i], CONTEXT_WORDS, from_end=True)
        after = _words(paras[i:], TARGET_WORDS)
        system = texts["system"].format(name=settings.name or "the author",
                                        language=chat.LANGUAGE_NAMES.get(lang, "the language of the question"))
        yield Example("continue", split, source, lang,
                      [Message(role="system", content=system),
                       Message(role="user", content=texts["tune_continue"].format(text=before))],
                      after)


def template_question(chunk: Chunk, lang: str, rng: random.Random) -> str:
    """The passage's heading (or title) as the question when it is one, else in a template."""
    topic = (chunk.heading[-1] if chunk.heading else chunk.title).strip() or chunk.source
    if topic.endswith("?"):
        return topic
    return rng.choice(chat.prompts(lang)["tune_questions"]).format(topic=topic)


def _body(chunk: Chunk) -> str:
    """The chunk's text without the heading line it may start with."""
    text = chunk.text.strip()
    for h in (*chunk.heading, chunk.title):
        if h and text.startswith(h) and text[len(h):len(h) + 1] in ("\n", ""):
            text = text[len(h):].strip()
    return text


def model_question(model, chunk: Chunk, lang: str) -> str | None:
    """The question the twin's model writes for a passage; None when it writes no question."""
    texts = chat.prompts(lang)
    prompt = texts["tune_ask"].format(language=chat.LANGUAGE_NAMES.get(lang, "English"), text=chunk.text[:2000])
    out = "".join(model.stream([Message(role="user", content=prompt)], max_tokens=60, temperature=0.0))
    line = next((s.strip().strip('"«»“”').strip() for s in out.splitlines() if s.strip()), "")
    return line if line.endswith("?") and 3 <= len(line.split()) <= 40 else None


def question_answer(twin, cid: int, chunk: Chunk, question: str, split: str = "train") -> Example:
    """The twin's answering prompt for `question` with the source passage among those shown,
    and the passage as the answer, citing its number."""
    lang = chunk.language or "en"
    found = [p for p in retrieve.search(twin.store, twin.embedder, question, k=PASSAGES + 1) if p.id != cid]
    shown = [Passage(cid, chunk, 1.0), *found[:PASSAGES - 1]]
    random.Random(cid).shuffle(shown)
    n = next(i for i, p in enumerate(shown, 1) if p.id == cid)
    messages = answering.build(twin.settings, question, lang, [(p, p.chunk.text) for p in shown], [])
    return Example("qa", split, chunk.source, lang, messages,
                   f"{_body(chunk)} [{n}]", question=question, chunk=cid)


def build(twin, *, questions: str = "templates", limit: int = 2000, seed: int = 0,
          progress: Callable[[str, int, int], None] | None = None) -> list[Example]:
    """Every example, continuations and question/answer pairs, at most `limit` of them (half
    each when there are enough), shuffled with `seed`."""
    rng = random.Random(seed)
    store = twin.store
    documents = list(store.documents())
    held = heldout_sources(source for source, *_ in documents)
    split = lambda source: "heldout" if source in held else "train"  # noqa: E731
    conts = [e for source, _title, lang, text in documents
             for e in continuations(source, lang or "en", text, twin.settings, split(source))]
    chunks = [(cid, c) for batch in store.chunk_texts() for cid, c in batch if len(c.text.split()) >= 20]
    rng.shuffle(chunks)
    rng.shuffle(conts)
    n_qa = min(len(chunks), max(limit // 2, limit - len(conts)))
    qa: list[Example] = []
    for i, (cid, chunk) in enumerate(chunks[:n_qa]):
        lang = chunk.language or "en"
        q = model_question(twin.model, chunk, lang) if questions == "model" else None
        example = question_answer(twin, cid, chunk, q or template_question(chunk, lang, rng), split(chunk.source))
        example.meta["question_by"] = "model" if q else "template"
        qa.append(example)
        if progress:
            progress("questions", i + 1, n_qa)
    examples = qa + conts[:max(0, limit - len(qa))]
    rng.shuffle(examples)
    return examples


def save(examples: list[Example], folder: Path) -> dict[str, int]:
    """train.jsonl and heldout.jsonl in `folder`; returns how many of each kind and split."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files = {split: open(folder / f"{split}.jsonl", "w", encoding="utf-8") for split in ("train", "heldout")}
    try:
        for e in examples:
            files[e.split].write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
            key = f"{e.split}_{e.kind}"
            counts[key] = counts.get(key, 0) + 1
    finally:
        for f in files.values():
            f.close()
    return counts


def load(folder: Path, split: str) -> list[Example]:
    path = folder / f"{split}.jsonl"
    if not path.is_file():
        from ..errors import ErreError

        raise ErreError(f"No training set in {folder}: run `erre tune prepare` first.")
    with open(path, encoding="utf-8") as f:
        return [Example(**json.loads(line)) for line in f if line.strip()]
