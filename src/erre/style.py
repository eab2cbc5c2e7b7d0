"""How much a text reads like the author: an authorship-verification model.

The model learns the author's texts against a background of other writers in the same
language, from features that carry style more than topic: character n-grams of the text with
every word but the function words masked (text distortion, Stamatatos 2017: how function
words, punctuation and word lengths follow each other) and the relative frequencies of
function words (the classic signal of stylometry, Burrows 2002). Masking matters for a twin:
its answers are about the author's topics and reuse the author's terms, and a model that
learned topic would call any answer on those topics the author's. A logistic regression separates the two; its
output is calibrated (Platt scaling, fitted on texts held out of each training fold, never on
windows of a text the fold trained on) so a score is a probability. Texts are cut into windows
of about the length of an answer, so the model is trained on what it will judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import language
from .errors import ErreError, MissingExtra

WINDOW_WORDS = 120  # about the length of a twin's answer
LANGUAGE_CHECK_WORDS = 20  # texts at least this long are checked to be in the model's language
_WORD = re.compile(r"\S+")


def windows(text: str, size: int = WINDOW_WORDS) -> list[str]:
    """Consecutive windows of `size` words; a last piece shorter than half a window joins the
    one before. A text shorter than a window is one window."""
    words = _WORD.findall(text)
    if not words:
        return []
    cuts = list(range(0, len(words), size))
    if len(cuts) > 1 and len(words) - cuts[-1] < size // 2:
        cuts.pop()
    return [" ".join(words[a:b]) for a, b in zip(cuts, [*cuts[1:], len(words)])]


def _sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingExtra("scikit-learn (the style model)", "scikit-learn") from None


_TOKEN = re.compile(r"\w+")


def distort(text: str, keep: frozenset[str]) -> str:
    """The text with every word that is not a function word masked, letter by letter ("*",
    digits "#"): what is left is how the author strings function words, punctuation and word
    lengths together, not what they write about (text distortion, Stamatatos 2017)."""
    return _TOKEN.sub(lambda m: m.group(0) if language.fold(m.group(0)) in keep else
                      ("#" if m.group(0).isdigit() else "*") * len(m.group(0)), text)


VIEWS = ("distorted", "raw")  # what the character n-grams see; the first is the default


def _features(lang: str, view: str = VIEWS[0]):
    from functools import partial

    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import Normalizer

    function_words = sorted(language.stopwords(lang)) or None
    keep = frozenset(language.fold(w) for w in function_words or ())
    if view not in VIEWS:
        raise ErreError(f"Unknown style view '{view}': one of {', '.join(VIEWS)}")
    if view == "raw":  # character n-grams of the words themselves: style and topic together
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2,
                                max_features=40000, lowercase=False)
    else:
        chars = TfidfVectorizer(analyzer="char", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                max_features=40000, lowercase=False, preprocessor=partial(distort, keep=keep))
    return FeatureUnion([
        ("chars", chars),
        # relative frequencies of function words (the language's stop words)
        ("function_words", make_pipeline(
            CountVectorizer(vocabulary=function_words, token_pattern=r"(?u)\b\w+\b", preprocessor=language.fold),
            Normalizer(norm="l1"))) if function_words else ("function_words", "drop"),
    ])


@dataclass
class Verifier:
    """A trained model: `score` gives, for each text, the probability the author wrote it."""

    lang: str
    model: object
    author_windows: int
    background_windows: int

    def __getstate__(self) -> dict:
        # the scores remembered while serving are not part of the model
        return {k: v for k, v in self.__dict__.items() if k != "_scores"}

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Probability per text; a text longer than a window is scored as the mean of its
        windows. A text of 20 words or more in another language than the model's is not the
        author's writing in that language: 0 (masking would otherwise hide every word of it)."""
        # the same passages come back as examples of form question after question
        cache: dict[str, float] = self.__dict__.setdefault("_scores", {})
        if len(cache) > 4096:
            cache.clear()
        out = [cache.get(t, 0.0) for t in texts]
        parts: list[str] = []
        owners: list[int] = []
        for i, text in enumerate(texts):
            if text in cache:
                continue
            if len(_WORD.findall(text)) >= LANGUAGE_CHECK_WORDS and language.detect(text, self.lang) != self.lang:
                continue
            cut = windows(text) or [text]
            parts += cut
            owners += [i] * len(cut)
        if parts:  # one call for every window of every text: the pipeline's cost is per call
            p = self.model.predict_proba(parts)[:, 1]  # type: ignore[attr-defined]
            sums = np.bincount(owners, weights=p, minlength=len(texts))
            counts = np.bincount(owners, minlength=len(texts))
            for i in set(owners):
                out[i] = cache[texts[i]] = float(sums[i] / counts[i])
        return np.array(out)


def train(author: Sequence[str], background: Sequence[str], lang: str, *, folds: int = 5,
          seed: int = 0, view: str = VIEWS[0]) -> Verifier:
    """A verifier for `author`'s texts against `background` texts (other writers, same language)."""
    _sklearn()
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline

    x: list[str] = []
    y: list[int] = []
    groups: list[int] = []  # the text each window comes from: folds never split a text
    texts = [(1, t) for t in author] + [(0, t) for t in background]
    for text_id, (label, t) in enumerate(texts):
        ws = windows(t)
        x += ws
        y += [label] * len(ws)
        groups += [text_id] * len(ws)
    n_author, n_background = y.count(1), y.count(0)
    if n_author < 4 or n_background < 4:
        raise ErreError(f"Too little text to learn a style: {n_author} windows of the author and "
                        f"{n_background} of other writers ({WINDOW_WORDS} words each); 4 of each at least")
    n_texts = len(set(groups))  # texts with at least one window
    splits = list(GroupKFold(n_splits=max(2, min(folds, n_texts // 2))).split(x, y, groups))
    splits = [(a, b) for a, b in splits if len(set(np.array(y)[a])) == 2 and len(set(np.array(y)[b])) == 2]
    classifier = make_pipeline(_features(lang, view),
                               LogisticRegression(C=10.0, class_weight="balanced", max_iter=3000))
    if splits:
        model = CalibratedClassifierCV(classifier, method="sigmoid", cv=splits)
    else:  # too few texts to hold any out: an uncalibrated fit is the best there is
        model = classifier
    model.fit(x, y)
    return Verifier(lang=lang, model=model, author_windows=n_author, background_windows=n_background)


# -- background texts and the twin's model ------------------------------------------

MODEL_FILE = "style.pkl"


def background_texts(paths: Sequence[str]) -> list[str]:
    """Texts by other writers, from files or folders in any format erre ingests."""
    from pathlib import Path

    from . import ingest

    texts: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise ErreError(f"Background not found: {raw} (a folder of texts by other writers in the "
                            f"author's language; set style.background or pass --background)")
        files = [path] if path.is_file() else list(ingest.discover(path))
        for f in files:
            result = ingest.read(f, f.name)
            texts += [d.text for d in result.documents if d.text.strip()]
    return texts


def save(verifier: Verifier, home) -> None:
    """Pickled into the twin's home (only erre writes it; it is loaded only from there)."""
    import pickle
    from pathlib import Path

    import sklearn

    path = Path(home) / MODEL_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps({"sklearn": sklearn.__version__, "verifier": verifier}))
    tmp.replace(path)


def load(home) -> Verifier | None:
    """The twin's trained verifier, or None when `erre style train` was not run."""
    import pickle
    from pathlib import Path

    path = Path(home) / MODEL_FILE
    if not path.exists():
        return None
    _sklearn()
    import sklearn

    data = pickle.loads(path.read_bytes())
    if data.get("sklearn") != sklearn.__version__:
        raise ErreError(f"{path} was trained with scikit-learn {data.get('sklearn')}, this is "
                        f"{sklearn.__version__}. Run: erre style train")
    return data["verifier"]


def check(author: Sequence[str], background: Sequence[str], lang: str, *, seed: int = 0,
          view: str = VIEWS[0]) -> float:
    """ROC AUC on held-out texts: trained on 80% of each side's texts, tested on the windows of
    the other 20%. How well the model tells the author from the background."""
    import random

    from sklearn.metrics import roc_auc_score

    rng = random.Random(seed)
    a, b = list(author), list(background)
    rng.shuffle(a)
    rng.shuffle(b)
    cut_a, cut_b = max(1, len(a) // 5), max(1, len(b) // 5)
    if len(a) - cut_a < 2 or len(b) - cut_b < 2:
        raise ErreError("Too few texts to hold some out: 3 of the author and 3 of other writers at least")
    v = train(a[cut_a:], b[cut_b:], lang, seed=seed, view=view)
    wa = [w for t in a[:cut_a] for w in windows(t)]
    wb = [w for t in b[:cut_b] for w in windows(t)]
    return float(roc_auc_score([1] * len(wa) + [0] * len(wb), v.score(wa + wb)))
