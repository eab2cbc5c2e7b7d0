"""The style profile: computed from the documents, written to persona.md, read back with the
author's edits, rebuilt without losing the author's Voice section."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from erre import persona
from erre.errors import ErreError

IT = ("Io scrivo ogni mattina sul mio quaderno. Ti chiedo: perché scrivi? In pratica, il quaderno mi aiuta. "
      "Il mio quaderno è sempre con me.\n\nQuindi, in pratica, scrivo a mano. Ti consiglio di provare: "
      "in pratica funziona. Il quaderno non mente.\n\nQuindi il quaderno resta. In pratica, lo rileggo la sera.")
EN = "We write together. Our notes are shared, and we read them aloud. Do you? We think you should."


def test_the_profile_measures_register_lengths_and_habits():
    docs = [("a.md", "A", "it", IT), ("b.md", "B", "it", IT.replace("mattina", "sera")), ("c.md", "C", "en", EN)]
    p = persona.build(docs, "Lucia Ferri")
    assert p.documents == 3 and p.main_language == "it" and p.languages["it"] > 0.8
    assert p.person["singular"] > p.person["plural"] == 0
    assert p.address["tu"] > 0 and p.register()[:2] == ["first person singular", "addresses the reader as 'tu'"]
    assert 5 < p.sentence_words["mean"] < 15 and p.paragraph_words["p50"] > 10
    assert p.question_share > 0 and p.marks["questions"] > 0 and p.marks["colons"] > 0
    assert "quaderno" in p.distinctive_words
    assert "in pratica" in p.expressions
    assert any(o.startswith("quindi") for o in p.openings)


def test_english_register_is_plural_when_the_author_writes_we():
    p = persona.build([("c.md", "C", "en", EN * 3)], "X")
    assert p.register()[0] == "first person plural" and "'you'" in p.register()[1]


def test_nothing_ingested_is_a_clear_error():
    with pytest.raises(ErreError, match="erre ingest"):
        persona.build([], "X")


def test_persona_md_is_read_back_with_edits_and_the_voice_survives_a_rebuild(tmp_path):
    p = persona.build([("a.md", "A", "it", IT)], "Lucia Ferri")
    path = persona.save(p, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n") and "## Voice" in text and "how I write" in text
    edited = text.replace("name: Lucia Ferri", "name: Lucia F.").replace(
        "<!-- Describe", "Scrivo corto, senza giri di parole.\n<!-- Describe")
    path.write_text(edited, encoding="utf-8")
    back = persona.load(tmp_path)
    assert back.name == "Lucia F." and back.voice == "Scrivo corto, senza giri di parole."
    persona.save(persona.build([("a.md", "A", "it", IT + " Nuova frase scritta oggi.")], "Lucia Ferri"), tmp_path)
    assert persona.load(tmp_path).voice == "Scrivo corto, senza giri di parole."


def test_a_broken_persona_md_is_named(tmp_path):
    with pytest.raises(ErreError, match="persona build"):
        persona.load(tmp_path)
    (tmp_path / persona.PERSONA_FILE).write_text("---\nname: [\n---\n", encoding="utf-8")
    with pytest.raises(ErreError, match="not valid YAML"):
        persona.load(tmp_path)


def test_cli_builds_and_shows_the_persona_of_the_sample(sample_twin):
    home = str(sample_twin.home)
    sample_twin.close()
    run = lambda *a: subprocess.run([sys.executable, "-m", "erre.cli", *a, "--home", home],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    built = run("persona", "build")
    assert built.returncode == 0, built.stderr
    assert "first person singular" in built.stdout and "persona.md" in built.stdout
    shown = json.loads(run("persona", "show", "--json").stdout)
    assert shown["name"] == "Lucia Ferri" and shown["languages"]["it"] > 0.5
    assert "quaderno" in shown["distinctive_words"]
