"""Time: every document's date from its format, dated evidence in prompts and citations, the
time a question asks about, the evidence ordered by it, and the timeline of a topic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from erre import chat, language, sync
from erre.answer import asking, when, writings
from erre.answer.texts import spoken_date
from erre.documents import Chunk, Passage
from erre.ingest import dates, read
from erre.subjects import NEAR_SHARE

from .conftest import ScriptedModel, write
from .test_cli import erre


@pytest.mark.parametrize("value, expected", [
    ("2016-03-12", "2016-03-12"),
    ("2016-03-12T10:00:00+01:00", "2016-03-12"),
    (dt.date(2016, 3, 12), "2016-03-12"),
    (dt.datetime(2016, 3, 12, 9, 30), "2016-03-12"),
    ("D:20160312101500+01'00'", "2016-03-12"),
    ("12 marzo 2016", "2016-03-12"),
    ("1° maggio 2019", "2019-05-01"),
    ("March 3, 2018", "2018-03-03"),
    ("3rd March 2018", "2018-03-03"),
    ("12/03/2016", "2016-03-12"),  # day first, as in Italy
    ("2016/03/12", "2016-03-12"),
    ("marzo 2016", "2016-03"),
    (2016, "2016"),
    ("31 febbraio 2016", None),
    ("1850-01-01", None),
    ("soon", None),
    ("", None),
])
def test_dates_become_iso(value, expected):
    assert dates.normalise(value) == expected


@pytest.mark.parametrize("name, text, expected", [
    ("post.md", "---\ntitle: Uno\ndate: 2016-03-12 10:00:00 +0100\n---\nTesto del post.\n", "2016-03-12"),
    ("post.md", "---\ntitle: Uno\nupdated: 2020-01-08\n---\nTesto del post.\n", "2020-01-08"),
    ("post.md", "---\ntitle: Uno\ndate: 2012-05-14\nupdated: 2020-01-08\n---\nTesto.\n", "2012-05-14"),
    ("2014-04-10-telefono.md", "---\ntitle: Il telefono\n---\nTesto del post.\n", "2014-04-10"),
    ("note.md", "# Appunto\n\nBologna, 12 marzo 2016\n\nTesto dell'appunto.\n", "2016-03-12"),
    ("note.md", "# Appunto\n\nNel 2016 ho letto molto, e il 12 marzo 2016 ho finito.\n", None),  # prose, not a dateline
    ("lettera.txt", "London, March 3, 2018\n\nSnowed in\n\nThe text of the letter.\n", "2018-03-03"),
    ("export.jsonl", '{"id": "a", "title": "A", "text": "Testo.", "date": "2019-02-03T08:00:00Z"}\n', "2019-02-03"),
    ("page.html", '<html><head><title>T</title><meta property="article:published_time" '
                  'content="2017-11-08T09:00:00Z"></head><body><p>Testo della pagina.</p></body></html>', "2017-11-08"),
])
def test_every_format_gives_its_date(tmp_path, name, text, expected):
    path = write(tmp_path / name, text)
    [doc] = read(path, name).documents
    assert doc.date == expected


def test_a_dateline_gives_the_date_and_the_title_is_the_line_after(tmp_path):
    path = write(tmp_path / "ballaro.txt", "Palermo, 21 luglio 2016\n\nAl mercato di Ballarò\n\nLe voci dei banchi.\n")
    [doc] = read(path, "ballaro.txt").documents
    assert (doc.date, doc.title) == ("2016-07-21", "Al mercato di Ballarò")
    assert "Palermo" not in doc.text


def test_docx_and_pdf_metadata_give_the_date(tmp_path):
    import docx
    from fpdf import FPDF

    d = docx.Document()
    d.add_paragraph("Un testo scritto in Word, con qualche frase.")
    d.core_properties.created = dt.datetime(2019, 9, 25, 8, 0)
    d.save(tmp_path / "gita.docx")
    blank = docx.Document()
    blank.add_paragraph("Un documento nato dal modello vuoto di python-docx.")
    blank.save(tmp_path / "vuoto.docx")
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2015, 6, 22, 12, 0, tzinfo=dt.timezone.utc))
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Le macchine elettriche non mi convincono.")
    pdf.output(str(tmp_path / "auto.pdf"))
    assert read(tmp_path / "gita.docx", "gita.docx").documents[0].date == "2019-09-25"
    assert read(tmp_path / "vuoto.docx", "vuoto.docx").documents[0].date is None  # the template's date is no date
    assert read(tmp_path / "auto.pdf", "auto.pdf").documents[0].date == "2015-06-22"


def test_the_file_time_never_counts_and_ingest_names_the_undated(twin, tmp_path):
    folder = tmp_path / "writings"
    write(folder / "2016-01-10-calvino.md", "---\ntitle: Calvino\n---\nRileggo le città invisibili.\n")
    write(folder / "zuppa.md", "---\ntitle: Zuppa imperiale\n---\nLa ricetta di mia nonna.\n")
    report = sync.run(twin.store, twin.embedder, [str(folder)], twin.settings)
    assert report.undated == ["zuppa.md"] and report.as_dict()["undated"] == ["zuppa.md"]
    assert twin.store.document_dates() == {"2016-01-10-calvino.md": "2016-01-10", "zuppa.md": None}
    stats = twin.store.stats()
    assert stats["undated"] == 1 and stats["dates"] == ["2016-01-10", "2016-01-10"]


@pytest.mark.parametrize("question, kind, first, last", [
    ("Cosa ne pensi del lavoro da remoto?", when.NOW, 0, 9999),
    ("Sei ancora contraria agli e-book?", when.NOW, 0, 9999),
    ("Nel 2014 cosa pensavi dei telefoni in classe?", when.YEARS, 2014, 2014),
    ("What did you think about e-books back in 2013?", when.YEARS, 2013, 2013),
    ("Tra il 2012 e il 2015 cosa scrivevi dei compiti?", when.YEARS, 2012, 2015),
    ("What did you write before 2016 about cars?", when.YEARS, 0, 2015),
    ("All'inizio cosa pensavi dei social?", when.EARLY, 0, 9999),
    ("When you started the blog, did you like Facebook?", when.EARLY, 0, 9999),
    ("When you first started the blog, what did you make of Twitter?", when.EARLY, 0, 9999),
    # opening the blog, a page, an account: the author's beginning there
    ("Quando apristi la pagina Facebook del blog, cosa ti aspettavi?", when.EARLY, 0, 9999),
    ("Quando hai aperto il blog cosa pensavi dei social?", when.EARLY, 0, 9999),
    ("When you launched your blog, did you read on paper?", when.EARLY, 0, 9999),
    ("Quando iniziasti a insegnare, davi tanti compiti?", when.EARLY, 0, 9999),
    ("Mio figlio, quando ha aperto il profilo, cosa doveva fare?", when.NOW, 0, 9999),  # his, not hers
    ("Quando hai aperto la scatola di latta, cosa c'era dentro?", when.PAST, 0, 9999),  # an occasion
    ("You used to give a lot of homework, right?", when.EARLY, 0, 9999),
    ("What tool did you use to run the model?", when.PAST, 0, 9999),  # a time gone by, not a habit
    ("My eyesight isn't what it used to be. Would you recommend an e-reader?", when.NOW, 0, 9999),  # not hers
    ("In the early days, did you read on a screen?", when.EARLY, 0, 9999),
    ("Qualche anno fa cosa pensavi dei tablet?", when.EARLY, 0, 9999),
    ("Agli inizi del blog cosa pensavi dei social, allora?", when.EARLY, 0, 9999),
    ("I social ti stancavano: in che modo li usavi allora?", when.EARLY, 0, 9999),
    ("Allora prof, cosa ne pensa dei compiti?", when.NOW, 0, 9999),  # "so", not "then"
    ("Niente traduzioni a casa, è vero? E allora come si impara il latino?", when.NOW, 0, 9999),
    ("Una volta pensavi che i compiti servissero?", when.EARLY, 0, 9999),
    ("Leggi ad alta voce ai ragazzi una volta a settimana?", when.NOW, 0, 9999),  # how often
    ("Una volta che il telefono è nella scatola, cosa fanno i ragazzi?", when.NOW, 0, 9999),
    ("Cosa c'entra un generale di 2500 anni fa con la sicurezza?", when.NOW, 0, 9999),  # not the author's past
    ("Quando hai cambiato idea sui compiti?", when.CHANGE, 0, 9999),
    ("How did your view on electric cars evolve?", when.CHANGE, 0, 9999),
    # whether the view held all along is asked over time; a habit of now is not
    ("Sei sempre stata una lettrice da carta stampata?", when.CHANGE, 0, 9999),
    ("Hai sempre pensato che il latino servisse?", when.CHANGE, 0, 9999),
    ("Have you always been against homework?", when.CHANGE, 0, 9999),
    ("Leggi sempre su carta?", when.NOW, 0, 9999),
    ("Do you always read on paper?", when.NOW, 0, 9999),
    ("Qual è l'ultima cosa che hai scritto sui compiti?", when.LATEST, 0, 9999),
    ("Qual è il tuo articolo più recente sul latino?", when.LATEST, 0, 9999),
    ("What's your latest post on e-readers?", when.LATEST, 0, 9999),
    ("What was your latest blog entry about phones at school?", when.LATEST, 0, 9999),
    ("Which is the last blog post you wrote on Latin?", when.LATEST, 0, 9999),
    ("What was the last thing you wrote about homework?", when.LATEST, 0, 9999),
    ("When did you last write about reading aloud to your class?", when.LATEST, 0, 9999),
    ("Quando hai scritto l'ultima volta dei telefoni in classe?", when.LATEST, 0, 9999),
    ("Cosa pensi delle ultime elezioni?", when.NOW, 0, 9999),
    # a time gone by, named by the verb alone: Italian second person imperfect, English "did you"
    ("Che regole davi alla classe per i compiti?", when.PAST, 0, 9999),
    ("Eri contraria alle auto elettriche?", when.PAST, 0, 9999),
    ("Ti piacevano i social?", when.PAST, 0, 9999),
    ("Leggevi ancora ad alta voce durante la didattica a distanza?", when.PAST, 0, 9999),
    ("During lockdown, did you still read aloud to your class?", when.PAST, 0, 9999),
    ("Quella volta al convegno, cosa ha risposto all'economista?", when.PAST, 0, 9999),
    # ... the third person imperfect of the author addressed formally, or of what befell them
    ("Al convegno qualcuno voleva abolire il latino: lei come aveva risposto?", when.PAST, 0, 9999),
    ("Prima del lettore elettronico, cosa ti teneva lontana dagli ebook?", when.PAST, 0, 9999),
    ("Le sembrava giusto dare tanti compiti?", when.PAST, 0, 9999),
    ("Mia nonna diceva che il latino non serve: tu che ne pensi?", when.NOW, 0, 9999),  # not the author's
    ("Come lei diceva, il latino insegna a leggere piano?", when.NOW, 0, 9999),  # the writing referred to
    ("Lei aveva ragione sui compiti: li dà ancora?", when.NOW, 0, 9999),  # a word of now
    # ...but a word of now, a present "ancora", a reference to the writing are of now
    ("Usavi il telefono in classe: e oggi?", when.NOW, 0, 9999),
    ("Vai ancora al lavoro in bici, come scrivevi?", when.NOW, 0, 9999),
    ("Do you still read on paper, or did you switch?", when.NOW, 0, 9999),
    ("Did you ever write about cats?", when.NOW, 0, 9999),
    ("Quali sono le chiavi di una buona lezione?", when.NOW, 0, 9999),  # a noun, not a verb
    ("Bevi caffè la mattina?", when.NOW, 0, 9999),
    # the time before a change is the early view
    ("Before you changed your mind about e-books, what did you dislike?", when.EARLY, 0, 9999),
    ("Prima di cambiare idea sui compiti, quanti ne davi?", when.EARLY, 0, 9999),
    ("Cosa scrivevi sulla Sicilia negli anni 90?", when.PAST, 0, 9999),  # a decade, not "over the years"
    # the past in other forms: "voi", "what made you", "when you were… still", an hour is not "ora"
    ("Con i tablet in classe cosa ci facevate, ricerche o giochi?", when.PAST, 0, 9999),
    ("Quali libri leggevate insieme in terza?", when.PAST, 0, 9999),
    ("What made you stop giving homework over the summer?", when.PAST, 0, 9999),
    ("When you were still on Facebook, how did you use it with parents?", when.PAST, 0, 9999),
    ("Quando davi mezz'ora di lettura a casa, la controllavi?", when.PAST, 0, 9999),
    ("When you deleted Facebook from your phone, was it about the shouting?", when.PAST, 0, 9999),
    ("What bothered you about reading on a screen?", when.PAST, 0, 9999),
    ("Quando hai tolto l'app dal telefono, quali regole ti sei data?", when.PAST, 0, 9999),
    # the sentences that ask decide: the author's past told before the question is not its time
    ("Ricordo che davi tantissimi compiti. Secondo te servono?", when.NOW, 0, 9999),
    ("Mia sorella dice che le facevi tradurre Cesare col vocabolario. Perché dobbiamo farlo?", when.NOW, 0, 9999),
    ("Tu che difendevi i compiti a spada tratta, come la vedi?", when.NOW, 0, 9999),
    ("Tu che cosa gli rispondevi?", when.PAST, 0, 9999),  # "tu, che cosa…", not "you who…"
    ("Tu che ne pensavi, dei social?", when.PAST, 0, 9999),
    ("Eri convinta che gli ebook fossero un noleggio. Cosa te lo faceva pensare?", when.PAST, 0, 9999),
    ("Tenevi il telefono sul banco. Come mai?", when.PAST, 0, 9999),  # a word or two ask about what precedes
])
def test_the_time_a_question_asks_about(question, kind, first, last):
    assert when.asked(question) == when.When(kind, first, last)


def test_a_question_asking_about_a_year_is_searched_by_meaning_without_it():
    # a passage's text holds no date: the year would pull the question's vector away from it
    assert when.undated("Back in 2013, what was your stance on homework?") == "what was your stance on homework?"
    assert when.undated("Tra il 2012 e il 2015 cosa scrivevi dei compiti?") == "cosa scrivevi dei compiti?"
    assert when.undated("What did you write before 2016 about cars?") == "What did you write about cars?"
    assert when.undated("Nel 2014, cosa pensavi dei telefoni?") == "cosa pensavi dei telefoni?"
    assert when.undated("2014?") == "2014?"  # nothing else to search for


def test_the_words_saying_when_are_not_searched_for_in_the_passages():
    # the time orders the evidence; "oggi" in the words found the post that says "oggi" most
    assert when.timeless("Come la pensa oggi sul lavoro da fare a casa?") == "Come la pensa sul lavoro da fare a casa?"
    assert when.timeless("Leggi ancora su carta, o ti sei arresa?") == "Leggi su carta, o ti sei arresa?"
    assert when.timeless("Cosa pensi dei 30 all'ora in città?") == "Cosa pensi dei 30 all'ora in città?"  # an hour
    assert when.timeless("All'inizio cosa pensavi degli ebook?") == "cosa pensavi degli ebook?"
    assert when.timeless("Do you still use Facebook these days?") == "Do you use Facebook?"
    assert when.timeless("Nel 2014 cosa pensavi dei telefoni?") == "Nel 2014 cosa pensavi dei telefoni?"  # words
    assert when.timeless("E oggi?") == "E oggi?"  # nothing else to search for


def test_a_question_about_now_finds_its_subject_not_the_writing_that_says_now(twin, tmp_path):
    corpus = tmp_path / "w"
    write(corpus / "2022-01-09-bacheche.md", "---\ntitle: Ho spento le bacheche\n---\nOggi ho chiuso i miei "
          "account: Facebook, Twitter, Instagram. Oggi mi sento più leggera, e oggi la sera leggo. Oggi, finalmente, "
          "silenzio.\n")
    write(corpus / "2023-10-05-compiti.md", "---\ntitle: Una classe senza compiti\n---\nDa quest'anno non "
          "assegno più esercizi per il pomeriggio: a casa si legge, e il resto si fa in classe con me.\n")
    write(corpus / "2016-05-01-gita.md", "---\ntitle: In gita\n---\nIeri siamo andati a Ravenna con la classe: "
          "mosaici, piadina e un pullman rumoroso.\n")
    write(corpus / "2019-03-03-ebook.md", "---\ntitle: Lettrice convertita\n---\nOrmai leggo quasi tutto su uno "
          "schermo: il carattere si ingrandisce, e i libri si prendono in prestito.\n")
    twin.ingest([str(corpus)])
    from erre.answer import pipeline

    reply = pipeline.reply(twin, "Come la pensa oggi sul lavoro da fare a casa?")
    found = reply._find("it", "it", 0.0, pipeline.Clock())
    assert found.query == "Come la pensa sul lavoro da fare a casa?"
    assert found.passages[0].chunk.source.endswith("2023-10-05-compiti.md")  # not the post saying "oggi" most


def _passage(i: int, date: str | None, dense: float, text: str = "") -> Passage:
    text = text or f"Passaggio {i} sui compiti."
    return Passage(id=i, chunk=Chunk(source=f"d{i}.md", title=f"D{i}", text=text, start=0, end=len(text), date=date,
                                         language="it"),
                   score=dense, dense=dense)


def test_a_sentence_may_tell_the_date_of_a_passage_shown():
    from erre.answer import grounding

    shown = [_passage(1, "2014-03-05", 0.9, "Il telefono sul banco è ammesso in classe come vocabolario."),
             _passage(2, "2024-02-19", 0.8, "I telefoni stanno spenti in una scatola di latta.")]
    for sentence, problem in [
        ("Nel 2014 ho scritto che il telefono sul banco è ammesso in classe [1].", None),
        ("In March 2014 I wrote that the phone on the desk was allowed in class [1].", None),
        ("Il 5 marzo 2014 ho scritto che il telefono è ammesso [1].", None),
        ("Nel 2016 ho scritto che il telefono sul banco è ammesso in classe [1].", "number"),  # no passage of 2016
        ("In October 2014 I wrote that the phone was allowed in class [1].", "name"),  # nor of that month
        ("Nel 2014 ho scritto che i telefoni stanno spenti in una scatola [2].", "number"),  # cites the 2024 one
        ("Nel 2024 ho scritto che i telefoni stanno spenti in una scatola [2].", None),
        ("Nel 2024 ho scritto che i telefoni stanno spenti in una scatola.", None),  # no citation: one shown
    ]:
        s = grounding.Sentences("Il telefono in classe?", "it", shown)
        "".join(s.feed([sentence]))
        assert (s.cut[0].problem if s.cut else None) == problem, sentence
    assert dates.date_words("2023-10-05") == "2023 ottobre october 5" and dates.date_words("2014") == "2014"
    assert dates.date_words(None) == "" and dates.date_words("undated") == ""


def test_a_passage_telling_an_earlier_view_gives_way_to_the_writing_of_then():
    assert when.recollection("Quando ho aperto questo blog ero convinta che i social fossero una sala professori.")
    assert when.recollection("Ho cambiato idea, e la settimana scorsa ho chiuso tutti i miei account.")
    assert when.recollection("For years I defended homework as a school of discipline.")
    assert not when.recollection("I social mi stancano: li apro una volta al giorno.")
    recalled = _passage(1, "2022-01-09", 0.90, "Quando ho aperto questo blog ero convinta che i social fossero "
                                               "una sala professori globale.")
    then = _passage(2, "2017-05-14", 0.88, "Ho tolto l'applicazione dal telefono: una stanchezza da bacheca.")
    other = _passage(3, "2014-11-27", 0.87, "Leggo ad alta voce ai ragazzi ogni venerdì.")
    topic = language.terms("stancavano", "it")  # "stanc", the start of "stanchezza"
    # a time gone by: the older writing holding the question's topic word leads, the one
    # recalling it and the others follow
    assert [p.id for p in when.arrange(when.When(when.PAST), [recalled, then, other], [], 4, topic)] == [2, 1, 3]
    assert when.arrange(when.When(when.EARLY), [recalled, then, other], [], 4, topic)[0].id == 2
    # not when the best passage tells its own time's view, nor for an older passage on another subject
    plain = _passage(4, "2022-01-09", 0.90, "La settimana scorsa ho chiuso tutti i miei account.")
    assert [p.id for p in when.arrange(when.When(when.PAST), [plain, then, other], [], 4, topic)] == [4, 2, 3]
    assert [p.id for p in when.arrange(when.When(when.PAST), [recalled, other], [], 4, topic)] == [1, 3]
    # nor for a question about now: the newest view stays first
    assert when.arrange(when.When(when.NOW), [recalled, then, other], [], 4, topic)[0].id == 1


def test_a_recollection_brings_the_older_writings_it_looks_back_on_oldest_first():
    import numpy as np

    from erre.subjects import Subjects

    recalled = _passage(1, "2022-01-09", 0.90, "Quando ho aperto questo blog ero convinta che i social fossero "
                                               "una sala professori globale.")
    tired = _passage(2, "2017-05-14", 0.88, "Ho tolto l'applicazione dal telefono, la sera.")
    then = _passage(3, "2011-03-20", 0.80, "I finally opened a Twitter account.")
    other = _passage(4, "2014-11-27", 0.87, "Leggo ad alta voce ai ragazzi ogni venerdì.")
    ebook = _passage(5, "2012-05-14", 0.86, "L'applicazione della biblioteca non mi convince.")
    # 2011 and 2017 each have the 2022 post for their nearest writing; its own nearest is the post on
    # reading aloud, whose nearest is the one on the e-book (no writing is its nearest's nearest)
    vectors = np.array([[1.0, 0, 0, 0], [0.9, 0.44, 0, 0], [0.8, 0, 0.6, 0], [0.95, 0, 0, 0.31], [0.9, 0, 0, 0.44]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    subjects = Subjects(None, np.arange(5), [f"d{i}.md" for i in range(1, 6)], vectors.astype(np.float16))
    question = vectors[0].astype(np.float32)
    far = np.array([1.0, 0, -0.6, 0], dtype=np.float32)  # far from 2011's post
    far /= np.linalg.norm(far)
    assert subjects.toward("d1.md", question) == ["d2.md", "d3.md"]
    assert subjects.toward("d1.md", far) == ["d2.md"] and subjects.toward("d1.md", far, share=0.4) == ["d2.md", "d3.md"]
    assert subjects.toward("d2.md", question) == [] and subjects.toward("nowhere.md", question) == []
    # the passage of a writing it looks back on: the one found, or else the writing's nearest the question
    nearest = {"d3.md": then}.get
    back = writings.looked_back
    assert [p.id for p in back(subjects, recalled, question, {"d2.md": tired}, set(), nearest)] == [2, 3]
    assert [p.id for p in back(subjects, recalled, far, {"d2.md": tired}, set(), nearest)] == [2]
    assert [p.id for p in back(subjects, recalled, question, {}, {"d2.md"}, nearest)] == [3]
    assert back(subjects, other, question, {}, set(), nearest) == []  # no recollection
    # the question names no word of those writings: the ones looked back on lead, oldest first, one
    # not found joining; an older passage holding a topic word follows them
    topic = language.terms("applicazione", "it")
    arranged = when.arrange(when.When(when.PAST), [recalled, tired, other, ebook], [], 4, topic, [then])
    assert [p.id for p in arranged] == [3, 2, 5, 1, 4]
    assert [p.id for p in when.arrange(when.When(when.PAST), [recalled, tired, other], [], 4, (), [then, tired])] == [
        3, 2, 1, 4]
    # without them, the topic word alone, in the passages' order
    assert [p.id for p in when.arrange(when.When(when.PAST), [recalled, tired, other, ebook], [], 4, topic)] == [
        2, 5, 1, 4]
    # the model reads the writings of then, not the later one telling of them (whether the writings
    # answer the question is judged on all); with none before it, the same passages
    assert [p.id for p in when.arrange(when.When(when.PAST), [recalled, tired, other], [], 4, (), [then, tired],
                                       newest=True)] == [3, 2, 4]
    assert [p.id for p in when.arrange(when.When(when.PAST), [recalled, other], [], 4, (), [], newest=True)] == [1, 4]


def test_the_evidence_is_ordered_by_the_time_asked_about():
    old, new, other, undated = (_passage(1, "2013-09-16", 0.90), _passage(2, "2023-10-05", 0.89),
                                _passage(3, "2018-09-12", 0.80), _passage(4, None, 0.885))
    found = [old, new, other]
    topic = language.terms("compiti", "it")
    # now: among the passages on the same point as the best (near it, holding the question's
    # topic word), the newest first; the rest after
    assert [p.id for p in when.arrange(when.When(when.NOW), found, found, 4, topic)] == [2, 1, 3]
    assert [p.id for p in when.arrange(when.When(when.NOW), found, found, 4, ())] == [1, 2, 3]  # no topic word
    # what the model reads for now: the point's newest writing, not the older one beside it,
    # even when only the older one holds a detail the question names
    assert [p.id for p in when.arrange(when.When(when.NOW), found, found, 4, topic, newest=True)] == [2, 3]
    assert [p.id for p in when.arrange(when.When(when.NOW), [old, new, undated], [], 4, topic, newest=True)] == [4, 2]
    dictionary = _passage(8, "2013-09-16", 0.90, "Compiti col dizionario di latino sul telefono.")
    assert [p.id for p in when.arrange(when.When(when.NOW), [dictionary, new], [], 4, topic, newest=True)] == [2]
    assert [p.id for p in when.arrange(when.When(when.CHANGE), found, found, 4, topic, newest=True)] == [1, 2, 3]
    part_one = _passage(9, "2022-12-28", 0.90)  # the year before: likely the same view, or a series' first part
    assert [p.id for p in when.arrange(when.When(when.NOW), [part_one, new], [], 4, topic, newest=True)] == [2, 9]
    elsewhere = _passage(5, "2024-01-01", 0.895, "Il ragù della domenica.")  # near, newer, another subject
    assert [p.id for p in when.arrange(when.When(when.NOW), [old, elsewhere], [], 4, topic)] == [1, 5]
    assert [p.id for p in when.arrange(when.When(when.NOW), [old, undated], [], 4, topic)] == [1, 4]  # one year only
    assert [p.id for p in when.arrange(when.When(when.CHANGE), found, found, 4)] == [1, 3, 2]
    # the beginning, a change: the passages on the point oldest first, an older one on another
    # subject after them (the beginning) or, when the point is unknown, everything in time order
    # (a change) or as found (the beginning)
    first, ragu = _passage(6, "2023-10-05", 0.90), _passage(7, "2011-07-15", 0.80, "Il ragù della domenica.")
    found = [first, old, ragu]
    assert [p.id for p in when.arrange(when.When(when.EARLY), found, found, 4, topic)] == [1, 6, 7]
    assert [p.id for p in when.arrange(when.When(when.EARLY), found, found, 4)] == [6, 1, 7]
    # what the model reads for the beginning: the point's oldest writing, not a newer one telling of then
    assert [p.id for p in when.arrange(when.When(when.EARLY), found, found, 4, topic, newest=True)] == [1, 7]
    assert [p.id for p in when.arrange(when.When(when.EARLY), [first, old, undated], [], 4, topic,
                                       newest=True)] == [1]
    assert [p.id for p in when.arrange(when.When(when.EARLY), [first, part_one], [], 4, topic, newest=True)] == [9, 6]
    # nor one on another subject written later ("Ho cambiato idea…" on e-books draws the model to
    # itself, for the beginning of social networks); the evidence judged keeps it
    assert [p.id for p in when.arrange(when.When(when.EARLY), [first, old, elsewhere], [], 4, topic,
                                       newest=True)] == [1]
    assert [p.id for p in when.arrange(when.When(when.EARLY), [first, old, elsewhere], [], 4, topic)] == [1, 6, 5]
    assert [p.id for p in when.arrange(when.When(when.CHANGE), found, found, 4, topic)] == [1, 6, 7]
    assert [p.id for p in when.arrange(when.When(when.CHANGE), found, found, 4)] == [7, 1, 6]
    found = [old, new, other]
    # a year: the writings of that year, when the best passages hold one
    assert [p.id for p in when.arrange(when.When(when.YEARS, 2018, 2018), [old, other], found, 4)] == [3]
    assert [p.id for p in when.arrange(when.When(when.YEARS, 2001, 2001), found, found, 4)] == [1, 2, 3]
    assert [p.id for p in when.arrange(when.When(when.OFF), found, found, 4)] == [1, 2, 3]
    # a time gone by, not named: as found, the old writing kept
    assert [p.id for p in when.arrange(when.When(when.PAST), found, found, 4, topic, newest=True)] == [1, 2, 3]
    texts = {"time_past": "past", "time_now": "now"}
    assert when.note(when.When(when.PAST), found, texts) == "past"
    assert when.note(when.When(when.NOW), found, texts) == "now"


def test_the_latest_writing_on_a_subject_is_the_newest_that_holds_its_word():
    assert writings.subject("Qual è l'ultima cosa che hai scritto sui compiti a casa?", "it") == "compiti"
    # the words about writing or talking are not the subject
    assert writings.subject("Qual è il post più recente in cui parli dei social?", "it") == "social"
    assert writings.subject("What's the latest post where you talk about homework?", "en") == "homework"
    assert writings.subject("What's the most recent thing you posted about homework?", "en") == "homework"
    assert writings.subject("What was your latest blog entry about phones?", "en") == "phones"
    # only the sentence that asks for the latest writing names its subject
    assert writings.subject("Ciao! Qual è il tuo post più recente sul latino? Cosa ci dicevi?", "it") == "latino"
    old, new = _passage(1, "2013-09-16", 0.90), _passage(2, "2023-10-05", 0.60)
    elsewhere = _passage(3, "2024-01-01", 0.89, "Il ragù della domenica.")  # newer, another subject
    weak = _passage(4, "2025-01-01", 0.40, "Niente compiti in gita.")  # on it, but far below the best
    undated = _passage(5, None, 0.88)
    q = "Qual è l'ultimo post che hai scritto sui compiti?"
    assert writings.latest(q, "it", [old, elsewhere, new, undated, weak]) is new
    assert writings.latest(q, "it", [elsewhere]) is None
    assert writings.latest("Qual è l'ultimo post che hai scritto?", "it", [old, new]) is None  # no subject
    # a writing that holds the word in passing, or a word that begins like it, is not on the
    # subject when the cross-lingual encoder finds it under half as near as the nearest one
    car = _passage(6, "2015-06-22", 0.95, "Le macchine elettriche costano troppo e la batteria dura poco.")
    jazz = _passage(7, "2024-10-20", 0.60, "La batterista, la più giovane, teneva insieme tutto.")
    q = "Qual è l'ultima cosa che hai scritto sulla batteria delle auto?"
    assert writings.latest(q, "it", [car, jazz]) is jazz  # the stem alone: the jazz night is newer
    near = {"d6.md": 0.30, "d7.md": 0.11}.get
    assert writings.latest(q, "it", [car, jazz], near) is car
    assert writings.latest(q, "it", [car, jazz], {"d6.md": 0.30, "d7.md": 0.16}.get) is jazz  # half as near: on it


def test_a_writing_that_holds_the_subjects_word_in_passing_is_not_its_latest():
    # "reading aloud": an English travel post reads a page aloud once; the Italian posts on
    # reading to the class, nearer the subject by the cross-lingual encoder, hold no "aloud"
    travel = _passage(1, "2018-03-03", 0.95, "In the shop the owner read a page aloud to us.")
    voce = _passage(2, "2014-11-27", 0.70, "Leggo ad alta voce ai ragazzi di terza.")
    ebook = _passage(3, "2019-02-03", 0.65, "Leggo sul lettore ogni sera.")
    q = "What's the latest thing you wrote about reading aloud?"
    near = {"d1.md": 0.21, "d2.md": 0.42, "d3.md": 0.30}.get
    assert writings.latest(q, "en", [travel, voce, ebook], near) is None  # under 0.6 of the nearest
    assert writings.latest(q, "en", [travel, voce, ebook], {"d1.md": 0.27, "d2.md": 0.42, "d3.md": 0.30}.get) is travel
    # when the nearest writing holds the word, the bar is half of its nearness, as before
    other = _passage(4, "2024-05-05", 0.60, "Reading aloud to the class, again.")
    assert writings.latest(q, "en", [travel, voce, other], {"d1.md": 0.21, "d2.md": 0.30, "d4.md": 0.40}.get) is other
    assert writings.latest(q, "en", [travel, voce], {"d1.md": 0.35, "d2.md": 0.42}.get) is travel


def _record(model, sent: list[str]) -> None:
    """Keep the last message of every prompt `model` is sent."""
    original = model.stream

    def stream(messages, **kwargs):
        sent.append(messages[-1]["content"])
        yield from original(messages, **kwargs)

    model.stream = stream


def _scripted(twin, reply: str) -> list[str]:
    """The twin answers with a scripted model; the prompts it is sent are kept in the list.
    The model writes every answer (chat.then, chat.now = write: a question about a time gone by,
    or about now on a point written of years apart, too), so that what it is handed can be checked."""
    model, sent = ScriptedModel(reply), []
    _record(model, sent)
    twin.use(model=model)
    twin.settings = twin.settings.with_(chat_then="write", chat_now="write")
    return sent


RAGU = ("Il ragù della domenica", "Il ragù vuole tempo: tre ore a fuoco lento e un po' di latte.")  # off every subject
TELEFONO = ("Il telefono sul banco", "In classe il telefono resta sul banco: lo usiamo come dizionario e per i quiz.")


def _blog(twin, folder, posts: dict[str, tuple[str, str]]) -> None:
    """Ingest `posts` (file name: (title, text)) as Markdown with front matter."""
    for name, (title, text) in posts.items():
        write(folder / name, f"---\ntitle: {title}\n---\n{text}\n")
    twin.ingest([str(folder)])


def _dated_twin(twin, tmp_path):
    _blog(twin, tmp_path / "blog", {
        "2013-09-16-elogio-dei-compiti.md": (
            "Elogio dei compiti", "I compiti a casa sono una scuola di disciplina: ne assegno molti ogni "
            "settimana, perché la fatica quotidiana forma il carattere degli studenti."),
        "2023-10-05-classe-senza-compiti.md": (
            "Una classe senza compiti", "Non assegno più compiti a casa: il lavoro si fa in classe, e i "
            "pomeriggi restano liberi per leggere e giocare. Sui compiti mi sbagliavo."),
        "2018-06-20-ricette.md": RAGU,
    })


def _drop_2013(twin, tmp_path):
    """The 2013 post of `_dated_twin` deleted and the blog ingested again: homework is then a
    point of one writing, the 2023 post."""
    (tmp_path / "blog" / "2013-09-16-elogio-dei-compiti.md").unlink()
    twin.ingest([str(tmp_path / "blog")])


def test_dated_evidence_reaches_the_prompt_and_the_citations(twin, tmp_path):
    _dated_twin(twin, tmp_path)
    sent = _scripted(twin, "Oggi non assegno più compiti a casa [1].")
    a = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
    assert sent, (a.reason, a.text)
    # about now: the newest writing on the point, with its date; the 2013 one, ten years
    # older, is left out (the model took it for the current view)
    assert 'scritto="2023-10-05"' in sent[-1] and "2013-09-16" not in sent[-1]
    assert a.citations[0].date == "2023-10-05" and a.citations[0].as_dict()["date"] == "2023-10-05"
    assert "2023-10-05)" in chat.footnotes(a.citations)
    # how the view changed: both, dated, oldest first, and the prompt asks how it changed
    chat.answer(twin, "Come è cambiata nel tempo la tua idea sui compiti a casa?", candidates=1)
    prompt = sent[-1]
    assert 0 < prompt.index('scritto="2013-09-16"') < prompt.index('scritto="2023-10-05"')
    assert "racconta come è cambiato quello che penso" in prompt
    # the beginning: the 2013 writing alone, not the 2023 one that may tell what was thought then
    chat.answer(twin, "All'inizio cosa pensavi dei compiti a casa?", candidates=1)
    assert 'scritto="2013-09-16"' in sent[-1] and "2023-10-05" not in sent[-1]
    # a time gone by, named by the verb alone: the 2013 writing is shown, and the prompt says so
    chat.answer(twin, "Quanti compiti a casa davi ai tuoi studenti?", candidates=1)
    prompt = sent[-1]
    assert 'scritto="2013-09-16"' in prompt and "la domanda chiede di un tempo passato" in prompt


def test_a_year_in_the_question_keeps_the_writings_of_that_year_on_the_tiny_model(twin, tmp_path, tiny_model):
    _dated_twin(twin, tmp_path)
    sent: list[str] = []
    _record(tiny_model, sent)
    twin.use(model=tiny_model)
    twin.settings = twin.settings.with_(chat_checks=False, llm_max_tokens=8, chat_then="write", chat_now="write")
    try:
        a = chat.answer(twin, "Nel 2013 cosa pensavi dei compiti a casa?", candidates=1)
        twin.settings = twin.settings.with_(chat_time=False)
        chat.answer(twin, "Nel 2013 cosa pensavi dei compiti a casa?", candidates=1)
    finally:
        del tiny_model.stream
    assert not a.abstained and {c.date for c in a.citations} <= {"2013-09-16"}
    assert "2013-09-16" in sent[0] and "2023-10-05" not in sent[0]  # the writings of that year only
    assert "2013-09-16" in sent[1] and "2023-10-05" in sent[1]  # chat.time = false: by relevance alone


def test_the_latest_writing_is_named_dated_and_quoted_without_the_model(twin, tmp_path, tiny_model):
    _dated_twin(twin, tmp_path)
    sent: list[str] = []
    _record(tiny_model, sent)
    twin.use(model=tiny_model)
    try:
        a = chat.answer(twin, "Qual è l'ultima cosa che hai scritto sui compiti a casa?", candidates=1)
    finally:
        del tiny_model.stream
    assert not sent  # no model run
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2023-10-05"]
    assert a.text.startswith("L'ultima cosa che ho scritto su questo è «Una classe senza compiti», del 5 ottobre 2023:")
    assert "«Non assegno più compiti a casa" in a.text and a.text.endswith("[1]")
    assert [spoken_date(d, "en") for d in ("2023-10-05", "2023-10", "2023")] == [
        "written on October 5, 2023", "written in October 2023", "written in 2023"]
    assert [spoken_date(d, "it") for d in ("2021-02-11", "2024-03-08", "2021-02-05")] == [
        "dell'11 febbraio 2021", "dell'8 marzo 2024", "del 5 febbraio 2021"]


def test_a_time_gone_by_is_answered_in_the_author_s_words_of_then_without_the_model(twin, tmp_path, tiny_model):
    _dated_twin(twin, tmp_path)
    sent: list[str] = []
    _record(tiny_model, sent)
    twin.use(model=tiny_model)
    twin.settings = twin.settings.with_(llm_max_tokens=8)
    try:
        # a year, a time gone by the verb names asking what she thought, the beginning: the writing
        # of then, its year said, her own sentence quoted
        for question in ("Nel 2013 cosa pensavi dei compiti a casa?", "Cosa pensavi dei compiti a casa?",
                         "All'inizio che idea avevi dei compiti a casa?"):
            a = chat.answer(twin, question, candidates=1)
            assert a.reason == "then" and [c.date for c in a.citations] == ["2013-09-16"], (question, a.text)
            assert a.text.startswith("Nel 2013 ne scrivevo così: «I compiti a casa sono una scuola di disciplina")
            assert a.text.endswith("» [1]") and not a.model
        b = chat.answer(twin, "Back in 2013, what did you think about homework?", candidates=1)
        assert b.text.startswith("In 2013 I wrote (in Italian): “I compiti a casa"), b.text
        # how the view changed: the oldest writing on the point and the newest, each with its year
        c = chat.answer(twin, "Come è cambiata nel tempo la tua idea sui compiti a casa?", candidates=1)
        assert c.reason == "then" and [x.date for x in c.citations] == ["2013-09-16", "2023-10-05"], c.text
        assert c.text.startswith("Nel 2013 ne scrivevo così: «I compiti") and " [1] Nel 2023: «" in c.text
        assert not sent  # no model run
        # a detail of a time gone by, not what she thought: the model writes it
        chat.answer(twin, "Quanti compiti davi agli studenti?", candidates=1)
        assert len(sent) == 1
        # chat.then = write: the model writes the answer on a year too
        twin.settings = twin.settings.with_(chat_then="write")
        d = chat.answer(twin, "Nel 2013 cosa pensavi dei compiti a casa?", candidates=1)
        assert len(sent) == 2 and d.reason != "then"
    finally:
        del tiny_model.stream


def test_a_view_the_author_changed_is_answered_now_in_her_newest_words_then_her_oldest(twin, tmp_path, tiny_model):
    _dated_twin(twin, tmp_path)
    sent: list[str] = []
    _record(tiny_model, sent)
    twin.use(model=tiny_model)
    twin.settings = twin.settings.with_(llm_max_tokens=8)
    try:
        # about now, on a point written of ten years apart: the newest writing first, after its
        # year, then the oldest; her own sentences, no model run
        a = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
        assert a.reason == "then" and [c.date for c in a.citations] == ["2023-10-05", "2013-09-16"], a.text
        assert a.text.startswith("Nel 2023 ho scritto così: «Non assegno più compiti a casa")
        assert " [1] Prima, nel 2013, scrivevo: «I compiti a casa sono" in a.text and a.text.endswith("» [2]")
        b = chat.answer(twin, "What do you think about homework?", candidates=1)
        assert b.text.startswith("In 2023 I wrote (in Italian): “Non assegno"), b.text
        assert "[1] Before that, in 2013, I wrote (in Italian): “I compiti" in b.text
        assert not sent and not a.model  # no model run
        # chat.now = write: the model writes it, from the newest writing
        twin.settings = twin.settings.with_(chat_now="write")
        c = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
        assert len(sent) == 1 and c.reason != "then"
        # a point of one writing: the model writes it
        twin.settings = twin.settings.with_(chat_now="quote")
        _drop_2013(twin, tmp_path)
        d = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
        assert len(sent) == 2 and d.reason != "then"
    finally:
        del tiny_model.stream


def test_the_sentence_quoted_for_now_is_the_writing_s_own_statement_on_what_was_asked(twin, tmp_path):
    from erre import retrieve
    from erre.answer import citations, writings

    _blog(twin, tmp_path / "blog", {
        "2013-09-16-elogio-dei-compiti.md": (
            "Elogio dei compiti", "Gira una petizione contro i compiti a casa. Vado controcorrente: io i compiti "
            "li assegno, e non pochi, perché la fatica quotidiana forma il carattere."),
        "2023-10-05-un-anno-diverso.md": (
            "Un anno diverso", "Da quest'anno nelle mie classi i compiti a casa non ci sono più: nessuno. Le "
            "ore di latino sono diventate un laboratorio. Traduciamo in coppia, confrontiamo le soluzioni, "
            "discutiamo le scelte. Io giro tra i banchi invece di stare in cattedra. Il venerdì c'è una breve "
            "prova in aula, e i pomeriggi restano liberi per lo sport e la musica."),
        "2018-06-20-ricette.md": RAGU,
    })
    question = "Prof, lei è favorevole ai compiti per casa?"
    found = retrieve.search(twin.store, twin.embedder, question, twin.settings.chat_passages)
    p = next(x for x in found if x.chunk.source.endswith("2023-10-05-un-anno-diverso.md"))
    q, span, second = writings.stance(twin, question, p)
    assert span is not None and q.chunk.text[span[0] - q.chunk.start:span[1] - q.chunk.start].startswith(
        "Da quest'anno nelle mie classi i compiti a casa non ci sono più")
    # a second sentence of the passage, quoted beside it, in the order of the text
    assert second is not None and second[0] > span[1]
    words, both = citations.joined(q, citations.sentence(q, at=second), citations.sentence(q, at=span))
    assert words.startswith("Da quest'anno nelle mie classi") and " […] " in words and both == (span[0], second[1])
    a = chat.answer(twin, question, candidates=1)
    assert a.reason == "then" and a.text.startswith("Nel 2023 ho scritto così: «Da quest'anno nelle mie classi"), a.text
    assert " [1] Prima, nel 2013, scrivevo: «" in a.text and "io i compiti li assegno" in a.text.split("[1]")[1]
    # for a time gone by, the passage's sentence nearest by the encoder is quoted beside the search's
    old = next(x for x in retrieve.search(twin.store, twin.embedder, "Cosa pensavi dei compiti a casa?", 4)
               if x.chunk.source.endswith("2013-09-16-elogio-dei-compiti.md"))
    near = writings.beside(twin, "Cosa pensavi dei compiti a casa?", old)
    assert near is not None and old.chunk.start <= near[0] < near[1] <= old.chunk.end
    # without the cross-lingual encoder the passage's own sentence stands
    twin.subjects = None
    assert writings.stance(twin, question, p) == (p, None, None)
    assert writings.beside(twin, "Cosa pensavi dei compiti a casa?", old) is None


def test_an_older_view_the_evidence_left_out_is_found_by_the_writings_linked_to_the_newest(twin, tmp_path, tiny_model,
                                                                                            monkeypatch):
    from erre import retrieve

    _dated_twin(twin, tmp_path)
    question = "Cosa pensi dei compiti a casa?"
    found = retrieve.search(twin.store, twin.embedder, question, 6)
    by = {Path(p.chunk.source).name[:10]: p for p in found}
    new, old, recipe = by["2023-10-05"], by["2013-09-16"], by["2018-06-20"]
    # the older writing linked to the newest (the encoder's nearest), years before it, on the
    # question's words, is found
    assert [p.chunk.source for p in writings.older(twin, question, "it", [new], found)] == [old.chunk.source]
    # none that is not in what the search found, none from the newest's own year or the year before
    assert writings.older(twin, question, "it", [new], [new]) == []
    recent = dataclasses.replace(old, chunk=dataclasses.replace(old.chunk, date="2022-09-16"))
    assert writings.older(twin, question, "it", [new], [recent]) == []
    assert writings.older(twin, question, "it", [old], found) == []  # nothing before the oldest
    # a writing linked to the newest that holds none of the question's words, and is far from it,
    # is not its point
    assert writings.older(twin, question, "it", [new], [recipe]) == []
    assert writings.older(twin, "Che ne dici del ragù?", "it", [new], [old]) == []  # far from it, no topic word
    # the evidence kept the newest writing alone: the answer still quotes her view of then after it
    sent: list[str] = []
    _record(tiny_model, sent)
    twin.use(model=tiny_model)
    twin.settings = twin.settings.with_(llm_max_tokens=8)
    monkeypatch.setattr(when, "left_older", lambda shown, view: [])
    try:
        a = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
    finally:
        del tiny_model.stream
    assert a.reason == "then" and [c.date for c in a.citations] == ["2023-10-05", "2013-09-16"], a.text
    assert " [1] Prima, nel 2013, scrivevo: «I compiti a casa sono" in a.text and not sent


def test_a_name_her_quoted_words_hold_is_not_said_to_be_named_nowhere_or_elsewhere(twin):
    from erre.answer.pipeline import Reply

    reply = Reply(twin, "Resterei a secco sui tornanti dell'Appennino, o andando a Lisbona?", voice=False)
    reply.elsewhere, reply.unnamed = ("Appennino",), ("Lisbona",)
    said = "Nel 2015 scrivevo: «Io salgo spesso sull'Appennino, a casa di mia madre.» [1]"
    tail = reply._tail("it", said)
    assert "Appennino" not in tail and "«Lisbona»" in tail, tail
    assert reply.elsewhere == () and reply.missing == ("Lisbona",)
    # every name held: nothing is said after her words
    reply.unnamed = ("Lisbona",)
    assert reply._tail("it", said + " Poi a Lisbona, in salita.") == "" and reply.missing == ()
    # an acronym counts in capitals only: "DAD" is not in "dado"
    reply.unnamed = ("DAD",)
    assert "«DAD»" in reply._tail("it", "Nel 2019 scrivevo: «Un dado da brodo, e basta.» [1]")


def test_the_sentence_quoted_of_then_is_one_the_author_states_as_herself():
    from erre.answer.citations import stated

    text = ("Gira una petizione contro i compiti a casa. Vado controcorrente: io i compiti li assegno. "
            "Chi ha ragione sui compiti? I compiti insegnano la costanza.")
    chunk = Chunk(source="a.md", title="a", text=text, start=0, end=len(text), language="it")
    p = Passage(id=1, chunk=chunk, score=1.0, dense=0.9)
    units, at = [], 0
    for sentence in ("Gira una petizione contro i compiti a casa.", "Vado controcorrente: io i compiti li assegno.",
                     "Chi ha ragione sui compiti?", "I compiti insegnano la costanza."):
        units.append((at, at + len(sentence)))
        at += len(sentence) + 1
    # the petition is nearest the question; the author's own statement within the margin is quoted
    assert stated(p, units, [0.86, 0.81, 0.85, 0.84]) == units[1]
    # farther than the margin: none (the nearest is quoted); a question is never the statement
    assert stated(p, units, [0.90, 0.81, 0.85, 0.84]) is None
    # Italian "i" is an article, not "I": no first person in the last sentence
    assert stated(p, units[3:], [0.9]) is None


def test_a_question_for_the_latest_writing_read_as_a_task_is_answered_by_that_writing(twin, tmp_path, tiny_model,
                                                                                       monkeypatch):
    from dataclasses import replace

    from erre.answer import policy

    _dated_twin(twin, tmp_path)
    kinds = policy.kinds
    order = {"flag": False}
    # the task classifier reads a reader's message as a task as a whole (its greeting and the
    # sentence after the question): `order` when one of its sentences reads as an order by itself
    monkeypatch.setattr(policy, "kinds", lambda *a: replace(kinds(*a), task=True, order=order["flag"]))
    question = "Ciao! Qual è l'ultima cosa che hai scritto sui compiti a casa? La cerco per mia figlia."
    a = _without_model(twin, tiny_model, question)
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2023-10-05"], a.text
    # no dated writing holds the subject's word ("pomeridiano"), but the writings answer the
    # question: the point's newest writing is quoted, in her words, and the model never runs
    e = _without_model(twin, tiny_model, "Ciao! Qual è l'ultima cosa che hai scritto sul lavoro pomeridiano degli "
                                         "studenti? La cerco per mia figlia.")
    assert e.reason == "quoted" and [c.date for c in e.citations] == ["2023-10-05"], (e.reason, e.text)
    # the writings do not answer it: declined as a task, not answered by the model about now
    b = _without_model(twin, tiny_model, "Ciao! Qual è l'ultima cosa che hai scritto sulle criptovalute? Grazie.")
    assert b.abstained and b.reason == "task", b.text
    # an order about the latest writing asks nothing; a sentence that reads as an order stands
    c = _without_model(twin, tiny_model, "Riscrivi la tua ultima cosa scritta sui compiti per dei bambini.")
    assert c.abstained and c.reason == "task"
    order["flag"] = True
    d = _without_model(twin, tiny_model, question)
    assert d.abstained and d.reason == "task"


def test_a_year_the_author_wrote_in_but_not_on_this_is_not_a_subject_never_written_about(twin, tmp_path):
    from erre.answer import policy

    _dated_twin(twin, tmp_path)
    assert policy.written_in(twin.store, ["2018"]) == ["2018"]  # the ragù recipe
    assert policy.written_in(twin.store, ["2016"]) == [] and policy.written_in(twin.store, ["Kindle"]) == []
    _scripted(twin, "Nel 2018 assegnavo molti compiti [1].")
    a = chat.answer(twin, "Nel 2018 cosa pensavi dei compiti a casa?", candidates=1)
    b = chat.answer(twin, "Nel 2016 cosa pensavi dei compiti a casa?", candidates=1)
    assert b.abstained and b.text.startswith("Di «2016» non ho mai scritto"), b.text
    # the twin wrote in 2018 (a recipe), just not on homework: it says so, not "never wrote about 2018"
    assert a.abstained and a.text.startswith("In quello che ho scritto nel 2018 non trovo niente su questo"), a.text


def test_the_subject_of_a_latest_writing_question_is_translated_both_ways():
    italian = [_passage(1, "2013-09-16", 0.9, "I compiti a casa sono una scuola di disciplina."),
               _passage(2, "2023-10-05", 0.8, "Non assegno più compiti: si lavora in classe.")]
    english = Passage(id=3, chunk=Chunk(source="d3.md", title="D3", text="Latin homework matters.", start=0, end=23,
                                        date="2024-03-15", language="en"), score=0.85, dense=0.85)
    dictionary = {"homework": ["compiti"], "compiti": ["homework"], "classe": ["class"]}
    asked: list[tuple[str, list[str]]] = []

    def alike(word, candidates):
        asked.append((word, list(candidates)))
        return [w for w in dictionary.get(word, []) if w in candidates]

    q = "What's the most recent thing you posted about homework?"
    assert writings.translated(q, "en", [english, *italian], alike) == {"it": "compiti"}
    # the Italian passages' rarer words are the candidates; back, the English ones and the word itself
    assert asked[0][0] == "homework" and "compiti" in asked[0][1] and "disciplina" in asked[0][1]
    assert asked[1][0] == "compiti" and asked[1][1][0] == "homework" and "latin" in asked[1][1]
    # a word that does not translate back to the subject's is not its translation
    dictionary["compiti"] = ["latin"]
    assert writings.translated(q, "en", [english, *italian], alike) == {}
    assert writings.translated(q, "en", [english], alike) == {}  # no passage in another language
    assert writings.translated("What's your latest post?", "en", [english, *italian], alike) == {}  # no subject


def test_a_writing_holding_fewer_of_the_question_s_words_across_languages_is_not_its_point():
    from erre.answer import answerable

    homework = _passage(1, "2023-10-05", 0.85, "Non assegno più compiti a casa, nemmeno le versioni di latino.")
    latin = Passage(id=2, chunk=Chunk(source="d2.md", title="D2", text="Why I still teach Latin: it slows the mind.",
                                      start=0, end=43, date="2024-03-15", language="en"), score=0.84, dense=0.84)
    dictionary = {"homework": ["compiti"], "compiti": ["homework"]}

    def alike(word, candidates):
        return [w for w in dictionary.get(word, []) if w in candidates]

    q = "How much homework do you give your Latin students?"
    topic = answerable.topic_terms(q, "en")
    assert answerable.translated_terms(q, "en", homework, alike) == {"homework"}
    assert answerable.translated_terms(q, "en", latin, alike) == set()  # in the question's language
    seen: dict[int, set[str]] = {}

    def translated(p):
        return seen.setdefault(p.id, answerable.translated_terms(q, "en", p, alike))

    now = when.When(when.NOW)
    # the Italian post on homework holds "latino" and "compiti": the English one on Latin, newer,
    # holds "Latin" alone, so it is not put first as the current view on the point
    assert [p.id for p in when.arrange(now, [homework, latin], [], 4, topic, translated=translated)] == [1, 2]
    # without the translations, "latin" alone joins them and the newer is put first
    assert [p.id for p in when.arrange(now, [homework, latin], [], 4, topic)] == [2, 1]
    # a newer writing holding as many of the words stays on the point, newest first
    dictionary["latin"] = []
    both = Passage(id=3, chunk=Chunk(source="d3.md", title="D3", text="No more Latin homework in my class.",
                                     start=0, end=35, date="2024-09-01", language="en"), score=0.84, dense=0.84)
    seen.clear()
    assert [p.id for p in when.arrange(now, [homework, both], [], 4, topic, translated=translated)] == [3, 1]


def test_a_word_is_translated_by_the_cross_lingual_encoder(twin, tmp_path):
    _dated_twin(twin, tmp_path)
    found = twin.subjects
    assert found is not None
    assert found.alike("homework", ["ragù", "compiti", "domenica", "latte"]) == ["compiti"]
    assert found.alike("compiti", ["homework", "sauce"]) == ["homework"]
    assert found.alike("homework", ["ragù", "latte"]) == [] and found.alike("homework", []) == []
    # the words' vectors are kept: asked again, the encoder reads only the words it never met
    calls: list[list[str]] = []
    original = found.encoder.queries
    found.encoder.queries = lambda texts: calls.append(list(texts)) or original(texts)
    try:
        assert found.alike("homework", ["compiti", "ragù", "quaderno"]) == ["compiti"]
    finally:
        del found.encoder.queries
    assert calls == [["quaderno"]]


def _without_model(twin, model, question: str):
    """The twin's answer to a latest-writing question, which must not run `model`."""
    model.stream = lambda *a, **k: pytest.fail("the latest writing is quoted without the model")
    twin.use(model=model)
    try:
        return chat.answer(twin, question, candidates=1)
    finally:
        del model.stream


def test_the_latest_writing_is_found_for_a_question_in_the_other_language(twin, tmp_path, tiny_model):
    _dated_twin(twin, tmp_path)
    _blog(twin, tmp_path / "blog", {"2024-03-15-latin.md": (
        "Why I still teach Latin", "I still teach Latin because translating slows the mind down.")})
    a = _without_model(twin, tiny_model, "What's the most recent thing you posted about homework?")
    # "homework" is in no writing: its translation, "compiti", finds the Italian posts, and the
    # newest of them is the latest, not the English post of 2024 on another subject
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2023-10-05"], a.text
    assert a.text.startswith("The most recent thing I wrote on this is “Una classe senza compiti”"), a.text
    # a subject no writing holds, in either language, stays not covered
    b = chat.answer(twin, "What's the most recent thing you posted about cryptocurrencies?", candidates=1)
    assert b.abstained and b.reason == "not_covered", b.text


def test_the_latest_writing_on_a_subject_may_name_it_by_another_word(twin, tmp_path, tiny_model):
    _blog(twin, tmp_path / "phones", {
        "2014-04-10-il-cellulare-sul-banco.md": (
            "Il cellulare sul banco", "Nella mia classe il cellulare sta sul banco: i ragazzi cercano le parole "
            "sul vocabolario online e fotografano la lavagna. Vietare i cellulari non serve."),
        "2024-02-19-la-scatola-di-latta.md": (
            "La scatola di latta", "Alle otto ogni studente lascia il telefono spento in una scatola di latta "
            "sulla cattedra e lo riprende all'ultima campanella. Gli smartphone in aula rubano l'attenzione."),
        "2018-06-20-ricette.md": RAGU,
    })
    a = _without_model(twin, tiny_model, "Qual è l'ultima cosa che hai scritto sui cellulari in classe?")
    # only the 2014 post says "cellulare"; the 2024 one on its subject says "telefono": it is newer
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2024-02-19"], a.text
    assert a.text.startswith("L'ultima cosa che ho scritto su questo è «La scatola di latta»"), a.text


def test_the_latest_writing_may_be_the_newest_ones_mutual_nearest_far_from_the_subjects_word(twin, tmp_path,
                                                                                             tiny_model):
    _blog(twin, tmp_path / "phones", {
        "2014-04-10-il-cellulare-sul-banco.md": (
            "Il cellulare sul banco", "Nella mia classe il cellulare sta sul banco, acceso. I cellulari servono: "
            "i ragazzi cercano le parole sul vocabolario online dal cellulare e fotografano la lavagna."),
        "2024-02-19-la-scatola-di-latta.md": (
            "La scatola di latta", "Sulla cattedra c'è una scatola di latta che un tempo conteneva biscotti. "
            "Alle otto ci finisce ogni telefono, spento, fino all'ultima campanella. In aula è tornato il "
            "silenzio, l'attenzione dura più a lungo, e una ragazza mi ha detto che a scuola si sente in pausa."),
        "2018-06-20-ricette.md": RAGU,
        "2019-05-02-viaggio.md": ("Un viaggio a Lisbona", "A Lisbona ho preso il tram 28 fino al castello."),
    })
    subjects = twin.subjects
    old, new = (next(w for w in subjects.writings if w.endswith(n))
                for n in ("il-cellulare-sul-banco.md", "la-scatola-di-latta.md"))
    assert subjects.mutual(old) == new
    # the subject alone is far nearer the post that holds its word: no share of it reaches the newer one
    asked = subjects.question("cellulari")
    assert subjects.nearness(new, asked) < NEAR_SHARE * subjects.nearness(old, asked)
    a = _without_model(twin, tiny_model, "Mi indica il post più recente in cui parla di cellulari?")
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2024-02-19"], a.text


def test_a_latest_writing_not_found_is_answered_as_a_question_about_now(twin, tmp_path):
    _dated_twin(twin, tmp_path)
    sent = _scripted(twin, "Oggi non assegno più compiti a casa [1].")
    question = "Qual è l'ultima cosa che hai scritto sul lavoro pomeridiano degli studenti?"
    assert when.asked(question).kind == when.LATEST
    a = chat.answer(twin, question, candidates=1)
    assert sent, (a.reason, a.text)  # no dated writing holds "pomeridiano": the model answers
    # as about now: the newest writing on the point, the one ten years older left out
    assert 'scritto="2023-10-05"' in sent[-1] and "2013-09-16" not in sent[-1] and a.citations


def test_timeline_lists_a_topic_oldest_first(tmp_path, e5):
    home = tmp_path / "twin"
    folder = tmp_path / "blog"
    for name, body in (("2013-09-16-elogio-dei-compiti.md", "I compiti a casa sono una scuola di disciplina."),
                       ("2023-10-05-classe-senza-compiti.md", "Non assegno più compiti a casa: si lavora in classe."),
                       ("2018-06-20-ricette.md", "Il ragù vuole tre ore a fuoco lento e un po' di latte.")):
        write(folder / name, f"---\ntitle: {name[11:-3]}\n---\n{body}\n")
    erre("init", "livia", "--name", "Livia", home=home)
    erre("ingest", str(folder), home=home)
    out = json.loads(erre("timeline", "i compiti a casa", "--json", home=home).stdout)
    assert [e["date"] for e in out] == ["2013-09-16", "2023-10-05"]
    assert out[0]["summary"].startswith("I compiti a casa") and out[0]["source"].endswith("elogio-dei-compiti.md")
    text = erre("timeline", "i compiti a casa", home=home).stdout
    assert text.index("2013-09-16") < text.index("2023-10-05")
    status = erre("status", home=home).stdout
    assert "2013-09-16 to 2023-10-05, 0 documents without a date" in status


def _bilingual(twin, tmp_path):
    """Two writings on electric cars, years and languages apart, and one on something else."""
    _blog(twin, tmp_path / "bilingual", {
        "2015-06-22-macchine-elettriche.md": (
            "Macchine elettriche", "Le auto elettriche costano troppo, hanno poca autonomia e restano un "
            "giocattolo per ricchi. Meglio treni regionali e piste ciclabili."),
        "2021-09-04-plugging-in.md": (
            "Plugging in", "I bought an electric car this spring and I was wrong about them: it is cheap to "
            "run, quiet, and charging at home overnight is enough for my commute."),
        "2019-05-02-ragu.md": RAGU,
    })


def test_the_writings_on_a_subject_are_found_across_languages_and_cached(twin, tmp_path):
    from erre import subjects

    _bilingual(twin, tmp_path)
    assert twin.subjects is not None
    found = twin.subjects
    italian = next(s for s in found.writings if "macchine" in s)
    question = found.question("Cosa pensi delle auto elettriche?")
    assert [s.rsplit("/", 1)[-1] for s in found.related(italian, question)] == ["2021-09-04-plugging-in.md"]
    best = found.best(next(s for s in found.writings if "plugging" in s), question)
    assert "electric car" in twin.store.chunks([best])[best].text
    assert found.related("nowhere.md", question) == [] and found.best("nowhere.md", question) is None
    # the one-way link: the writing's nearest, when the question is near enough to it too
    assert [s.rsplit("/", 1)[-1] for s in found.onward(italian, question, hops=1)] == ["2021-09-04-plugging-in.md"]
    assert found.onward(italian, question, share=2.0) == [] and found.onward("nowhere.md", question) == []
    # each chunk's cosine with a query (the answers' search adds it: retrieve.rescore)
    cos = found.cosines("Cosa pensi delle auto elettriche?", [best, 10**9])
    assert list(cos) == [best] and cos[best] == pytest.approx(float(found.vectors[list(found.ids).index(best)]
                                                                     .astype("float32") @ question), abs=1e-5)
    # the vectors are cached by chunk: a second load encodes nothing
    enc = subjects.encoder(twin.settings.embed_threads)
    calls: list[int] = []
    original = enc.passages
    enc.passages = lambda texts: calls.append(len(texts)) or original(texts)
    try:
        again = subjects.load(twin.store, enc, twin.home / "cache")
    finally:
        del enc.passages
    assert calls == [] and again.writings == found.writings
    assert list((twin.home / "cache").glob("subjects.*.npz"))
    # an ingest brings the new writing's vectors at once
    _blog(twin, tmp_path / "bilingual", {"2022-01-09-social.md": ("Bacheche", "Ho spento i social network.")})
    assert any(s.endswith("2022-01-09-social.md") for s in twin.subjects.writings)


def test_a_newer_writing_in_the_other_language_is_the_current_view(twin, tmp_path):
    _bilingual(twin, tmp_path)
    sent = _scripted(twin, "Oggi ho un'auto elettrica e costa poco [1].")
    a = chat.answer(twin, "Cosa pensi delle auto elettriche?", candidates=1)
    assert sent, (a.reason, a.text)
    # the English 2021 post, which shares no word with the question, is the evidence; the
    # 2015 view is not offered as current
    assert 'scritto="2021-09-04"' in sent[-1] and 'scritto="2015-06-22"' not in sent[-1]
    assert [c.date for c in a.citations] == ["2021-09-04"]
    # asked how the view changed: both writings, oldest first
    sent.clear()
    b = chat.answer(twin, "Hai cambiato idea sulle auto elettriche?", candidates=1)
    assert sent, (b.reason, b.text)
    assert sent[-1].index('scritto="2015-06-22"') < sent[-1].index('scritto="2021-09-04"')
    # an English question finding the English post first: the newest, the 2015 view left out
    sent.clear()
    c = chat.answer(twin, "What do you think about electric cars these days?", candidates=1)
    assert sent and not c.abstained and 'written="2021-09-04"' in sent[-1] and 'written="2015' not in sent[-1]
    # chat.related = false: the English post is not brought in
    sent.clear()
    twin.__dict__.pop("subjects", None)
    twin.settings = twin.settings.with_(chat_related=False)
    chat.answer(twin, "Cosa pensi delle auto elettriche?", candidates=1)
    assert 'scritto="2021-09-04"' not in sent[-1]


def test_the_latest_writing_may_be_in_the_other_language(twin, tmp_path, tiny_model):
    _bilingual(twin, tmp_path)
    a = _without_model(twin, tiny_model, "Qual è l'ultima cosa che hai scritto sulle auto elettriche?")
    # the Italian word search finds the 2015 post; the English 2021 one on its subject is newer
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2021-09-04"], a.text
    assert a.text.startswith("L'ultima cosa che ho scritto su questo è «Plugging in», del 4 settembre 2021:")
    twin.__dict__.pop("subjects", None)
    twin.settings = twin.settings.with_(chat_related=False)
    b = chat.answer(twin, "Qual è l'ultima cosa che hai scritto sulle auto elettriche?", candidates=1)
    assert [c.date for c in b.citations] == ["2015-06-22"]


def test_the_latest_writing_may_be_the_newer_nearest_in_the_other_language(twin, tmp_path, tiny_model,
                                                                         monkeypatch):
    from erre import subjects

    _bilingual(twin, tmp_path)
    twin.use(model=tiny_model)
    question = "Qual è l'ultima cosa che hai scritto sulle auto elettriche?"
    # not each other's nearest: the 2015 post's own nearest writing, newer, still answers
    monkeypatch.setattr(subjects.Subjects, "related", lambda self, source, question: [])
    a = chat.answer(twin, question, candidates=1)
    assert a.reason == "latest" and [c.date for c in a.citations] == ["2021-09-04"], a.text
    monkeypatch.setattr(subjects.Subjects, "onward", lambda self, source, question, **kw: [])
    monkeypatch.setattr(subjects.Subjects, "mutual", lambda self, source: None)  # no link left
    b = chat.answer(twin, question, candidates=1)
    assert b.reason == "latest" and [c.date for c in b.citations] == ["2015-06-22"], b.text


def test_a_year_asked_brings_the_writing_of_then_nearest_the_question_in_either_language(twin, tmp_path,
                                                                                         monkeypatch):
    from erre import subjects

    _bilingual(twin, tmp_path)
    # not each other's nearest writings: the year alone brings the Italian 2015 post to an
    # English question that finds the English 2021 one first
    monkeypatch.setattr(subjects.Subjects, "related", lambda self, source, question: [])
    twin.settings = twin.settings.with_(chat_passages=1)  # the search shows the best passage alone
    sent = _scripted(twin, "In 2015 I thought electric cars cost too much [1].")
    a = chat.answer(twin, "Back in 2015, what did you think about electric cars?", candidates=1)
    assert sent and not a.abstained, (a.reason, a.text)
    assert 'written="2015-06-22"' in sent[-1]
    assert [c.date for c in a.citations] == ["2015-06-22"]
    # a year whose only writing is on something else stays unanswered (the ragù, 2019)
    b = chat.answer(twin, "Back in 2019, what did you think about electric cars?", candidates=1)
    assert b.abstained and "2019" in b.text, b.text
    # the writing must be near the question beside the best one, whatever its year
    assert twin.subjects.closest([], twin.subjects.question("x"), "nowhere.md") is None


def test_a_year_asked_brings_the_writing_of_then_on_the_subject_of_another_writing_shown(twin, tmp_path,
                                                                                         monkeypatch):
    from erre import subjects

    _bilingual(twin, tmp_path)
    _blog(twin, tmp_path / "bilingual", {"2017-03-01-charging.md": (
        "Charging points", "Charging points for electric cars are still few, and an electric car needs one at home.")})
    # the best passage's writing (2021) is not near the 2015 one; the 2017 one shown beside it is
    monkeypatch.setattr(subjects.Subjects, "closest", lambda self, sources, question, than: None)
    monkeypatch.setattr(subjects.Subjects, "related", lambda self, source, question: (
        [s for s in self.writings if "macchine" in s] if "charging" in source else []))
    twin.settings = twin.settings.with_(chat_passages=2)
    sent = _scripted(twin, "In 2015 I thought electric cars cost too much [1].")
    a = chat.answer(twin, "Back in 2015, what did you think about buying a quiet electric car, cheap to run?",
                    candidates=1)
    assert sent and not a.abstained, (a.reason, a.text)  # found first: the 2021 post, then the 2017 one
    assert 'written="2015-06-22"' in sent[-1]
    assert [c.date for c in a.citations] == ["2015-06-22"]


def test_the_beginning_asked_brings_an_older_writing_in_the_other_language_the_search_found(twin, tmp_path,
                                                                                           monkeypatch):
    from erre import subjects

    _blog(twin, tmp_path / "social", {
        "2011-03-20-a-global-staffroom.md": (
            "A global staffroom", "I finally opened a Twitter account. Social media are a staffroom without "
            "walls: teachers from every country sharing lessons and ideas."),
        "2010-12-01-snowed-in.md": (
            "Snowed in", "Snowed in among the bookshops of Bologna, a social evening of readings while the "
            "snow fell on the arcades."),
        "2022-01-09-ho-spento-le-bacheche.md": (
            "Ho spento le bacheche", "Quando ho aperto questo blog avevo un'idea entusiasta dei social: li "
            "credevo una sala professori senza pareti. Oggi ne ho un'idea diversa: ho cancellato i miei account."),
    })
    # the two posts on social media are not taken for each other's nearest writings: the search
    # found the English one deeper, and the question's subject brings it
    monkeypatch.setattr(subjects.Subjects, "related", lambda self, source, question: [])
    twin.settings = twin.settings.with_(chat_passages=1)  # the search shows the 2022 post alone
    sent = _scripted(twin, "All'inizio i social mi sembravano una sala professori senza pareti [1].")
    a = chat.answer(twin, "All'inizio che idea avevi dei social?", candidates=1)
    assert sent and not a.abstained, (a.reason, a.text)
    assert 'scritto="2011-03-20"' in sent[-1] and 'scritto="2022-01-09"' not in sent[-1]
    assert [c.date for c in a.citations] == ["2011-03-20"]
    # an older writing in the other language on something else is not brought (the 2010 one)
    assert "2010-12-01" not in sent[-1]
    # about now, the same search shows the 2022 post alone
    b = chat.answer(twin, "Che idea hai oggi dei social network?", candidates=1)
    assert [c.date for c in b.citations] == ["2022-01-09"], b.text


def test_related_writings_join_the_evidence_the_time_asked_about_wants():
    old = _passage(1, "2015-06-22", 0.90, "Le auto elettriche costano troppo.")
    noise = _passage(2, "2023-07-08", 0.86, "A piedi fino al mare.")
    newer, older = _passage(3, "2021-09-04", 0.0, "I bought an electric car."), _passage(4, "2011-01-01", 0.0)
    topic = language.terms("auto elettriche", "it")
    now = when.arrange(when.When(when.NOW), [old, noise], [], 4, topic, [newer])
    assert [p.id for p in now] == [3]  # the newer writing alone: no older view, nothing off the point
    assert [p.id for p in when.arrange(when.When(when.NOW), [old, noise], [], 4, topic, [older])] == [1, 2]
    assert [p.id for p in when.arrange(when.When(when.CHANGE), [old, noise], [], 4, topic, [newer])] == [1, 3]
    assert [p.id for p in when.arrange(when.When(when.EARLY), [old, noise], [], 4, topic, [older, newer])] == [4, 1, 2]
    # a year none of the best passages is of: the related writing of that year first
    in_2021 = when.When(when.YEARS, 2021, 2021)
    assert [p.id for p in when.arrange(in_2021, [old, noise], [], 4, (), [newer])] == [3, 1, 2]
    assert [p.id for p in when.arrange(when.When(when.OFF), [old, noise], [], 4, topic, [newer])] == [1, 2]
    # a writing on the subject in the same language, found by the search in other words: put
    # in time order beside the point, never standing in for it
    aloud = _passage(5, "2021-03-01", 0.85, "Ho continuato a leggere per loro, anche in video.")
    now = when.arrange(when.When(when.NOW), [old, noise, aloud], [], 4, topic, (), [aloud])
    assert [p.id for p in now] == [5, 1, 2]
    change = when.arrange(when.When(when.CHANGE), [aloud, old, noise], [], 4, topic, (), [old])
    assert [p.id for p in change] == [1, 5, 2]
    # ... or that the search did not find (the best writing's nearest, for a question about
    # now): first, the point after it, within the passages shown
    now = when.arrange(when.When(when.NOW), [old, noise], [], 2, topic, (), [aloud])
    assert [p.id for p in now] == [5, 1]


def test_an_unreadable_cache_of_cross_lingual_vectors_is_rebuilt(twin, tmp_path):
    from erre import subjects

    _bilingual(twin, tmp_path)
    assert twin.subjects is not None
    cache = next((twin.home / "cache").glob("subjects.*.npz"))
    cache.write_bytes(b"not a zip file")
    again = subjects.load(twin.store, subjects.encoder(twin.settings.embed_threads), twin.home / "cache")
    assert len(again.ids) == len(twin.subjects.ids) and again.vectors.shape == twin.subjects.vectors.shape
    assert subjects.load(twin.store, again.encoder, twin.home / "cache").writings == again.writings
    assert not list((twin.home / "cache").glob("*.tmp.npz"))


def test_a_quote_for_now_skips_the_sentence_that_tells_the_old_view():
    from erre.answer.citations import quote
    from erre.answer.texts import prompts

    text = ("Some years ago I wrote here that electric cars were a toy for the rich. "
            "Now I drive one every day, and it costs me less than my old Panda did.")
    p = Passage(id=1, chunk=Chunk(source="plugging-in.md", title="Plugging in", text=text, start=0, end=len(text),
                                  language="en"), score=1.0, quote=(0, 72))
    assert when.retrospective(text[:72]) and not when.retrospective(text[73:])
    assert when.retrospective("Quando ho aperto questo blog ero convinta che i social fossero un'aula docenti.")
    assert not when.retrospective("Quando ho aperto la scatola, i telefoni erano spenti.")
    assert "toy for the rich" in quote([p], "en", prompts("en"))[0]  # the best match, as it is
    said, span = quote([p], "en", prompts("en"), avoid=when.retrospective)
    assert "Now I drive one every day" in said and "toy" not in said and span[0] == text.index("Now")


def test_a_passage_older_than_another_shown_is_outdated_for_a_question_about_now():
    old, new, undated = _passage(1, "2013-09-16", 0.90), _passage(2, "2023-10-05", 0.89), _passage(3, None, 0.88)
    assert when.outdated([old, new]) and when.outdated([old, undated, new])
    assert not when.outdated([new, old]) and not when.outdated([old]) and not when.outdated([undated, old])
    assert not when.outdated([])


def test_a_yes_no_question_about_now_is_not_answered_with_words_older_than_a_writing_shown(twin, tmp_path,
                                                                                          monkeypatch):
    from erre.answer import pipeline

    _dated_twin(twin, tmp_path)
    question = "Assegni ancora compiti a casa agli studenti?"
    restated = "Sì, assegno ancora compiti a casa agli studenti."  # the model only restates it: cut
    arrange = when.arrange

    def oldest_first(*args, **kwargs):  # the old writing kept, first, the newer one shown after it
        kwargs.pop("newest", None)
        return sorted(arrange(*args, **kwargs), key=lambda p: p.chunk.date or "9999")

    monkeypatch.setattr(pipeline.when, "arrange", oldest_first)
    _scripted(twin, restated)
    a = chat.answer(twin, question, candidates=1)
    assert a.abstained and a.reason == "unsupported"
    assert "2013" not in " ".join(c.date or "" for c in a.citations)
    monkeypatch.setattr(pipeline.when, "arrange", arrange)  # the newest first: its words answer
    _scripted(twin, restated)
    a = chat.answer(twin, question, candidates=1)
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2023-10-05"]


def test_a_draft_that_restates_the_question_and_talks_about_the_passages_gives_way_to_the_authors_words(
        twin, tmp_path):
    _dated_twin(twin, tmp_path)
    _scripted(twin, "Sì, assegno ancora compiti a casa agli studenti. L'autrice scrive che il lavoro si fa "
                    "in classe [1].")  # an echo, then the author in the third person: both cut
    a = chat.answer(twin, "Assegni ancora compiti a casa agli studenti?", candidates=1)
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2023-10-05"], (a.reason, a.text)
    assert "autrice" not in a.text
    # ... but not one that declines to answer (the model found nothing to say), on a point of one
    # writing (written of over the years, the newest writing's words answer: standin.newest_words)
    _drop_2013(twin, tmp_path)
    _scripted(twin, "Sì, assegno compiti a casa agli studenti. Mi dispiace, ma non ho alcun passaggio "
                    "che ne parli.")
    a = chat.answer(twin, "Assegni compiti a casa agli studenti?", candidates=1)
    assert a.abstained and a.reason == "unsupported", (a.reason, a.text)


@pytest.mark.parametrize("draft", [
    "Mi dispiace, ma non ho accesso a dati personali o passaggi specifici.",  # declining as an assistant
    "Quanti compiti dai oggi agli studenti.",  # the question restated
    "Oggi assegno 12 esercizi a settimana [1].",  # a figure no passage holds
])
def test_a_question_naming_its_time_whose_draft_is_cut_whole_gets_the_writing_of_then_quoted(twin, tmp_path,
                                                                                              draft):
    _dated_twin(twin, tmp_path)
    _scripted(twin, draft)
    a = chat.answer(twin, "Quanti compiti dai oggi agli studenti?", candidates=1)
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2023-10-05"], (a.reason, a.text)
    assert "12" not in a.text and "Mi dispiace" not in a.text
    _scripted(twin, draft.replace("Oggi", "Nel 2013").replace("oggi", "nel 2013"))
    a = chat.answer(twin, "Quanti compiti davi nel 2013 agli studenti?", candidates=1)
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2013-09-16"], (a.reason, a.text)
    # no time named, on a point of one writing: the draft cut whole on a question asking for a
    # detail stays a refusal (on a point written of over the years, the newest writing's words
    # answer it: standin.newest_words)
    _drop_2013(twin, tmp_path)
    _scripted(twin, draft.replace("Oggi a", "A").replace(" oggi", ""))
    a = chat.answer(twin, "Quanti compiti dai agli studenti?", candidates=1)
    assert a.abstained and a.reason == "unsupported", (a.reason, a.text)


@pytest.mark.parametrize("draft, quoted", [
    ("Cosa penso dei compiti a casa.", True),  # the question restated
    ("Mi dispiace, ma non ho accesso a dati personali o passaggi specifici.", False),  # declining
    # a figure no passage holds, to a question asking none: the passage nearest it, first,
    # answers (standin.nearest_first)
    ("Assegno 12 esercizi a settimana [1].", True),
])
def test_a_question_about_now_restated_by_the_draft_gets_the_author_s_words_when_they_are_on_its_subject(
        twin, tmp_path, draft, quoted):
    _dated_twin(twin, tmp_path)
    # a point of one writing (written of over the years, any draft cut whole gives way to the
    # newest writing's words: standin.newest_words)
    _drop_2013(twin, tmp_path)
    _scripted(twin, draft)
    a = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
    if quoted:  # the newest writing on the point, first, in the author's own words
        assert a.reason == "quoted" and [c.date for c in a.citations] == ["2023-10-05"], (a.reason, a.text)
        assert "Non assegno più compiti" in a.text and "Cosa penso" not in a.text
    else:  # a draft that declines stays a refusal: the model found nothing in the passages
        assert a.abstained and a.reason == "unsupported", (a.reason, a.text)
    # the first passage holds one of the question's three topic words: not on its subject
    _scripted(twin, "Cosa penso dei compiti delle vacanze estive al mare.")
    b = chat.answer(twin, "Cosa pensi dei compiti delle vacanze estive al mare?", candidates=1)
    assert b.abstained and b.reason in ("unsupported", "not_covered"), (b.reason, b.text)


def test_a_question_offering_a_choice_whose_draft_only_picks_a_side_gets_the_author_s_words(twin, tmp_path,
                                                                                              monkeypatch):
    from erre.answer import standin

    _bilingual(twin, tmp_path)
    # the draft restates the question with the side it picks: an echo, cut
    _scripted(twin, "I drive an electric car.")
    asked = "What kind of car do you drive, petrol or electric?"
    a = chat.answer(twin, asked, candidates=1)
    # which of two, like yes or no: the author's own words answer it
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2021-09-04"], (a.reason, a.text)
    assert "I bought an electric car" in a.text and "I drive" not in a.text
    # taken for a question asking a detail ("what kind"), the writings might not hold it: refused
    # (unless the passage quoted is the one nearest the question: standin.nearest_first, off here)
    monkeypatch.setattr(asking, "closed", asking.polar)
    monkeypatch.setattr(standin, "nearest_first", lambda *args: False)
    _scripted(twin, "I drive an electric car.")
    b = chat.answer(twin, asked, candidates=1)
    assert b.abstained and b.reason == "unsupported", (b.reason, b.text)
    assert asking.choice("Leggi su carta o sul lettore?") and asking.choice("Benzina, diesel o elettrica?")
    assert not asking.choice("Dai ancora compiti o no?") and not asking.choice("Do you read more or less?")
    assert not asking.choice("Mio figlio, o meglio mia figlia, studia latino?")


def test_a_passage_is_on_a_question_s_subject_when_it_holds_its_topic_words_in_either_language():
    from erre.answer import answerable
    from erre.documents import Chunk, Passage

    def passage(text, lang):
        return Passage(id=1, chunk=Chunk(source="a.md", title="A", text=text, start=0, end=len(text), language=lang),
                       score=0.5)

    homework = passage("Non assegno più compiti a casa: il lavoro si fa in classe.", "it")
    assert answerable.on_subject("Cosa pensi dei compiti?", "it", homework)
    assert answerable.on_subject("Livia, cosa pensi dei compiti?", "it", homework, skip=("Livia",))
    assert not answerable.on_subject("Cosa pensi delle prove INVALSI?", "it", homework)
    assert not answerable.on_subject("Cosa pensi dei compiti delle vacanze estive al mare?", "it", homework)

    def alike(word, candidates):  # the cross-lingual encoder, for these words
        pairs = {("homework", "compiti"), ("compiti", "homework")}
        return [c for c in candidates if (word, c) in pairs or word == c]

    assert answerable.on_subject("What do you think about homework?", "en", homework, alike=alike)
    assert not answerable.on_subject("What do you think about homework?", "en", homework)  # no encoder
    assert not answerable.on_subject("What do you think about standardised tests?", "en", homework, alike=alike)
    # what the author thinks, or yes or no: their own words answer it; a detail asked may not be in them
    assert asking.opinion("Cosa ne pensa dei compiti?") and asking.opinion("What's your take on homework?")
    assert asking.opinion("Secondo lei i compiti servono?") and asking.opinion("Do you give homework?")
    assert not asking.opinion("Quanti compiti dai?") and not asking.opinion("Which e-reader do you use?")


@pytest.mark.parametrize("draft", [
    "Cosa pensavo dei compiti a casa.",  # the question restated
    "Mi dispiace, ma non ho accesso a dati personali o passaggi specifici.",  # declining
    "Davo 12 esercizi a settimana [1].",  # a figure no passage holds
])
def test_a_past_the_verb_names_asking_what_the_author_thought_gets_the_writing_of_then_quoted(twin, tmp_path, draft):
    _dated_twin(twin, tmp_path)
    _scripted(twin, draft)
    # what the author thought at a time gone by, named by the verb alone: the writing of then, first,
    # in the author's own words, as for a time named in words
    a = chat.answer(twin, "Cosa pensavi dei compiti a casa?", candidates=1)
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2013-09-16"], (a.reason, a.text)
    assert "disciplina" in a.text and "Mi dispiace" not in a.text and "12" not in a.text
    # a detail of a time gone by stays a refusal: the writings may not hold it
    _scripted(twin, "Mi dispiace, ma non ho accesso a dati personali o passaggi specifici.")
    b = chat.answer(twin, "Quanti compiti davi agli studenti?", candidates=1)
    assert b.abstained and b.reason == "unsupported", (b.reason, b.text)


def test_a_change_asked_about_whose_draft_is_cut_whole_is_not_told_by_one_quote(twin, tmp_path):
    _dated_twin(twin, tmp_path)  # the quote of one writing would give one view as the whole story
    _scripted(twin, "Mi dispiace, ma non ho accesso a dati personali o passaggi specifici.")
    a = chat.answer(twin, "Come è cambiata nel tempo la tua idea sui compiti a casa?", candidates=1)
    assert a.abstained and a.reason == "unsupported", (a.reason, a.text)


def test_a_time_gone_by_the_tense_classifier_reads_in_the_verbs_is_asked_about_as_one():
    from erre.answer import policy

    read = True  # the tense classifier reads a time gone by
    question = "Cosa hai risposto al preside?"  # an event of then, in the passato prossimo
    assert when.asked(question).kind == when.NOW  # the rules read no time in it
    assert policy.when_asked(question, read).kind == when.PAST
    assert policy.when_asked(question, False).kind == when.NOW
    # a word of now, a year, a change: the rules decide
    assert policy.when_asked("Cosa rispondi oggi al preside?", read).kind == when.NOW
    assert policy.when_asked("Nel 2014 cosa hai risposto al preside?", read).kind == when.YEARS
    assert policy.when_asked("Quando hai cambiato idea sui compiti?", read).kind == when.CHANGE
    # an event the writings tell, not the author's own past: asked of them as they are
    assert policy.when_asked("Quanti bitcoin chiesero i criminali alla città di Baltimora?", read).kind == when.NOW
    assert policy.when_asked("How many tokens was Llama 3 trained on?", read).kind == when.NOW
    assert policy.when_asked("Prof, perché ha deciso di abolirli?", read).kind == when.PAST  # the author, formally
    assert policy.when_asked("Perché decidesti di abolirli?", read).kind == when.PAST  # the passato remoto
    assert policy.when_asked("Perché questi costi furono così alti?", read).kind == when.NOW  # "questi": no verb


@pytest.mark.parametrize("question, past", [
    ("Cosa hai risposto ai genitori che protestavano per i compiti?", True),  # an event of then
    ("Cosa ti spinse a difendere i compiti a casa?", True),  # the passato remoto
    ("Perché hai deciso di abolire i compiti?", True),
    ("Ricordo che davi tantissimi compiti. Secondo te servono?", False),  # a past told, a question of now
    ("Hai mai provato a leggere su un tablet?", False),  # experience up to now
    ("Hai scritto qualcosa sui compiti a casa?", False),  # what she wrote
    ("Tu che davi tanti compiti, cosa pensi dei compiti delle vacanze?", False),
])
def test_the_tense_classifier_reads_a_time_gone_by_the_rules_do_not(e5, question, past):
    from erre.answer import classify, policy

    assert when.asked(question).kind == when.NOW  # the rules read no time gone by in any
    tense = classify.load(classify.TENSE, e5)
    past_read = bool(tense.flags(classify.features(e5, [question], ["it"]))[0])
    assert (policy.when_asked(question, past_read).kind == when.PAST) is past


def test_a_time_gone_by_only_the_tense_classifier_reads_keeps_the_writing_of_then(twin, tmp_path):
    _dated_twin(twin, tmp_path)
    sent = _scripted(twin, "Li assegnavo perché la fatica forma il carattere [1].")
    question = "Cosa ti spinse ad assegnare tanti compiti a casa?"  # the passato remoto: no rule reads it
    assert when.asked(question).kind == when.NOW
    chat.answer(twin, question, candidates=1)
    # a time gone by: the 2013 writing is read, and the model is told the question asks about then
    assert sent and 'scritto="2013-09-16"' in sent[-1], sent[-1] if sent else None
    chat.answer(twin, "Cosa ti spinge ad assegnare pochi compiti a casa?", candidates=1)
    assert "2013-09-16" not in sent[-1]  # about now: the newest view alone


def test_a_question_names_its_time_in_words_not_by_a_verb_of_the_past_alone():
    assert when.timed("Quanti compiti dai oggi?") and when.timed("Do you still give homework?")
    assert when.timed("Nel 2013 quanti compiti davi?") and when.timed("Agli inizi del blog, che idea avevi dei social?")
    assert not when.timed("Quanti compiti dai?") and not when.timed("What temperature did you set for GPT-4?")
    assert not when.timed("Come è cambiata nel tempo la tua idea sui compiti?")  # two writings, not one


def test_the_link_to_a_newer_writing_may_go_through_an_older_one():
    import numpy as np

    from erre.subjects import Subjects

    # 2017's nearest is 2012, whose nearest is 2024 (the subject's newest); the ragù is elsewhere
    vectors = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.3, 0.95, 0.0], [0.0, 0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    names = ["2017-tradurre.md", "2012-latino.md", "2024-latin.md", "2019-ragu.md"]
    found = Subjects(None, np.arange(4), names, vectors.astype(np.float16))
    question = vectors[0].astype(np.float32)
    assert found.onward("2017-tradurre.md", question, share=0.2) == ["2012-latino.md", "2024-latin.md"]
    assert found.onward("2017-tradurre.md", question, share=0.2, hops=1) == ["2012-latino.md"]
    # a writing the question is not near enough is passed through, not given
    assert found.onward("2017-tradurre.md", question, share=0.5) == ["2012-latino.md"]
    # the chain stops where it turns back: 2024's nearest is 2012, whose nearest is 2024
    assert found.onward("2024-latin.md", vectors[2].astype(np.float32), share=0.0) == ["2012-latino.md"]
    assert found.onward("nowhere.md", question) == []
    # on the same subject when either is the other's nearest: 2017 and 2012, 2012 and 2024; not the
    # ragù, whose nearest is the tortellini
    recipes = np.vstack([vectors, [[0.0, 0.1, 1.0]]])
    recipes /= np.linalg.norm(recipes, axis=1, keepdims=True)
    both = Subjects(None, np.arange(5), [*names, "2020-tortellini.md"], recipes.astype(np.float16))
    assert both.linked("2017-tradurre.md", "2012-latino.md") and both.linked("2024-latin.md", "2012-latino.md")
    assert both.linked("2019-ragu.md", "2020-tortellini.md") and not both.linked("2017-tradurre.md", "2019-ragu.md")
    assert not both.linked("nowhere.md", "2019-ragu.md")
    # ... unless the search found it for the question (the index's embedder judged it near already)
    # and the question is nearer it than most writings: not so among these four, two on its subject
    assert found.onward("2017-tradurre.md", question, share=0.5, found={"2024-latin.md"}) == ["2012-latino.md"]
    wider = np.vstack([recipes, [[0.05, 0.0, 1.0]]])
    wider /= np.linalg.norm(wider, axis=1, keepdims=True)
    blog = Subjects(None, np.arange(6), [*names, "2020-tortellini.md", "2021-lasagne.md"], wider.astype(np.float16))
    assert blog.onward("2017-tradurre.md", question, share=0.5, found={"2024-latin.md"}) == [
        "2012-latino.md", "2024-latin.md"]


PHONE_POSTS = {  # the newer post on the subject in other words: none of the question's below
    "2014-04-10-telefono-sul-banco.md": (
        "Il telefono sul banco", "In classe il cellulare resta sul banco: è un dizionario di latino, una "
        "calcolatrice, un quiz. Lo uso come alleato della lezione."),
    "2024-02-19-la-scatola-di-latta.md": (
        "Telefoni spenti", "A lezione i telefoni degli studenti stanno spenti in una scatola di latta: in "
        "classe si studia senza schermi."),
    "2019-05-02-ragu.md": RAGU,
}


def test_a_question_in_the_old_view_s_words_gets_the_newer_writing_on_its_subject_first(twin, tmp_path,
                                                                                       monkeypatch):
    from erre import subjects

    _blog(twin, tmp_path / "phones", PHONE_POSTS)
    question = "Posso usare il cellulare come dizionario di latino in classe?"
    sent = _scripted(twin, "Oggi i telefoni restano spenti nella scatola [1].")
    chat.answer(twin, question, candidates=1)
    assert sent and 'scritto="2024-02-19"' in sent[-1] and 'scritto="2014-04-10"' not in sent[-1]
    # without the one-way link (nor the link both ways, which the question's nearness to the old writing
    # as a whole brings too: `writings.linked_newer`) the old view, which the question's words find, came first
    monkeypatch.setattr(subjects.Subjects, "onward", lambda self, source, question, **kw: [])
    monkeypatch.setattr(subjects.Subjects, "mutual", lambda self, source: None)
    sent.clear()
    chat.answer(twin, question, candidates=1)
    assert sent and sent[-1].index('scritto="2014-04-10"') < sent[-1].find('scritto="2024-02-19"')


def test_a_newer_writing_linked_both_ways_comes_first_when_it_holds_the_question_s_words(twin, tmp_path,
                                                                                          monkeypatch):
    from erre import subjects

    _blog(twin, tmp_path / "phones", {
        "2014-04-10-telefono-sul-banco.md": (
            "Il telefono sul banco", "In classe il cellulare resta sul banco: è un dizionario di latino, una "
            "calcolatrice, un quiz. Lo uso come alleato della lezione."),
        "2024-02-19-la-scatola-di-latta.md": (  # the phones named once, in the first of its passages
            "La scatola di latta", "Ogni mattina, in classe, gli studenti lasciano il telefono, spento, in una "
            "scatola di latta sulla cattedra.\n\n" + "Le prime settimane sono state difficili: mani che cercavano "
            "la tasca, occhi sull'orologio. Poi, durante l'intervallo, hanno ricominciato a parlarsi. " * 16),
        "2019-05-02-ragu.md": RAGU,
    })
    by = {s.rsplit("/", 1)[-1][:4]: s for s in twin.subjects.writings}
    assert twin.subjects.mutual(by["2014"]) == by["2024"] and twin.subjects.mutual(by["2019"]) is None
    question = twin.subjects.question("What do your students do with their phones in class?")
    assert len(twin.subjects.nearest_chunks(by["2024"], question, 9)) > 1
    assert twin.subjects.nearest_chunks(by["2024"], question, 1) == [twin.subjects.best(by["2024"], question)]
    # the search shows its best passage alone (the old writing), and the question is far nearer the old
    # writing than the new one: the one-way link's share is not met (the tiny corpus sits under the
    # threshold calibrated for the index's embedder: lowered)
    twin.settings = twin.settings.with_(chat_passages=1, chat_abstain_below="0.0")
    monkeypatch.setattr(subjects.Subjects, "onward", lambda self, source, q, **kw: [])
    sent = _scripted(twin, "Oggi i telefoni restano spenti nella scatola [1].")
    for question in ("What do your students do with their phones in class?", "Do your students use a phone in class?"):
        sent.clear()
        chat.answer(twin, question, candidates=1)
        assert sent and 'written="2024-02-19"' in sent[-1] and 'written="2014-04-10"' not in sent[-1]
    # a question whose words the newer writing does not hold keeps the old writing: it may be on a
    # point the new one never takes up
    sent.clear()
    chat.answer(twin, "Which calculator app do your students use in class?", candidates=1)
    assert sent and 'written="2014-04-10"' in sent[-1] and 'written="2024-02-19"' not in sent[-1]
    # without the link both ways, the old view came first
    monkeypatch.setattr(subjects.Subjects, "mutual", lambda self, source: None)
    sent.clear()
    chat.answer(twin, "What do your students do with their phones in class?", candidates=1)
    assert sent and 'written="2014-04-10"' in sent[-1] and 'written="2024-02-19"' not in sent[-1]


def test_a_question_on_the_old_writing_s_subject_gets_the_newer_writing_that_takes_up_its_passage(
        twin, tmp_path, monkeypatch):
    """A reader's words may be the old writing's and not the newer one's: the question is nearest
    the old writing as a whole, and the newer writing, the two being each other's nearest, holds
    a passage near the old passage itself (`writings.linked_newer`): it is the current view."""
    from erre import subjects
    from erre.answer import policy

    _blog(twin, tmp_path / "phones", PHONE_POSTS)
    found = twin.subjects
    by = {s.rsplit("/", 1)[-1][:4]: s for s in found.writings}
    assert found.mutual(by["2014"]) == by["2024"]
    (old,) = [int(i) for n, i in enumerate(found.ids) if found.sources[n] == by["2014"]]
    assert found.reach(by["2024"], found.vector(old)) >= policy.QUOTE_NEAR  # a passage near the old one
    monkeypatch.setattr(subjects.Subjects, "onward", lambda self, source, q, **kw: [])  # no one-way link
    sent = _scripted(twin, "Oggi i telefoni restano spenti nella scatola [1].")
    question = "Posso usare il cellulare come dizionario di latino in classe?"
    assert found.subject(found.question(question)) == by["2014"]
    assert found.nearness(by["2014"], found.question(question)) >= policy.QUOTE_NEAR
    chat.answer(twin, question, candidates=1)
    assert sent and 'scritto="2024-02-19"' in sent[-1] and 'scritto="2014-04-10"' not in sent[-1]
    # a newer writing none of whose passages is near the old passage takes up another subject, however
    # near the two writings are in a small blog (an electric car and a recipe: their passages sit at 0.19)
    monkeypatch.setattr(subjects.Subjects, "vector", lambda self, chunk: np.zeros(found.vectors.shape[1], np.float32))
    sent.clear()
    chat.answer(twin, question, candidates=1)
    assert sent and sent[-1].index('scritto="2014-04-10"') < sent[-1].find('scritto="2024-02-19"')


def test_a_newer_writing_that_leaves_out_a_name_the_question_and_the_old_passage_hold_is_not_on_it():
    from erre.answer import answerable

    def passage(text, source):
        return Passage(id=1, chunk=Chunk(source=source, title="", text=text, start=0, end=len(text), language="it"),
                       score=0.5)

    lisbon = passage("A Lisbona ho preso il tram 28 fino all'Alfama e ho ascoltato il fado.", "2014-lisbona.md")
    florence = passage("Cinque giorni a piedi da Bologna a Firenze, sull'Appennino.", "2023-firenze.md")
    assert answerable.names_left("Mi consigli un posto a Lisbona per il fado?", "it", lisbon, florence) == ("Lisbona",)
    assert answerable.names_left("Il tram 28 vale la pena?", "it", lisbon, florence) == ("28",)
    assert answerable.names_left("What's the best walk in Lisbon?", "en", lisbon, florence) == ("Lisbon",)
    # a name neither holds, or both hold, leaves nothing out
    assert answerable.names_left("Cosa pensi di Madrid?", "it", lisbon, florence) == ()
    both = passage("Dopo Lisbona, a piedi fino a Firenze.", "2023-firenze.md")
    assert answerable.names_left("Mi consigli un posto a Lisbona per il fado?", "it", lisbon, both) == ()


def test_the_link_to_a_newer_writing_goes_on_past_an_older_one(twin, tmp_path, monkeypatch):
    from erre import subjects

    _blog(twin, tmp_path / "phones", {
        "2011-09-01-lavagne.md": ("Lavagne", "Nel 2011 la classe aveva ancora lavagne di ardesia e gessetti."),
        **{name: post for name, post in PHONE_POSTS.items() if "ragu" not in name},
    })
    by = {s.rsplit("/", 1)[-1][:4]: s for s in twin.subjects.writings}
    question = "Posso usare il cellulare come dizionario di latino in classe?"
    sent = _scripted(twin, "Oggi i telefoni restano spenti nella scatola [1].")
    # the first writing's nearest is older: its own nearest, newer than the first, is the current view
    monkeypatch.setattr(subjects.Subjects, "onward", lambda self, source, q, **kw: [by["2011"], by["2024"]])
    chat.answer(twin, question, candidates=1)
    assert sent and 'scritto="2024-02-19"' in sent[-1] and 'scritto="2014-04-10"' not in sent[-1]
    assert 'scritto="2011-09-01"' not in sent[-1]  # the older writing passed through is on the point: left out
    # without that link (nor the one both ways, which the question's nearness to the 2014 post brings
    # too: `writings.linked_newer`), the old view came first
    monkeypatch.setattr(subjects.Subjects, "onward", lambda self, source, q, **kw: [by["2011"]])
    monkeypatch.setattr(subjects.Subjects, "mutual", lambda self, source: None)
    sent.clear()
    chat.answer(twin, question, candidates=1)
    assert sent and sent[-1].index('scritto="2014-04-10"') < sent[-1].find('scritto="2024-02-19"')


def test_a_yes_no_question_about_now_gets_the_author_s_words_beside_a_newer_writing_on_another_subject(twin,
                                                                                                         tmp_path):
    from erre.answer import standin

    _blog(twin, tmp_path / "blog", {
        "2019-02-03-lettrice-convertita.md": (
            "Lettrice convertita", "Leggo ormai quasi tutti i libri sul lettore elettronico: posso ingrandire "
            "i caratteri e prendere in prestito gli ebook dalla biblioteca."),
        "2012-11-20-ebook-e-carta.md": (
            "Ebook e carta", "Non leggerò mai un libro su uno schermo: voglio la carta, il suo odore, i margini."),
        "2022-01-09-ho-spento-le-bacheche.md": (
            "Ho spento le bacheche", "Ho chiuso i miei profili su Facebook e su Twitter: mi rubavano le sere."),
        "2018-06-20-ricette.md": RAGU,
    })
    # the passages shown, the e-reader post first (the tiny corpus sits under the threshold
    # calibrated for the index's embedder: lowered)
    twin.settings = twin.settings.with_(chat_passages=4, chat_abstain_below="0.0")
    question = "Usi un e-reader per leggere?"  # the post never says "e-reader": not on its subject by words
    _scripted(twin, "Sì, usi un e-reader per leggere.")  # the question restated, as the model does: cut
    a = chat.answer(twin, question, candidates=1)
    # the newer post on social networks is far from the question: the 2019 writing is the current view
    assert a.reason == "quoted" and [c.date for c in a.citations] == ["2019-02-03"], (a.reason, a.text)
    assert "ingrandire" in a.text
    ids = {s.rsplit("/", 1)[-1][:4]: int(i) for i, s in zip(twin.subjects.ids, twin.subjects.sources)}
    chunks = twin.store.chunks(list(ids.values()))
    by = {year: Passage(id=i, chunk=chunks[i], score=1.0) for year, i in ids.items()}
    assert not standin.held_back(twin, question, [by["2019"], by["2022"]])
    assert not standin.held_back(twin, question, [by["2022"], by["2019"]])  # the newest first: nothing older
    # a newer writing near the question may hold a later view: the older one's words are held back
    assert standin.held_back(twin, question, [by["2012"], by["2019"]])
    # a question far from the first passage found it by chance: its words answer nothing
    assert standin.held_back(twin, "Porti la divisa quando insegni?", [by["2019"], by["2022"]])


def test_a_question_about_now_leads_with_the_writing_it_is_on_not_one_sharing_its_common_words(twin, tmp_path):
    from erre.answer import policy, when

    _blog(twin, tmp_path / "blog", {
        "2021-03-01-leggere-a-distanza.md": (
            "Leggere a distanza", "Durante la didattica a distanza leggevo ai ragazzi un romanzo ad alta voce: "
            "i ragazzi ascoltavano dall'aula virtuale, poi studiavano il capitolo."),
        "2020-07-01-libri-per-l-estate.md": (
            "Libri per l'estate", "Ai ragazzi consiglio per l'estate tre romanzi da leggere con calma, sotto "
            "l'ombrellone o in biblioteca."),
        "2014-11-10-telefono-sul-banco.md": TELEFONO,
        "2024-02-19-la-scatola-di-latta.md": (
            "La scatola di latta", "All'ingresso ogni studente lascia il telefono spento in una scatola di latta: "
            "l'attenzione va protetta dalle notifiche."),
        "2018-06-20-ricette.md": RAGU,
    })
    subjects = twin.subjects
    by = {s.rsplit("/", 1)[-1][:4]: s for s in subjects.writings}
    # the post on reading aloud at a distance shares a reader's common words, not the subject
    for asked in ("Cosa pensi dei cellulari in classe?", "Are phones allowed in your classroom?"):
        assert subjects.lead([by["2021"], by["2020"], by["2014"]], subjects.question(asked)) == by["2014"], asked
    question = subjects.question("Are phones allowed in your classroom?")
    assert subjects.lead([by["2021"], by["2024"], by["2014"]], question) in (by["2014"], by["2024"])
    assert subjects.lead([by["2014"], by["2021"]], question) is None  # the first is the one it is on
    # two writings on one subject (each the other's nearest): the time ordering tells them apart
    assert subjects.linked(by["2014"], by["2024"])
    assert subjects.lead([by["2024"], by["2014"]], question) is None
    assert subjects.lead([by["2014"], by["2024"]], question) is None
    ids = {s.rsplit("/", 1)[-1][:4]: int(i) for i, s in zip(subjects.ids, subjects.sources)}
    chunks = twin.store.chunks(list(ids.values()))
    shown = [Passage(id=ids[y], chunk=chunks[ids[y]], score=1.0) for y in ("2021", "2020", "2014")]
    assert [p.chunk.date[:4] for p in when.led(shown, by["2014"])] == ["2014", "2021", "2020"]
    assert when.led(shown, None) == shown and when.led(shown, by["2018"]) == shown
    # what the pipeline does before the time ordering, for a question about now
    lead = policy.lead(twin, "Cosa pensi dei cellulari in classe?", shown)
    assert [p.chunk.date[:4] for p in lead] == ["2014", "2021", "2020"]
    # ... only towards a writing with a newer one on its subject: there is no later view to bring
    newest = [Passage(id=ids[y], chunk=chunks[ids[y]], score=1.0) for y in ("2021", "2024")]
    assert subjects.lead([p.chunk.source for p in newest], subjects.question("Cosa pensi dei cellulari in classe?"),
                         newest[0].id) == by["2024"]
    assert policy.lead(twin, "Cosa pensi dei cellulari in classe?", newest) == newest


def _writings(twin) -> list[Passage]:
    """Every writing of a small blog as a passage (one chunk each), as the checks are shown them."""
    return [Passage(id=i, chunk=c, score=1.0) for i, c in twin.store.chunks(list(map(int, twin.subjects.ids))).items()]


def test_a_private_question_near_a_public_writing_in_other_words_is_answered_from_it(twin, tmp_path):
    from erre.answer import answerable, policy

    _blog(twin, tmp_path / "blog", {
        "2015-06-22-attacco-la-spina.md": (
            "Attacco la spina", "La primavera scorsa ho venduto il vecchio diesel e ho comprato un'auto elettrica. "
            "Dopo un anno che la guido non tornerei indietro: è silenziosa, costa poco, e la ricarico di notte "
            "in garage."),
        "2014-11-10-telefono-sul-banco.md": TELEFONO,
        "2018-06-20-ricette.md": RAGU,
    })
    model = ScriptedModel("Guido un'auto elettrica: è silenziosa e costa poco [1].")
    twin.use(model=model)
    question = "Che macchina hai adesso? Elettrica o a benzina?"
    assert policy.kinds(twin, question, "it").personal  # it asks a private fact...
    passages = _writings(twin)
    car = [p for p in passages if "spina" in p.chunk.source]
    # ... that the author told in public, in other words ("auto", not "macchina"; nothing on petrol)
    assert not answerable.published(question, "it", car)
    assert policy.near_one(twin, question, car)
    a = chat.answer(twin, question, candidates=1)
    assert a.reason != "personal" and model.calls, (a.reason, a.text)
    assert [c.source.rsplit("/", 1)[-1] for c in a.citations] == ["2015-06-22-attacco-la-spina.md"]
    # the newer post on ragù is the car post's nearest in so small a blog, and the search finds every
    # post: it is still not on the question (nearer it than most writings), so it is not the current view
    spina, ragu = (next(w for w in twin.subjects.writings if key in w) for key in ("spina", "ricette"))
    assert twin.subjects.onward(spina, twin.subjects.question(question), found=twin.subjects.writings) == []
    assert ragu in twin.subjects.neighbours(spina)
    # a private question far from every writing stays unanswered, the model not asked
    calls = len(model.calls)
    far = "In che via abiti? Quanto paghi di affitto?"
    assert policy.kinds(twin, far, "it").personal and not policy.near_one(twin, far, passages)
    assert not policy.wrote_of(twin, far, "it", passages)
    b = chat.answer(twin, far, candidates=1)
    assert b.abstained and len(model.calls) == calls


def test_a_private_question_on_what_a_writing_is_about_is_answered_from_it(twin, tmp_path):
    from erre.answer import answerable, policy

    _blog(twin, tmp_path / "blog", {
        "2022-01-09-ho-spento-le-bacheche.md": (
            "Ho spento le bacheche", "A gennaio ho cancellato tutti i miei profili social, uno dopo l'altro. Per "
            "dieci anni ho seguito colleghi e studenti sulle bacheche; adesso chi vuole leggermi trova i miei "
            "scritti solo qui, sul blog, e nella newsletter del mese."),
        "2014-11-10-telefono-sul-banco.md": TELEFONO,
        "2018-06-20-ricette.md": RAGU,
        "2019-05-02-parole.md": (
            "Parole bolognesi", "A Bologna si dice ancora «soccmel» e «tiro» per la porta: le parole del "
            "dialetto che i miei studenti usano senza saperlo."),
    })
    model = ScriptedModel("Ho cancellato tutti i miei profili social: mi trovi solo sul blog e nella newsletter [1].")
    twin.use(model=model)
    passages = sorted(_writings(twin), key=lambda p: "bacheche" not in p.chunk.source)  # the post on it first
    question = "Ti seguo da anni: su quale social ti trovo?"
    assert policy.kinds(twin, question, "it").personal  # read as a private fact...
    # ... that no name, word count or cosine shows the author made public, but a post is on it
    assert not answerable.published(question, "it", passages) and not policy.near_one(twin, question, passages)
    assert policy.wrote_of(twin, question, "it", passages)
    assert not policy.wrote_of(twin, question, "it", passages[1:] + passages[:1])  # the first, its words quoted
    # answered in her own words from that post: the model, which could put a private life in her
    # mouth, is not asked
    a = chat.answer(twin, question, candidates=1)
    assert not a.abstained and a.reason == "quoted" and not model.calls, (a.reason, a.text)
    assert [c.source.rsplit("/", 1)[-1] for c in a.citations] == ["2022-01-09-ho-spento-le-bacheche.md"]
    assert "«" in a.text and "profili social" in a.text
    # a question sharing a word with a post is not on it, nor one of common words only: still private
    calls = len(model.calls)
    for far in ("Sei tifosa del Bologna? Vai mai allo stadio Dall'Ara?", "Hai figli? Quanti anni hanno?"):
        assert policy.kinds(twin, far, "it").personal and not policy.wrote_of(twin, far, "it", passages), far
        b = chat.answer(twin, far, candidates=1)
        assert b.abstained and len(model.calls) == calls, (far, b.reason, b.text)


LATIN = ("Why I still teach Latin", "A student asked me why she should sweat over Livy when a chatbot translates "
         "it in two seconds. Teaching Latin to my students trains patience: in class we read each sentence "
         "slowly, and every student weighs two meanings before choosing one.")


def test_a_question_in_the_other_language_meets_the_writings_by_its_words_translated(twin, tmp_path):
    from dataclasses import replace

    from erre import retrieve

    _dated_twin(twin, tmp_path)
    _blog(twin, tmp_path / "blog", {"2024-03-15-latin.md": LATIN, "2024-02-19-telefono.md": TELEFONO,
                                    "2019-05-02-ragu.md": RAGU})
    weights = retrieve.Weights(second=twin.settings.search_cross)

    def scores(question: str, w: retrieve.Weights) -> dict[str, float]:
        found = retrieve.search(twin.store, twin.embedder, question, 8, second=twin.subjects, weights=w)
        return {p.chunk.source.rsplit("/", 1)[-1]: p.score for p in found}

    # "homework" is "compiti" among the candidates' Italian words, both ways: the BM25 of
    # "compiti", over the best one's, joins the score of the posts that hold it, and only theirs
    question = "What's your policy on homework for your students these days?"
    before, after = scores(question, replace(weights, translated=0.0)), scores(question, weights)
    added = {name: round(after[name] - before[name], 6) for name in before}
    assert added["2013-09-16-elogio-dei-compiti.md"] > 0 and added["2023-10-05-classe-senza-compiti.md"] > 0
    assert max(added.values()) == pytest.approx(weights.translated)
    assert added["2024-03-15-latin.md"] == added["2019-05-02-ragu.md"] == added["2024-02-19-telefono.md"] == 0
    # whether the writings come near the question is judged on the passages found first before
    found = retrieve.find(twin.store, twin.embedder, question, 2, second=twin.subjects, weights=weights)
    plain = retrieve.find(twin.store, twin.embedder, question, 2, second=twin.subjects,
                          weights=replace(weights, translated=0.0))
    assert [p.id for p in found.passages] != [p.id for p in plain.passages] and not plain.judged
    assert [p.id for p in found.judged] == [p.id for p in plain.passages]
    # a word spelt alike in both languages is matched by the question's own stems: nothing added;
    # nor to a question in the index's main language
    for same in ("Do you ever give a quiz?", "Cosa pensi dei compiti a casa?"):
        assert scores(same, weights) == scores(same, replace(weights, translated=0.0))


def test_the_answers_search_takes_the_translated_words_weight_from_the_settings(twin, tmp_path, monkeypatch):
    from erre import retrieve

    _dated_twin(twin, tmp_path)
    _blog(twin, tmp_path / "blog", {"2024-03-15-latin.md": LATIN})
    _scripted(twin, "I no longer give homework [1].")
    seen, find = [], retrieve.find
    monkeypatch.setattr(retrieve, "find", lambda *a, **kw: seen.append(kw.get("weights")) or find(*a, **kw))
    for weight in (0.4, 0.0):  # search.translated in erre.toml; 0 is off
        twin.settings = twin.settings.with_(search_translated=weight)
        seen.clear()
        chat.answer(twin, "What's your policy on homework for your students these days?", candidates=1)
        assert seen and seen[0].translated == weight and seen[0].second == twin.settings.search_cross


def test_a_question_under_the_threshold_near_a_writing_across_languages_is_answered(twin, tmp_path):
    from erre.answer import policy

    _dated_twin(twin, tmp_path)
    _blog(twin, tmp_path / "blog", {"2024-03-15-latin.md": LATIN, "2024-02-19-telefono.md": TELEFONO})
    sent = _scripted(twin, "Non assegno più compiti a casa [1].")
    near = "Do you still give your students homework?"
    r = _replied(twin, near)
    # e5 scores the English question under the threshold against the Italian posts on homework;
    # the cross-lingual encoder finds it near them: answered
    ev = r.evidence
    assert ev is not None and ev.relevance < ev.threshold and ev.coverage < policy.COVERAGE_ENOUGH and ev.across
    assert r.answer is not None and r.answer.reason != "not_covered" and sent, (r.answer.reason, r.answer.text)
    assert "compiti a casa" in sent[-1]  # a post on homework is among the passages shown
    # a question far from every writing stays refused, the model not asked
    calls = len(sent)
    far = "What do you think of school uniforms?"
    b = chat.answer(twin, far, candidates=1)
    assert b.abstained and b.reason == "not_covered" and len(sent) == calls
    # the rule itself: only evidence that is not enough changes, and only near a passage
    chunks = twin.store.chunks(list(map(int, twin.subjects.ids)))
    passages = [Passage(id=i, chunk=c, score=1.0) for i, c in chunks.items()]
    low = policy.Evidence(0.80, 0.0, 0.99)  # under the threshold, nothing of the question's words
    assert policy.near_found(twin, near, "en", low, passages).enough
    assert not policy.near_found(twin, far, "en", low, passages).enough
    assert not policy.near_found(twin, near, "en", low, []).enough
    ok = policy.Evidence(0.995, 0.0, 0.99)
    assert policy.near_found(twin, far, "en", ok, passages) is ok
    italian = [p for p in passages if p.chunk.language == "it"]
    assert not policy.near_found(twin, near, "it", low, italian).enough  # within one language e5 decides


def _replied(twin, question: str):
    """The reply to `question`, read to its end."""
    r = chat.reply(twin, question)
    for _ in r:
        pass
    return r


def test_a_question_asking_about_a_year_is_read_across_languages_without_its_year(twin, tmp_path):
    _dated_twin(twin, tmp_path)
    sent = _scripted(twin, "Back then I thought homework taught discipline [1].")
    r = _replied(twin, "Back in 2013, did you think homework built discipline?")
    # e5 reads it without its year and scores it under the threshold against the Italian posts;
    # the cross-lingual encoder, given the year too, found it far from them (a passage's text
    # holds no date): without it, near the 2013 post, and the question is answered from it
    assert r.evidence is not None and r.evidence.relevance < r.evidence.threshold and r.evidence.across, r.evidence
    assert r.answer is not None and r.answer.reason != "not_covered" and sent, (r.answer.reason, r.answer.text)
    assert 'written="2013-09-16"' in sent[-1]

def test_a_name_is_set_aside_when_the_cross_lingual_encoder_finds_the_question_very_near_a_post(twin, tmp_path):
    """A reader asks in other words than the post's and names a brand it never names: e5 scores
    the question under its own margin, and few of its words are in the post; the cross-lingual
    encoder finds it very near (QUOTE_NEAR + NEAR_MARGIN): the brand is set aside, the rest
    answered from the post. A question whose subject is the name stays unanswered."""
    from erre.answer import answerable, policy
    from erre import retrieve

    _blog(twin, tmp_path / "blog", {
        "2012-05-14-lettrice-di-carta.md": (
            "Perché non comprerò un lettore di ebook", "Resto, ostinatamente, una lettrice di carta. Un libro "
            "per me è un oggetto con una storia: ha un odore, ha un peso, ha i margini dove scrivo a matita le "
            "mie domande. Su uno schermo grigio tutte le pagine si assomigliano."),
        "2019-02-03-lettrice-convertita.md": (
            "Confessioni di una lettrice convertita", "Su questo blog avevo scritto che non avrei mai avuto "
            "bisogno di un lettore elettronico. Ho cambiato idea: da Natale ne uso uno tutti i giorni. Sul "
            "lettore ingrandisco i caratteri con due dita e leggo a letto senza accendere la lampada. Con la "
            "tessera della biblioteca prendo in prestito romanzi appena usciti. I libri che amo davvero li "
            "compro ancora stampati, ma la lettura di tutti i giorni ormai passa da lì."),
        "2018-06-20-ricette.md": RAGU,
    })
    model = ScriptedModel("Leggo ogni giorno sul lettore elettronico [1].")
    twin.use(model=model)
    question = "Prof, i romanzi li legge sul Kindle o preferisce il cartaceo?"
    s = twin.settings
    limit = policy.threshold(s, twin.embedder.name)
    found = retrieve.search(twin.store, twin.embedder, question, s.chat_passages)
    shown, ev = policy.shown(found, s.chat_passages, limit), policy.evidence(question, "it", found, limit)
    assert answerable.missing_terms(question, "it", shown).terms == ("Kindle",)
    # not near by e5's margin, nor by the words the post holds: only the cross-lingual encoder
    assert ev.enough and not ev.near and not answerable.aside(question, "it", shown, ("Kindle",))
    assert policy.very_near(twin, question, shown)
    a = chat.answer(twin, question, candidates=1)
    # her newest words on the point, then the oldest (chat.now = quote), no model run
    assert not a.abstained and a.uncovered == ("Kindle",) and not model.calls, (a.reason, a.text)
    assert a.text.startswith("Nel 2019 ho scritto così: «")
    assert a.text.endswith("Nei miei scritti non nomino mai «Kindle».")
    assert [c.source.rsplit("/", 1)[-1] for c in a.citations] == ["2019-02-03-lettrice-convertita.md",
                                                                   "2012-05-14-lettrice-di-carta.md"]
    # a question on the name alone, or a bare one beside it, is not that near: nothing set aside
    for q in ("Leggi sul Kobo?", "Cosa pensi di Harry Potter?"):
        assert not policy.very_near(twin, q, shown)


def test_a_name_of_the_askers_context_is_set_aside_when_the_question_is_near_a_post(twin, tmp_path):
    """A reader tells where their child studies, in a sentence that asks nothing, and asks in
    common words what a post answers: the school is the asker's context, not what is asked; the
    question is near the post (the cross-lingual encoder, QUOTE_NEAR), so the name is set aside
    and the rest answered, even as a quantity. A name in the sentence that asks, or a context
    followed by a bare question, is asked about: refused as before."""
    from erre import retrieve
    from erre.answer import answerable, policy

    _blog(twin, tmp_path / "blog", {
        "2023-09-20-classe-senza-compiti.md": (
            "Una classe senza compiti", "Quest'anno nella mia classe non si portano compiti a casa: il "
            "pomeriggio dei ragazzi resta libero per leggere, fare sport, annoiarsi. Gli esercizi si fanno a "
            "scuola, insieme. Ai genitori preoccupati rispondo che le versioni di latino le traduciamo in classe."),
        "2018-06-20-ricette.md": RAGU,
    })
    model = ScriptedModel("A casa non porto più compiti: si lavora in classe [1].")
    twin.use(model=model)
    question = ("Mio figlio fa il primo anno al Minghetti e sta sulle versioni fino alle otto di sera. "
                "Lei ai suoi ragazzi quanto lavoro lascia per il pomeriggio?")
    assert answerable.context_only(question, ("Minghetti",)).startswith("Lei ai suoi ragazzi")
    assert not answerable.in_context(question, "it", "Minghetti")  # what asks has no word of its own
    s = twin.settings
    limit = policy.threshold(s, twin.embedder.name)
    found = retrieve.search(twin.store, twin.embedder, question, s.chat_passages)
    shown, ev = policy.shown(found, s.chat_passages, limit), policy.evidence(question, "it", found, limit)
    assert answerable.missing_terms(question, "it", shown).terms == ("Minghetti",)
    # not very near, nor enough of its words in the post: only the asker's context, near the post
    assert not ev.near and not policy.very_near(twin, question, shown)
    assert not answerable.aside(question, "it", shown, ("Minghetti",))
    assert policy.asker_context(twin, question, shown, ("Minghetti",))
    assert policy.set_aside(twin, question, "it", shown, ev, shown) == ("Minghetti",)
    a = chat.answer(twin, question, candidates=1)
    assert not a.abstained and a.uncovered == ("Minghetti",) and len(model.calls) == 1, (a.reason, a.text)
    assert [c.source.rsplit("/", 1)[-1] for c in a.citations] == ["2023-09-20-classe-senza-compiti.md"]
    # the name asked about, or a context whose question alone asks nothing of the post: refused
    for q, terms in (("Lei cosa pensa del liceo Minghetti? Ci manderebbe suo figlio?", ("Minghetti",)),
                     ("Ieri ho visto Oppenheimer al cinema. Lei che ne pensa?", ("Oppenheimer",))):
        found = retrieve.search(twin.store, twin.embedder, q, s.chat_passages)
        assert not policy.asker_context(twin, q, policy.shown(found, s.chat_passages, limit), terms), q
        assert chat.answer(twin, q, candidates=1).abstained, q


DIARY = (
    "Maggio a Bologna. Sabato siamo saliti a San Luca a piedi sotto il portico, seicentosessantasei archi, "
    "e in cima il vento portava l'odore dei tigli. Poi giù verso il centro, un gelato in via San Vitale e due "
    "ore in libreria a sfogliare guide di Lisbona per l'estate.\n\n"
    "In cucina ho provato di nuovo il lievito madre: tre giorni di rinfreschi, un impasto morbido, una crosta "
    "che canta quando esce dal forno. Mia nonna diceva che il pane insegna la pazienza, e aveva ragione.\n\n"
    "La sera, al Pratello, un quartetto suonava standard jazz: il sassofono teneva le note lunghe come una "
    "voce, e la gente ballava tra i tavolini fino a mezzanotte.\n\n"
    "Domenica pioggia: ho riletto Le città invisibili sul divano, con il gatto acciambellato sulle gambe, e "
    "ho segnato a matita le città che vorrei vedere davvero. Poi ho telefonato a mia sorella a Lisbona, che "
    "mi racconta dei tram gialli in salita e dei pastéis de nata ancora caldi. Ad agosto andremo a trovarla, "
    "con un treno notturno fino a Parigi e poi un volo: il viaggio lento è metà della vacanza, e un libro "
    "lungo lo rende perfetto.\n\n## A scuola\n\n"
    "Compiti per casa ai miei studenti? Non più: quello che serve lo facciamo insieme in aula."
)


def test_a_newer_writing_off_the_question_s_subject_is_not_put_first_as_its_current_view(twin, tmp_path,
                                                                                        monkeypatch):
    from erre.answer import policy

    old, new = _passage(1, "2013-09-16", 0.90), _passage(2, "2023-10-05", 0.89)
    latin = _passage(3, "2024-02-01", 0.895, "Compiti di latino: tradurre Livio.")  # a topic word, another subject
    topic = language.terms("compiti", "it")
    now = when.When(when.NOW)
    assert [p.id for p in when.arrange(now, [old, latin, new], [], 4, topic)] == [3, 2, 1]
    assert [p.id for p in when.arrange(now, [old, latin, new], [], 4, topic, apart={"d3.md"})] == [2, 1, 3]
    assert [p.id for p in when.arrange(now, [old, latin, new], [], 4, topic, newest=True, apart={"d3.md"})] == [2, 3]
    # only for a question about now
    assert [p.id for p in when.arrange(when.When(when.CHANGE), [old, latin, new], [], 4, topic,
                                       apart={"d3.md"})] == [1, 2, 3]
    # the writings apart: newer than the first, neither the writing the question is nearest of
    # all nor linked to it, and even their nearest passage farther from the question than its
    _blog(twin, tmp_path / "blog", {
        "2013-09-16-elogio-dei-compiti.md": (
            "Elogio dei compiti", "Do molti compiti a casa: ogni pomeriggio esercizi di grammatica, perché la "
            "disciplina si impara con la fatica."),
        "2023-10-05-classe-senza-compiti.md": (
            "Una classe senza compiti", "Da quest'anno niente compiti a casa: si lavora in classe, in laboratorio, "
            "e i pomeriggi restano liberi."),
        "2024-02-01-why-i-still-teach-latin.md": LATIN,
        "2012-03-01-a-che-serve-il-latino.md": (
            "A che serve il latino", "Il latino insegna a leggere piano: tradurre Livio o Cicerone chiede "
            "pazienza e precisione, e dovrebbe restare aperto a tutti gli studenti."),
        "2014-11-10-telefono-sul-banco.md": TELEFONO,
        "2018-06-20-ricette.md": RAGU,
        "2025-05-10-diario-di-maggio.md": ("Diario di maggio", DIARY),
        "2021-09-12-sabato-a-bologna.md": (
            "Sabato a Bologna", "A piedi fino a San Luca sotto il portico, poi un gelato in centro, una libreria, il "
            "pane col lievito madre e la sera jazz al Pratello, tra sassofono e tavolini."),
    })
    by = {s.rsplit("/", 1)[-1][:4]: s for s in twin.subjects.writings}
    assert twin.subjects.linked(by["2024"], by["2012"])  # Latin, in either language
    ids = {s.rsplit("/", 1)[-1][:4]: int(i) for i, s in zip(twin.subjects.ids, twin.subjects.sources)}
    chunks = twin.store.chunks(list(ids.values()))
    shown = [Passage(id=ids[y], chunk=chunks[ids[y]], score=1.0) for y in ("2013", "2024", "2023")]
    asked = "Dai ancora tanti compiti per casa ai tuoi studenti?"
    assert twin.subjects.subject(twin.subjects.question(asked)) in (by["2013"], by["2023"])
    assert policy.apart(twin, asked, shown) == {by["2024"]}
    assert policy.apart(twin, asked, shown[:1]) == frozenset()
    # a question near no writing has no subject to go by
    question = twin.subjects.question(asked)
    monkeypatch.setattr(policy, "QUOTE_NEAR", twin.subjects.nearness(twin.subjects.subject(question), question) + 0.01)
    assert policy.apart(twin, asked, shown) == frozenset()
    monkeypatch.undo()
    # a long writing on many things, far from the question by its mean, holds a passage on it
    diary = [Passage(id=ids[y], chunk=chunks[ids[y]], score=1.0) for y in ("2013", "2025")]
    assert not twin.subjects.linked(twin.subjects.subject(question), by["2025"])
    assert policy.apart(twin, asked, diary) == frozenset()
    latin_first = [Passage(id=ids[y], chunk=chunks[ids[y]], score=1.0) for y in ("2024", "2013")]
    assert policy.apart(twin, asked, latin_first) == frozenset()  # only newer writings than the first


def test_a_question_about_now_answered_from_another_writing_than_the_point_s_newest_gets_its_words(
        twin, tmp_path):
    _dated_twin(twin, tmp_path)
    twin.settings = twin.settings.with_(chat_abstain_below="0.0")  # the tiny corpus: every question reaches the model
    # the model answers from the recipe, not from the 2023 post on homework shown first: the
    # author's words on the point follow, cited
    _scripted(twin, "Il ragù vuole tre ore a fuoco lento [2].")
    a = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
    assert not a.abstained and a.text.startswith("Il ragù vuole tre ore"), a.text  # what streamed stays
    assert "Sul punto, però, ho scritto così: «Non assegno più compiti" in a.text, a.text
    assert "2023-10-05" in [c.date for c in a.citations], a.citations
    for n in (1, 2):  # streamed, or delivered whole: what the channel is sent is the answer
        _scripted(twin, "Il ragù vuole tre ore a fuoco lento [2].")
        events = list(chat.reply(twin, "Cosa pensi dei compiti a casa?", candidates=n).events())
        done = events[-1].answer
        assert "".join(e.text for e in events if isinstance(e, chat.Token)).strip() == done.text.strip(), done.text
        assert "Sul punto, però" in done.text
    # a question far from the first passage (a uniform, to a teacher who never wrote of one): no words of
    # hers answer it, the answer stands as the checks left it
    _scripted(twin, "Il ragù vuole tre ore a fuoco lento [2].")
    b = chat.answer(twin, "Porti la divisa quando insegni?", candidates=1)
    assert b.text == "Il ragù vuole tre ore a fuoco lento [2].", (b.reason, b.text)
    # an answer resting on the point's newest writing is left as it is
    _scripted(twin, "Non assegno più compiti a casa [1].")
    c = chat.answer(twin, "Cosa pensi dei compiti a casa?", candidates=1)
    assert c.text == "Non assegno più compiti a casa [1]." and [x.date for x in c.citations] == ["2023-10-05"]
    # a time gone by is not a question about now: the draft stands
    _scripted(twin, "Il ragù vuole tre ore a fuoco lento [2].")
    d = chat.answer(twin, "Nel 2013 cosa pensavi dei compiti a casa?", candidates=1)
    assert "Sul punto" not in d.text, (d.reason, d.text)


@pytest.mark.parametrize("draft", [
    "Ne do 15 ogni settimana [1].",  # a figure of its own
    "Mi dispiace, ma non ho alcun passaggio che ne parli.",  # declining as an assistant
])
def test_a_question_about_now_on_a_point_written_of_over_the_years_gets_the_newest_words_when_the_draft_is_cut(
        twin, tmp_path, draft):
    _dated_twin(twin, tmp_path)
    twin.settings = twin.settings.with_(chat_passages=4, chat_abstain_below="0.0")
    question = "Quanti compiti a casa dai ai tuoi ragazzi per il weekend?"
    sent = _scripted(twin, draft)
    a = chat.answer(twin, question, candidates=1)
    # the 2013 post on the point is left out of what the model reads; its draft cut whole, the
    # newest writing's own words answer, cited: the author's current view, not a refusal
    assert len(sent) == 1 and "Elogio" not in sent[0]
    assert not a.abstained and a.reason == "quoted", (a.reason, a.text)
    assert [c.date for c in a.citations] == ["2023-10-05"] and "pomeriggi" in a.text
    # with the 2013 post gone, nothing on the point is left out: the draft cut whole is refused
    _drop_2013(twin, tmp_path)
    _scripted(twin, draft)
    b = chat.answer(twin, question, candidates=1)
    assert b.abstained and b.reason == "unsupported", (b.reason, b.text)
    left = sorted(_writings(twin), key=lambda p: p.chunk.date or "", reverse=True)  # 2023, then the 2018 ragù
    assert not when.left_older(left, left) and when.left_older(left, left[:1])
    assert not when.left_older(left, left[1:])  # a newer writing left out is no older view


def test_a_question_about_now_whose_draft_only_restated_it_gets_the_newest_words_beside_a_newer_post_elsewhere(
        twin, tmp_path):
    from erre.answer import policy, standin

    _dated_twin(twin, tmp_path)
    _blog(twin, tmp_path / "blog", {"2024-02-19-telefono.md": TELEFONO})  # newer, on phones
    twin.settings = twin.settings.with_(chat_passages=4, chat_abstain_below="0.0")
    question = "Mio figlio sta sui libri tutte le sere fino a tardi: ti pare normale?"  # homework, in other words
    first = next(p for p in _writings(twin) if p.chunk.date == "2023-10-05")
    cosine = twin.subjects.cosines(question, [first.id])[first.id]
    assert standin.ECHO_NEAR <= cosine < policy.QUOTE_NEAR, cosine
    sent = _scripted(twin, "Mi pare normale che stia sui libri tutte le sere fino a tardi.")
    a = chat.answer(twin, question, candidates=1)
    # the model read the 2023 post first and the 2024 one on phones beside it, and only restated the
    # question: the newest writing on homework answers, in her words, cited; not a refusal
    assert 'scritto="2023-10-05"' in sent[-1] and 'scritto="2024-02-19"' in sent[-1] and "Elogio" not in sent[-1]
    assert not a.abstained and a.reason == "quoted", (a.reason, a.text)
    assert [c.date for c in a.citations] == ["2023-10-05"] and "pomeriggi" in a.text
    # a draft with a figure of its own is no restatement: far from the first passage (under
    # QUOTE_NEAR), with a newer writing shown, it stays refused
    _scripted(twin, "Ne do 15 ogni settimana [1].")
    b = chat.answer(twin, question, candidates=1)
    assert b.abstained and b.reason == "unsupported", (b.reason, b.text)
    # with the 2013 post gone, homework is a point of one writing: the restatement is refused
    _drop_2013(twin, tmp_path)
    _scripted(twin, "Mi pare normale che stia sui libri tutte le sere fino a tardi.")
    c = chat.answer(twin, question, candidates=1)
    assert c.abstained and c.reason == "unsupported", (c.reason, c.text)


@pytest.mark.parametrize("draft, quoted", [
    ("Come gestisco il lavoro a casa dei miei studenti.", True),  # the question restated
    ("L'autrice scrive che il lavoro si fa in classe.", True),  # the passages talked about, not spoken as
    ("Ne do 12 a settimana [1].", True),  # a figure of its own, to a question asking none
    ("Mi dispiace, ma non ho alcun passaggio che ne parli.", False),  # declining: nothing found to say
])
def test_a_question_about_now_whose_drafts_failed_to_ground_it_gets_the_words_of_the_passage_nearest_it(
        twin, tmp_path, draft, quoted):
    from erre.answer import policy, standin

    _dated_twin(twin, tmp_path)
    _drop_2013(twin, tmp_path)  # homework a point of one writing: no older view left out
    _blog(twin, tmp_path / "blog", {"2024-02-19-telefono.md": TELEFONO})  # newer, on phones
    twin.settings = twin.settings.with_(chat_passages=4, chat_abstain_below="0.0")
    question = "Come gestisci il lavoro a casa dei tuoi studenti?"  # neither yes/no nor what she thinks
    by = {p.chunk.date: p for p in _writings(twin)}
    cosines = twin.subjects.cosines(question, [p.id for p in by.values()])
    assert cosines[by["2023-10-05"].id] >= policy.QUOTE_NEAR and max(cosines.values()) == cosines[by["2023-10-05"].id]
    sent = _scripted(twin, draft)
    a = chat.answer(twin, question, candidates=1)
    assert 'scritto="2023-10-05"' in sent[-1] and 'scritto="2024-02-19"' in sent[-1]
    if quoted:  # the newest writing on the point, nearest the question of all shown: her words, cited
        assert a.reason == "quoted" and [c.date for c in a.citations] == ["2023-10-05"], (a.reason, a.text)
        assert "pomeriggi" in a.text and "12" not in a.text
    else:
        assert a.abstained and a.reason == "unsupported", (a.reason, a.text)
    # the first passage not the nearest one shown, a question asking how many, a question far from
    # every writing, a draft with a name the writings lack: no stand-in
    cut = [("echo", "Come gestisco il lavoro a casa.")]
    assert standin.nearest_first(twin, question, cut, [by["2023-10-05"], by["2024-02-19"]])
    assert not standin.nearest_first(twin, question, cut, [by["2024-02-19"], by["2023-10-05"]])
    assert not standin.nearest_first(twin, "Quanti compiti dai ai tuoi studenti?", [("number", "Ne do due [1].")],
                                     [by["2023-10-05"]])
    assert not standin.nearest_first(twin, "Porti la divisa quando insegni?", cut, [by["2023-10-05"]])
    assert not standin.nearest_first(twin, question, [("name", "Uso Classroom [1].")], [by["2023-10-05"]])


def test_a_name_an_older_writing_on_the_point_holds_is_not_one_she_never_wrote_of(twin, tmp_path):
    from erre.answer import policy

    _blog(twin, tmp_path / "blog", {
        "2015-06-22-macchine-elettriche.md": (
            "Macchine elettriche? No, grazie", "Le auto elettriche costano troppo e d'inverno l'autonomia si "
            "dimezza: salgo spesso sull'Appennino da mia madre e non voglio restare ferma in un tornante."),
        "2021-09-04-plugging-in.md": (
            "Plugging in", "This spring I sold my old diesel and bought an electric car. It is quiet, cheap to "
            "run, and I charge it at night: I was wrong about electric cars."),
        "2023-07-08-a-piedi-fino-a-firenze.md": (
            "A piedi fino a Firenze", "La Via degli Dei sale tra i boschi verso Monte Adone: dal secondo giorno "
            "l'Appennino fa sul serio, tra faggete e crinali esposti al vento."),
        "2018-06-20-ricette.md": RAGU,
    })
    question = "Ho paura di restare a secco sui tornanti dell'Appennino con un'auto elettrica: tu che ne dici?"
    new = next(p for p in _writings(twin) if p.chunk.date == "2021-09-04")
    point = policy.on_point(twin, [new])
    assert any(s.endswith("2015-06-22-macchine-elettriche.md") for s in point), point
    assert not any(s.endswith("a-piedi-fino-a-firenze.md") for s in point), point  # the walk: another point
    # the answer leads with the 2021 post, which never names the Apennines; the 2015 post on the
    # same point does: she wrote of them there, so the name is not missing, and no refusal
    assert policy.unwritten(twin.store, ("Appennino",), [new]) == ("Appennino",)
    assert policy.unwritten(twin.store, ("Appennino",), [new], point) == ()
    kinds = policy.kinds(twin, question, "it")
    ev = policy.evidence(question, "it", [new], 0.0)
    assert policy.unanswerable(twin, question, "it", [new], kinds, ev, view=[new]) is None
    # and the answer is the 2021 post's own words: the model, which reads that post alone,
    # would say of the Apennines what she never wrote there
    assert policy.named_on_point(twin, question, "it", [new], view=[new])
    # a question on what she never wrote about, naming the Apennines, finds the same post first
    # by chance: far from it (under QUOTE_NEAR), the older post on its point does not hold the
    # name for it; refused, not answered with her words on electric cars
    far = "Conosci qualche rifugio sull'Appennino dove fare la settimana bianca con la classe?"
    assert twin.subjects.cosines(far, [new.id])[new.id] < policy.QUOTE_NEAR
    assert policy.unwritten_names(twin, far, "it", [new], view=[new]) == (("Appennino",), ("Appennino",))
    assert not policy.named_on_point(twin, far, "it", [new], view=[new])
    refusal = policy.unanswerable(twin, far, "it", [new], policy.kinds(twin, far, "it"), ev, view=[new])
    assert refusal is not None and refusal[0] == "missing_terms", refusal
    # with the 2015 post gone, only the walk names them: "I wrote of them elsewhere", refused
    (tmp_path / "blog" / "2015-06-22-macchine-elettriche.md").unlink()
    twin.ingest([str(tmp_path / "blog")])
    new = next(p for p in _writings(twin) if p.chunk.date == "2021-09-04")
    refusal = policy.unanswerable(twin, question, "it", [new], kinds, ev, view=[new])
    assert refusal is not None and refusal[0] == "missing_terms", refusal
    assert not policy.named_on_point(twin, question, "it", [new], view=[new])


def test_a_name_written_on_another_point_is_set_aside_when_the_question_is_very_near(twin, tmp_path):
    from erre.answer import policy

    _blog(twin, tmp_path / "blog", {
        "2014-11-27-la-voce-che-legge.md": (
            "La voce che legge", "Leggo ad alta voce ai miei studenti di quindici anni: all'inizio ridono e "
            "si danno di gomito, poi ascoltano in silenzio fino all'ultima pagina."),
        "2021-03-10-leggere-a-voce-a-distanza.md": (
            "Leggere a voce a distanza", "Durante la didattica a distanza ho continuato a leggere ad alta voce: "
            "i ragazzi spegnevano la telecamera e ascoltavano, e la lettura teneva insieme la classe."),
        "2013-04-25-seicentosessantasei-archi.md": (
            "Seicentosessantasei archi", "Sono salita a San Luca sotto i portici, con il fiatone: Bologna dall'alto, "
            "al tramonto, vale ogni gradino."),
        "2018-06-20-ricette.md": RAGU,
    })
    twin.settings = twin.settings.with_(chat_passages=2)
    question = ("Quando leggi ad alta voce ai tuoi studenti di quindici anni, all'inizio ridono e si danno "
                "di gomito? Anche i ragazzi di Bologna?")
    old = next(p for p in _writings(twin) if p.chunk.date == "2014-11-27")
    assert policy.written(twin.store, ("Bologna",))  # in the walk to San Luca, another point
    assert not any(s.endswith("archi.md") for s in policy.on_point(twin, [old]))
    ev = policy.evidence(question, "it", [old], policy.threshold(twin.settings, twin.embedder.name))
    assert ev.near or policy.very_near(twin, question, [old])
    # very near the post on reading aloud: the name is a detail, set aside; she wrote of it elsewhere
    assert policy.set_aside(twin, question, "it", [old], ev, [old]) == ("Bologna",)
    sent = _scripted(twin, "All'inizio ridono e si danno di gomito, poi ascoltano in silenzio [1].")
    a = chat.answer(twin, question, candidates=1)
    assert not a.abstained, (a.reason, a.text)
    assert "Nei miei scritti nomino «Bologna» altrove" in a.text and "non nomino mai" not in a.text, a.text
    assert "«Bologna»" in sent[-1] and "non nominano" in sent[-1]  # the model is told to say nothing of it
    assert "Bologna" in a.uncovered
    # not near the passage, the name is not set aside: the question stays refused ("I wrote of it, but…")
    far = "Hai mai letto ad alta voce un libro su Bologna in gita?"
    ev = policy.evidence(far, "it", [old], policy.threshold(twin.settings, twin.embedder.name))
    assert not ev.near and not policy.very_near(twin, far, [old])
    assert policy.set_aside(twin, far, "it", [old], ev, [old]) == ()


def test_the_judge_sees_two_answers_blind_and_counts_each_side(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import judge

    def rows(answers: dict[str, str]) -> str:
        return "\n".join(json.dumps({"id": i, "question": f"q {i}", "kind": "past", "answer": a, "abstained": a == "",
                                     "cited": ["a.md"]}) for i, a in answers.items())

    (tmp_path / "old.jsonl").write_text(rows({"p1": "invented", "p2": "same", "p3": ""}), encoding="utf-8")
    (tmp_path / "new.jsonl").write_text(rows({"p1": "her words", "p2": "same", "p3": "x"}), encoding="utf-8")
    folder = tmp_path / "judge"
    assert judge.pairs(str(tmp_path / "old.jsonl"), str(tmp_path / "new.jsonl"), folder, {"past"}) == 2  # p3: abstained
    items = {i["id"]: i for i in json.loads((folder / "answers.json").read_text(encoding="utf-8"))}
    assert len(items["p1"]["answers"]) == 2 and len(items["p2"]["answers"]) == 1  # the same text is judged once
    assert "old" not in (folder / "answers.json").read_text(encoding="utf-8")  # which is which stays in the key
    label = {a["text"]: k for k, a in items["p1"]["answers"].items()}
    verdicts = [{"id": "p1", "label": label["invented"], "faithful": "no", "answers": "yes"},
                {"id": "p1", "label": label["her words"], "faithful": "yes", "answers": "partly"},
                {"id": "p2", "label": "A", "faithful": "yes", "answers": "yes"}]
    (folder / "verdicts.json").write_text(json.dumps(verdicts), encoding="utf-8")
    counts = judge.tally(folder)
    assert dict(counts[("old", "all")]) == {"judged": 2, "faithful": 1, "answers": 2, "both": 1}
    assert dict(counts[("new", "past")]) == {"judged": 2, "faithful": 2, "answers": 1, "both": 1}


def test_an_acronym_is_named_in_the_writings_only_in_capitals(twin, tmp_path):
    from erre.answer import answerable, policy

    assert not answerable.held_as_written("DAD", "My dad read to me every night.")
    assert not answerable.held_as_written("DAD", "Un dado da brodo e la saudade di Lisbona.")
    assert answerable.held_as_written("DAD", "Durante la DAD leggevo ad alta voce.")
    assert answerable.held_as_written("RAM", "La DRAM costa sempre di più.")  # inside a word, as `held`
    assert answerable.held_as_written("Appennino", "Salgo spesso sull'Appennino.")
    _blog(twin, tmp_path / "acronyms", {
        "2021-03-01-leggere-a-distanza.md": (
            "Leggere a distanza", "Metà della classe è a casa e l'altra metà in aula: leggo ad alta voce lo "
            "stesso, al microfono, e i ragazzi ascoltano dallo schermo."),
        "2016-05-10-snowed-in.md": (
            "Snowed in", "My dad read to me every night when I was a child; now I read to my students."),
    })
    # folded, "DAD" (didattica a distanza) was held by "dad" (and inside "dado", "saudade"), and the
    # twin said it named «DAD» elsewhere
    assert not policy.written(twin.store, ["DAD"]) and policy.written(twin.store, ["dad"])
    assert policy.unwritten(twin.store, ["DAD"], [], [s for s in twin.store.document_dates()]) == ("DAD",)
