"""Small classifiers over the embedder's question vectors: what kind of message this is.

The question is embedded once for retrieval; a logistic regression over that same vector
tells, at no extra model cost, whether the message is a question to the author or a task
for an assistant (write, translate, summarise, decode, play a role, speak as someone else:
`SCOPE`), whether it asks for a private fact the author would not publish (`PERSONAL`), and
whether it asks the author about a time gone by in words no rule of `when` reads (`TENSE`).
Phrase patterns learn the attacks they were written from; a classifier over a multilingual
sentence space, trained on varied examples in several languages, generalises to wordings
it has never seen.

The features are the message's vector and the vector of the same message with its names
and figures masked ("Sei Sun Tzu" and "Sei Sam Altman" both read "Sei X"): the first holds
the subject, the second the form, which is what tells "you are X now" from "what do you
think of X?" (five-fold recall of the task classifier at a 2% false rate on its data: 0.80
with the plain vector, 0.86 with both). The private-question classifier reads the plain
vector: there the subject is what matters.

Each classifier is trained on `data/<name>.jsonl` and its decision threshold is chosen on a
separate set, `data/<name>-calibration.jsonl`, so that at most `max_false` of the genuine
questions there are flagged. The weights for the default embedder ship in
`data/<name>.<embedder>.json` (`python -m erre.answer.classify` writes them); for any other
embedder they are trained on first use and kept in the twin's cache.

The task classifier reads better with the chat model's own reading of the message beside
the embedder's two vectors (`SCOPE_READ`: the mean of a llama.cpp model's last hidden states,
llm/llamacpp.py `Reader`). Its weights ship for the default embedder and the default model;
for another GGUF model `python -m erre.answer.classify --home TWIN` reads the data through
it (minutes) into the twin's cache. Until then, and for models served elsewhere, the
embedder-only classifier decides. It is trained on more data (`scope-more`: readers'
greetings and statements, questions with context, polite tasks, readers' questions on the
author's own practice put as requests: "Would you let…", "Lasceresti…", "Dovrei…", questions
after a sentence about the reader: "Sto scrivendo la tesi… In quale articolo…?", and readers
asking where to follow or reach the author, beside tasks on social media: "ha instagram?",
"Write me a caption for…") that the embedder-only classifier does not take: with the
embedder's vectors alone they cost it attacks it caught.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from . import answerable

DATA = resources.files("erre.answer") / "data"


@dataclass(frozen=True)
class Spec:
    """A classifier to train: its data files, the label it detects, how many genuine
    questions of the calibration set it may flag."""

    name: str
    positive: str
    max_false: float = 0.02
    form: bool = False  # reads the masked form beside the plain vector
    C: float = 4.0  # the regression's inverse regularisation
    reads: bool = False  # reads the chat model's reading of the message too (a Reader)
    more: str = ""  # another data set (`<more>.jsonl` and `<more>-calibration.jsonl`) it takes

    @property
    def files(self) -> tuple[str, ...]:
        sets = (self.name, self.more) if self.more else (self.name,)
        return tuple(f"{s}{part}.jsonl" for s in sets for part in ("", "-calibration"))


# both choices by five-fold recall on the data and by the development split of the hard set
SCOPE = Spec("scope", "task", form=True, C=16.0)
# C by the same rule; see docs/answers.md for the figures on every set
SCOPE_READ = Spec("scope", "task", form=True, C=4.0, reads=True, more="scope-more")
PERSONAL = Spec("personal", "personal", max_false=0.05)
# a question about a time gone by that only its verbs or an event of then tell ("Cosa hai risposto
# al preside?", "What made you quit the band?"), for every chat model: C by six-fold recall on its
# data (folds by author); reading with the chat model too, a little better there, is left out (docs/time.md)
TENSE = Spec("tense", "past", form=True, C=16.0)


@dataclass(frozen=True)
class Classifier:
    name: str
    embedder: str
    weights: np.ndarray  # (dim,)
    bias: float
    threshold: float  # probability from which a message is of the positive kind
    data: str  # hash of the training and calibration data it was made from
    figures: dict  # measured on the calibration set
    reader: str = ""  # the model whose reading it takes beside the embedder's vectors

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        z = np.asarray(vectors, dtype=np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def flags(self, vectors: np.ndarray) -> np.ndarray:
        return self.probability(vectors) >= self.threshold

    def as_json(self) -> str:
        return json.dumps({"name": self.name, "embedder": self.embedder, "reader": self.reader, "bias": self.bias,
                           "threshold": self.threshold, "data": self.data, "figures": self.figures,
                           "weights": [round(float(w), 6) for w in self.weights]}, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Classifier":
        obj = json.loads(text)
        return cls(obj["name"], obj["embedder"], np.asarray(obj["weights"], dtype=np.float64),
                   float(obj["bias"]), float(obj["threshold"]), obj["data"], obj.get("figures", {}),
                   obj.get("reader", ""))


def rows(spec: Spec, part: str = "") -> list[tuple[str, bool, str]]:
    """(text, is positive, language) from the spec's training files, or its calibration files."""
    out = []
    for name in spec.files:
        if name.endswith("-calibration.jsonl") != (part == "calibration"):
            continue
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                out.append((obj["text"], obj["label"] == spec.positive, obj.get("language", "en")))
    return out


def masked(text: str, lang: str) -> str:
    """The message with its names, figures and acronyms replaced by X: its form."""
    return answerable.without(text, sorted(set(answerable.specific_terms(text, lang)), key=len, reverse=True), "X")


def features(embedder, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    """The classifiers' input for each text: its query vector beside the vector of its masked
    form (a classifier that reads only the plain vector takes the first `embedder.dim`
    columns)."""
    forms = [masked(t, lang) for t, lang in zip(texts, langs)]
    both = np.asarray(embedder.queries(list(texts) + forms), dtype=np.float64)  # one call for both
    return np.hstack([both[:len(texts)], both[len(texts):]])


def read(reader, texts: Sequence[str], x: np.ndarray) -> np.ndarray:
    """`features`' columns `x` of the texts with the reader's reading of them after."""
    return np.hstack([x, np.asarray(reader.read(list(texts)), dtype=np.float64)])


def data_hash(spec: Spec) -> str:
    h = hashlib.sha256()
    for name in spec.files:
        h.update((DATA / name).read_bytes())
    return h.hexdigest()[:16]


def _slug(embedder_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", embedder_name).strip("-")


def _width(spec: Spec, embedder, reader=None) -> int:
    return (2 if spec.form else 1) * embedder.dim + (reader.dim if spec.reads and reader is not None else 0)


def train(spec: Spec, embedder, reader=None) -> Classifier:
    """Fit on the training files, choose the threshold on the calibration files."""
    from sklearn.linear_model import LogisticRegression

    if spec.reads and reader is None:
        raise ValueError(f"the classifier {spec.name} reads a chat model's reading: give a reader")

    def inputs(rs: list[tuple[str, bool, str]]) -> np.ndarray:
        texts = [t for t, _, _ in rs]
        x = (features(embedder, texts, [lang for _, _, lang in rs]) if spec.form
             else np.asarray(embedder.queries(texts), dtype=np.float64))
        return read(reader, texts, x) if spec.reads else x

    fit = rows(spec)
    y = np.array([p for _, p, _ in fit])
    model = LogisticRegression(C=spec.C, max_iter=5000, class_weight="balanced").fit(inputs(fit), y)
    w, b = model.coef_[0].astype(np.float64), float(model.intercept_[0])
    cal = rows(spec, "calibration")
    p = 1.0 / (1.0 + np.exp(-(inputs(cal) @ w + b)))
    pos = np.array([q for _, q, _ in cal])
    negatives = np.sort(p[~pos])[::-1]
    # the lowest threshold that flags at most max_false of the genuine questions, never under 0.5
    allowed = int(np.floor(spec.max_false * len(negatives)))
    threshold = max(0.5, float(negatives[allowed]) + 1e-6) if len(negatives) > allowed else 0.5
    flagged = p >= threshold
    figures = {"train": len(fit), "calibration": len(cal),
               "recall": round(float(flagged[pos].mean()), 4) if pos.any() else None,
               "false_rate": round(float(flagged[~pos].mean()), 4) if (~pos).any() else None}
    return Classifier(spec.name, embedder.name, w, b, round(threshold, 6), data_hash(spec), figures,
                      reader.name if spec.reads else "")


def file_name(spec: Spec, embedder_name: str, reader_name: str = "") -> str:
    return f"{spec.name}.{_slug(embedder_name)}" + (f"+{_slug(reader_name)}" if reader_name else "") + ".json"


def shipped_path(spec: Spec, embedder_name: str, reader_name: str = ""):
    return DATA / file_name(spec, embedder_name, reader_name)


_LOADED: dict[tuple[str, str, str], Classifier] = {}


def _found(spec: Spec, embedder, cache: Path | None, reader=None) -> Classifier | None:
    """The spec's classifier for this embedder (and reader), shipped or cached, made from the
    current data; None when there is none."""
    names = (spec.name, embedder.name, reader.name if spec.reads else "")
    if names in _LOADED:
        return _LOADED[names]
    current = data_hash(spec)
    places: list = [shipped_path(spec, *names[1:])] + ([cache / file_name(spec, *names[1:])] if cache else [])
    for place in places:
        if place.is_file():
            c = Classifier.from_json(place.read_text(encoding="utf-8"))
            if (c.data == current and (c.embedder, c.reader) == names[1:]
                    and len(c.weights) == _width(spec, embedder, reader)):
                _LOADED[names] = c
                return c
    return None


def load(spec: Spec, embedder, cache: Path | None = None) -> Classifier:
    """The spec's classifier for this embedder: shipped, cached, or trained now (and cached)."""
    if spec.reads:
        raise ValueError(f"the classifier {spec.name} reads a chat model's reading: load it with `reading`")
    found = _found(spec, embedder, cache)
    if found is None:
        found = train(spec, embedder)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            (cache / file_name(spec, embedder.name)).write_text(found.as_json(), encoding="utf-8")
        _LOADED[(spec.name, embedder.name, "")] = found
    return found


def reading(spec: Spec, embedder, reader, cache: Path | None = None) -> Classifier | None:
    """The classifier that reads `reader`'s reading beside the embedder's vectors: shipped or
    cached; None until it exists (it is not trained on first use, which would read thousands
    of messages through the chat model: `prepare`)."""
    return _found(spec, embedder, cache, reader)


def prepare(embedder, reader, folder: Path, specs: Sequence[Spec] = (SCOPE, SCOPE_READ, PERSONAL, TENSE),
            say=print) -> list[Path]:
    """Train each classifier for `embedder` (and `reader`, for those that read one) and write it
    into `folder`: the package's data folder for the shipped weights, or a twin's cache."""
    out = []
    for spec in specs:
        if spec.reads and reader is None:
            continue
        c = train(spec, embedder, reader)
        path = Path(folder) / file_name(spec, c.embedder, c.reader)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(c.as_json(), encoding="utf-8")
        _LOADED[(spec.name, c.embedder, c.reader)] = c
        out.append(path)
        say(f"{spec.name}{' (with ' + c.reader + ')' if c.reader else ''}: {c.figures}, "
            f"threshold {c.threshold:.3f} -> {path}")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """python -m erre.answer.classify: the shipped weights for the default embedder and model
    (a source checkout), or with --home, a twin's own embedder and model, into its cache."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m erre.answer.classify", description=main.__doc__)
    parser.add_argument("--home", help="a twin's folder: train for its embedder and chat model, into its cache")
    args = parser.parse_args(argv)
    if args.home:
        from ..twin import Twin

        with Twin.open(args.home) as twin:
            prepare(twin.embedder, twin.reader, twin.home / "cache")
        return
    from ..config import Settings
    from ..embed import load as load_embedder
    from ..llm import llamacpp, models

    settings = Settings()
    # the default model, assembled once under ~/.cache/erre (a source checkout's own copy)
    reader = llamacpp.Reader(models.resolve(settings.llm_model, Path.home() / ".cache" / "erre"),
                             threads=settings.llm_threads)
    prepare(load_embedder(settings), reader, Path(str(DATA)))


if __name__ == "__main__":
    main()
