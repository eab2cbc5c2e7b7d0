"""Small classifiers over the embedder's question vectors: what kind of message this is.

The question is embedded once for retrieval; a logistic regression over that same vector
tells, at no extra model cost, whether the message is a question to the author or a task
for an assistant (write, translate, summarise, decode, play a role, speak as someone else:
`SCOPE`), and whether it asks for a private fact the author would not publish (`PERSONAL`).
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


# both choices by five-fold recall on the data and by the development split of the hard set
SCOPE = Spec("scope", "task", form=True, C=16.0)
PERSONAL = Spec("personal", "personal", max_false=0.05)


@dataclass(frozen=True)
class Classifier:
    name: str
    embedder: str
    weights: np.ndarray  # (dim,)
    bias: float
    threshold: float  # probability from which a message is of the positive kind
    data: str  # hash of the training and calibration data it was made from
    figures: dict  # measured on the calibration set

    def probability(self, vectors: np.ndarray) -> np.ndarray:
        z = np.asarray(vectors, dtype=np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def flags(self, vectors: np.ndarray) -> np.ndarray:
        return self.probability(vectors) >= self.threshold

    def as_json(self) -> str:
        return json.dumps({"name": self.name, "embedder": self.embedder, "bias": self.bias,
                           "threshold": self.threshold, "data": self.data, "figures": self.figures,
                           "weights": [round(float(w), 6) for w in self.weights]}, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Classifier":
        obj = json.loads(text)
        return cls(obj["name"], obj["embedder"], np.asarray(obj["weights"], dtype=np.float64),
                   float(obj["bias"]), float(obj["threshold"]), obj["data"], obj.get("figures", {}))


def rows(spec: Spec, part: str = "") -> list[tuple[str, bool, str]]:
    """(text, is positive, language) from the spec's training file, or its calibration file."""
    name = f"{spec.name}-{part}.jsonl" if part else f"{spec.name}.jsonl"
    out = []
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


def data_hash(spec: Spec) -> str:
    h = hashlib.sha256()
    for name in (f"{spec.name}.jsonl", f"{spec.name}-calibration.jsonl"):
        h.update((DATA / name).read_bytes())
    return h.hexdigest()[:16]


def _slug(embedder_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", embedder_name).strip("-")


def train(spec: Spec, embedder) -> Classifier:
    """Fit on the training file, choose the threshold on the calibration file."""
    from sklearn.linear_model import LogisticRegression

    def inputs(rs: list[tuple[str, bool, str]]) -> np.ndarray:
        texts = [t for t, _, _ in rs]
        if not spec.form:
            return np.asarray(embedder.queries(texts), dtype=np.float64)
        return features(embedder, texts, [lang for _, _, lang in rs])

    fit = rows(spec)
    y = np.array([p for _, p, _ in fit])
    model = LogisticRegression(C=spec.C, max_iter=3000, class_weight="balanced").fit(inputs(fit), y)
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
    return Classifier(spec.name, embedder.name, w, b, round(threshold, 6), data_hash(spec), figures)


def shipped_path(spec: Spec, embedder_name: str):
    return DATA / f"{spec.name}.{_slug(embedder_name)}.json"


_LOADED: dict[tuple[str, str], Classifier] = {}


def load(spec: Spec, embedder, cache: Path | None = None) -> Classifier:
    """The spec's classifier for this embedder: shipped, cached, or trained now (and cached)."""
    key = (spec.name, embedder.name)
    if key in _LOADED:
        return _LOADED[key]
    current = data_hash(spec)
    found: Classifier | None = None
    shipped = shipped_path(spec, embedder.name)
    places: list = [shipped] + ([cache / f"{spec.name}.{_slug(embedder.name)}.json"] if cache else [])
    for place in places:
        if place.is_file():
            c = Classifier.from_json(place.read_text(encoding="utf-8"))
            width = (2 if spec.form else 1) * embedder.dim
            if c.data == current and c.embedder == embedder.name and len(c.weights) == width:
                found = c
                break
    if found is None:
        found = train(spec, embedder)
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            (cache / f"{spec.name}.{_slug(embedder.name)}.json").write_text(found.as_json(), encoding="utf-8")
    _LOADED[key] = found
    return found


def write_shipped(embedder, specs: Sequence[Spec] = (SCOPE, PERSONAL)) -> list[Path]:
    """Train each classifier for `embedder` and write it beside its data (a source checkout)."""
    out = []
    for spec in specs:
        c = train(spec, embedder)
        path = Path(str(shipped_path(spec, embedder.name)))
        path.write_text(c.as_json(), encoding="utf-8")
        _LOADED[(spec.name, embedder.name)] = c
        out.append(path)
        print(f"{spec.name}: {c.figures}, threshold {c.threshold:.3f} -> {path}")
    return out


if __name__ == "__main__":  # python -m erre.answer.classify: the shipped weights for the default embedder
    from ..config import Settings
    from ..embed import load as load_embedder

    write_shipped(load_embedder(Settings()))
