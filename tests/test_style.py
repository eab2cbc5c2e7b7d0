"""The style model: it tells two writers apart on texts it never saw, its scores are
probabilities, it is saved in the twin and scores every answer once trained."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from erre import style
from erre.errors import ErreError
from tests.conftest import ScriptedModel, write

CASUAL = ["Insomma, io ci provo sempre.", "Davvero, non ci avevo pensato!", "Lo dico spesso: meglio poco ma bene.",
          "E poi? Poi niente, si ricomincia.", "Mi piace, ecco.", "Ci penso su e ti dico.",
          "Io scrivo a mano, sai?", "Boh, forse sì.", "Ma dai, proviamo!", "Ecco il punto, davvero."]
FORMAL = ["Pertanto si ritiene opportuno procedere all'esame delle disposizioni vigenti in materia.",
          "Si osserva altresì che la normativa richiede adempimenti ulteriori da parte degli enti.",
          "Nella fattispecie, la commissione ha deliberato in conformità ai criteri stabiliti.",
          "Occorre inoltre considerare le implicazioni economiche derivanti dall'applicazione della norma.",
          "Ne consegue che l'amministrazione dovrà provvedere entro i termini previsti dalla legge.",
          "Il presente documento illustra le modalità di attuazione del regolamento."]


def _texts(pool, n, seed, words=260):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = []
        while sum(len(s.split()) for s in text) < words:
            text.append(rng.choice(pool))
        out.append(" ".join(text))
    return out


@pytest.mark.parametrize("n, expected", [(0, 0), (50, 1), (120, 1), (200, 2), (250, 2), (300, 3)])
def test_windows_are_about_an_answer_long(n, expected):
    assert len(style.windows(" ".join(["parola"] * n))) == expected


def test_the_model_tells_the_author_from_others_on_unseen_texts():
    author, others = _texts(CASUAL, 10, 1), _texts(FORMAL, 10, 2)
    v = style.train(author, others, "it")
    texts = _texts(CASUAL, 3, 7) + _texts(FORMAL, 3, 8)
    p_author, p_other = v.score(texts).reshape(2, 3)
    assert p_author.min() > 0.5 > p_other.max()
    # scored together or one by one, remembered or not: the same probabilities
    assert np.allclose(v.score(texts[::-1])[::-1], v.score(texts))
    fresh = style.train(author, others, "it")
    assert np.allclose([fresh.score([t])[0] for t in texts], v.score(texts))
    assert ((0 <= p_author) & (p_author <= 1)).all()
    assert style.check(author, others, "it") > 0.9


def test_too_little_text_is_a_clear_error():
    with pytest.raises(ErreError, match="Too little text"):
        style.train(["uno due tre"], ["quattro cinque"], "it")


def test_the_model_is_saved_in_the_twin(tmp_path):
    assert style.load(tmp_path) is None
    v = style.train(_texts(CASUAL, 6, 1), _texts(FORMAL, 6, 2), "it")
    text = ["Insomma, davvero!"]
    v.score(text)  # remembered scores stay out of the saved model
    style.save(v, tmp_path)
    again = style.load(tmp_path)
    assert "_scores" not in again.__dict__
    assert again is not None and again.score(text)[0] == pytest.approx(v.score(text)[0])


def test_train_score_and_answers_carry_the_score(sample_twin, tmp_path):
    from erre import chat

    background = tmp_path / "altri"
    for i, text in enumerate(_texts(FORMAL, 8, 3)):
        write(background / f"t{i}.txt", text)
    home = str(sample_twin.home)
    run = lambda *a, **kw: subprocess.run([sys.executable, "-m", "erre.cli", *a, "--home", home],  # noqa: E731
                                          capture_output=True, text=True, timeout=120, **kw)
    out = run("style", "train", "--background", str(background), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["language"] == "it" and report["background_texts"] == 8 and report["heldout_auc"] > 0.8
    own = run("style", "score", "-", "--json", input="Scrivere a mano mi obbliga a rallentare, e quando rallento "
              "penso meglio. Lo consiglio ai miei studenti: provate per un mese.")
    formal = run("style", "score", "-", "--json", input=_texts(FORMAL, 1, 9)[0])
    assert json.loads(own.stdout)["score"] > json.loads(formal.stdout)["score"]

    sample_twin.use(model=ScriptedModel("Scrivo a mano per rallentare [1]."))
    a = chat.answer(sample_twin, "Perché scrivi ancora a mano?")
    assert 0.0 <= a.style["score"] <= 1.0 and a.as_dict()["style"] == a.style


def test_an_answer_delivered_whole_is_the_draft_that_sounds_most_like_the_author(sample_twin):
    from erre import chat

    author = [text for _, _, lang, text in sample_twin.store.documents() if lang == "it"]
    verifier = style.train(author, _texts(FORMAL, 8, 3), "it")
    sample_twin.use(verifier=verifier)
    stiff = ("Pertanto si ritiene opportuno procedere alla scrittura manuale [1]. Ne consegue che "
             "l'amministrazione dovrà provvedere entro i termini previsti dalla legge.")
    own = "Scrivo a mano perché mi obbliga a rallentare [1], e quando rallento penso meglio. Provate per un mese!"
    for drafts, first_is_best in (((stiff, own), False), ((own, stiff), True)):
        model = ScriptedModel(*drafts)
        sample_twin.use(model=model)
        a = chat.answer(sample_twin, "Perché scrivi ancora a mano?", candidates=2)
        assert a.text == own and len(model.calls) == 2
        scores = a.style["candidates"]
        assert a.style["score"] == max(scores) and (scores[0] > scores[1]) == first_is_best
        assert [c.n for c in a.citations] == [1]
    # streamed: one draft, shown as it is written
    model = ScriptedModel(stiff, own)
    sample_twin.use(model=model)
    r = chat.reply(sample_twin, "Perché scrivi ancora a mano?")
    # (its [1] goes: the sentence shares too few words with the passage to be cited from it)
    assert len(list(r)) > 1 and r.answer.text == chat.strip_markers(stiff) and len(model.calls) == 1
    assert "candidates" not in r.answer.style
    # a neutral answer (the comparison) is never chosen by style
    model = ScriptedModel(stiff, own)
    sample_twin.use(model=model)
    assert chat.answer(sample_twin, "Perché scrivi ancora a mano?", voice=False).text == chat.strip_markers(stiff)


def test_no_background_says_what_to_pass(sample_twin):
    out = subprocess.run([sys.executable, "-m", "erre.cli", "style", "train", "--home", str(sample_twin.home)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "--background" in out.stderr


def test_eval_voice_compares_the_twin_with_a_neutral_assistant(sample_twin, tmp_path, tiny_gguf):
    from erre import persona

    persona.save(persona.build(sample_twin.store.documents(), "Lucia Ferri"), sample_twin.home)
    author = [text for _, _, lang, text in sample_twin.store.documents() if lang == "it"]
    style.save(style.train(author, _texts(FORMAL, 8, 3), "it"), sample_twin.home)
    qs = write(tmp_path / "q.jsonl", "\n".join(json.dumps(q) for q in [
        {"question": "Perché scrivi ancora a mano?", "sources": ["_posts/2023-02-14-perche-scrivo-a-mano.md"]},
        {"question": "Chi ha vinto il campionato di Serie A nel 1998?", "kind": "unanswerable"}]))
    out = subprocess.run([sys.executable, "-m", "erre.cli", "eval", "voice", str(qs), "--json", "--model",
                          str(tiny_gguf), "--home", str(sample_twin.home)], capture_output=True, text=True,
                         timeout=300,  # random weights write nonsense the grounding check would cut
                         env={**os.environ, "ERRE_CHAT_CHECKS": "false"})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for run in ("voice", "neutral"):
        r = report[run]
        assert r["answers"] == 1 and 0 <= r["style_mean"] <= 1 and r["attributed"] in (0.0, 1.0)
        assert r["abstention"] == 1.0 and r["citation_hit"] is not None


CASUAL_COOKING = ["Io la pasta la cuocio al dente, sai?", "Boh, il basilico va messo alla fine!",
                  "Ma dai, il sugo si fa piano piano.", "Insomma, la cipolla la taglio sottile.",
                  "E poi? Poi ci metto il pomodoro, ecco.", "Mi piace il forno caldo, davvero.",
                  "La farina? La setaccio io, sempre.", "Il sale lo butto dopo, mica prima!"]
FORMAL_SAILING = ["Pertanto si ritiene opportuno verificare lo stato delle vele prima della navigazione.",
                  "Si osserva altresì che la normativa richiede dotazioni di sicurezza a bordo dell'imbarcazione.",
                  "Nella fattispecie, il comandante ha ridotto la velatura in conformità ai bollettini.",
                  "Occorre inoltre considerare le condizioni del moto ondoso derivanti dal vento di maestrale.",
                  "Ne consegue che l'equipaggio dovrà provvedere all'ormeggio entro i termini previsti dal porto.",
                  "Il presente documento illustra le modalità di manutenzione dello scafo e del timone."]
FORMAL_COOKING = ["Pertanto si ritiene opportuno verificare la cottura della pasta prima del servizio in tavola.",
                  "Si osserva altresì che la ricetta richiede l'aggiunta del basilico al termine della preparazione.",
                  "Nella fattispecie, il cuoco ha disposto la riduzione del sugo in conformità alla ricetta.",
                  "Occorre inoltre considerare la qualità del pomodoro e della farina impiegati nell'impasto.",
                  "Ne consegue che il personale dovrà provvedere alla cottura nel forno entro i termini previsti.",
                  "Il presente documento illustra le modalità di preparazione della cipolla e del sale."]
CASUAL_SAILING = ["Io la vela la cambio al volo, sai?", "Boh, il timone va tenuto dritto!",
                  "Ma dai, lo scafo si pulisce piano piano.", "Insomma, la cima la lego stretta.",
                  "E poi? Poi ci metto il fiocco, ecco.", "Mi piace il maestrale forte, davvero."]


def test_the_model_judges_style_not_topic():
    """The author writes casually about cooking, the others formally about sailing: a formal
    text about cooking is not the author's, a casual one about sailing is."""
    v = style.train(_texts(CASUAL_COOKING, 12, 1), _texts(FORMAL_SAILING, 12, 2), "it")
    formal_cooking = v.score(_texts(FORMAL_COOKING, 3, 5))
    casual_sailing = v.score(_texts(CASUAL_SAILING, 3, 6))
    assert formal_cooking.max() < 0.5 < casual_sailing.min()


def test_distortion_keeps_function_words_and_punctuation_only():
    keep = frozenset({"ho", "su", "che", "la", "nel", "non"})
    assert style.distort("Ho scritto su Python che la RAM nel 2024 non basta!", keep) == \
        "Ho ******* su ****** che la *** nel #### non *****!"


def test_a_text_in_another_language_is_not_the_authors():
    v = style.train(_texts(CASUAL_COOKING, 12, 1), _texts(FORMAL_SAILING, 12, 2), "it")
    english = ("I cook my pasta al dente, you know? Then I add the basil at the end, and the sauce "
               "simmers slowly while I chop the onion thin. I like a hot oven, really.")
    italian = ("Io la pasta la cuocio al dente, sai? Poi il basilico lo metto alla fine, e il sugo va "
               "piano piano mentre taglio la cipolla sottile. Mi piace il forno caldo, davvero.")
    p_en, p_it = v.score([english, italian])
    assert p_en == 0.0 and p_it > 0.5
