"""The web chat in a real headless Chromium (Debian's, driven by Playwright) against erre's
server on loopback: ask, watch the answer stream, open a citation, reload and find the
conversation again."""

from __future__ import annotations

import shutil
import threading
import time

import httpx
import pytest

from tests.conftest import ScriptedModel
from tests.test_server import KEY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


class GatedModel(ScriptedModel):
    """Writes the first half of its answer, then waits to be released: the test sees the
    answer half written in the page."""

    def __init__(self, *answers, at: float = 0.5):
        super().__init__(*answers)
        self.half, self.release = threading.Event(), threading.Event()
        self.at = at  # the share of the answer written before the wait

    def stream(self, messages, *, max_tokens, temperature, stop=()):
        pieces = list(super().stream(messages, max_tokens=max_tokens, temperature=temperature))
        middle = int(len(pieces) * self.at)
        yield from pieces[:middle]
        self.half.set()
        self.release.wait(20)
        yield from pieces[middle:]


ANSWER = ("Scrivo a mano per rallentare [1]. Lo dico **chiaro**: <script>window.pwned = 1</script> "
          "<img src=x onerror=\"window.pwned = 2\"> [link](javascript:window.pwned=3)")


def until(page, js: str, timeout: float = 20.0) -> None:
    """Waits for a JavaScript condition, polled from the test: the page's Content-Security-
    Policy forbids the in-page eval that page.wait_for_function relies on."""
    deadline = time.time() + timeout
    while not page.evaluate(js):
        assert time.time() < deadline, f"timed out waiting for {js}"
        time.sleep(0.05)


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="it-IT")
    yield context.new_page()
    context.close()


def test_ask_stream_open_a_citation_and_find_the_conversation_after_a_reload(serve, page, sample_twin):
    # the model's raw text reaches the page unchecked: what is tested is how the page renders it
    # (the grounding check would cut the script and the image; tests/test_faithful.py)
    sample_twin.settings = sample_twin.settings.with_(chat_checks=False)
    model = GatedModel(ANSWER)
    s = serve(model)
    page.goto(s.url + "/")
    page.locator("#twin-name", has_text="Lucia Ferri").wait_for()  # the name comes with /api/info
    assert page.locator("#twin-name").inner_text() == "Lucia Ferri"
    assert page.locator("#send").inner_text() == "Invia"  # Italian strings for an Italian browser
    page.fill("#question", "Perché scrivi ancora a mano?")
    page.press("#question", "Enter")
    assert model.half.wait(20)
    streaming = page.locator(".msg.assistant .body.streaming")
    streaming.wait_for()
    until(page, "document.querySelector('.msg.assistant .body').textContent.length > 5")
    partial = streaming.inner_text()
    assert ANSWER.startswith(partial.strip()) and "javascript" not in partial  # half written
    model.release.set()
    page.locator(".msg.assistant .footnotes li").first.wait_for()

    body = page.locator(".msg.assistant .body")
    assert body.locator("strong").inner_text() == "chiaro"  # Markdown rendered
    assert "<script>" in body.inner_text()  # HTML from the model is shown as text...
    assert page.evaluate("window.pwned") is None  # ...never run
    assert body.locator("script, img").count() == 0 and body.locator("a[href^=javascript]").count() == 0

    page.locator(".msg.assistant a.cite").first.click()  # the [1] marker opens its source
    dialog = page.locator("#source")
    dialog.wait_for(state="visible")
    quote = page.locator("#source-text mark").inner_text()
    writings = " ".join(d[3] for d in sample_twin.store.documents())
    assert len(quote) > 20 and " ".join(quote.split())[:40] in " ".join(writings.split())
    page.keyboard.press("Escape")

    page.reload()
    page.locator(".msg.assistant .footnotes li").first.wait_for()
    assert page.locator(".msg.user .body").inner_text() == "Perché scrivi ancora a mano?"
    assert page.locator("#conversations .conv.active a").inner_text() == "Perché scrivi ancora a mano?"

    page.locator("#new-chat").click()
    assert page.locator(".msg").count() == 0
    page.once("dialog", lambda d: d.accept())
    page.locator("#conversations .conv button").first.click()  # delete it
    until(page, "document.querySelectorAll('#conversations .conv').length === 0")
    assert sample_twin.store.conversations() == []


def test_while_the_model_reads_the_page_shows_what_it_reads(serve, page, sample_twin):
    model = GatedModel("Scrivo a mano per rallentare [1].", at=0)  # nothing written until released
    s = serve(model)
    page.goto(s.url + "/")
    page.fill("#question", "Perché scrivi ancora a mano?")
    page.press("#question", "Enter")
    assert model.half.wait(20)
    note = page.locator(".msg.assistant .reading")
    note.wait_for()
    titles = {d[1] for d in sample_twin.store.documents()}
    text = note.inner_text()
    assert text.startswith("Sto leggendo: «") and text.endswith("scrivo…")
    assert any(f"«{t}»" in text for t in titles)
    assert page.locator(".msg.assistant .body").inner_text() == ""
    model.release.set()
    page.locator(".msg.assistant .footnotes li").first.wait_for()
    assert page.locator(".msg.assistant .reading").count() == 0  # gone once the answer is written
    assert "rallentare" in page.locator(".msg.assistant .body").inner_text()


def test_with_a_key_the_page_asks_for_it_and_the_api_refuses_without(serve, page):
    s = serve(ScriptedModel("Scrivo a mano per rallentare [1]."), api_key=KEY)
    assert httpx.get(s.url + "/api/conversations").status_code == 401
    page.goto(s.url + "/")
    page.locator("#key").wait_for(state="visible")
    page.fill("#key-input", KEY)
    page.press("#key-input", "Enter")
    until(page, "document.querySelector('#twin-name').textContent === 'Lucia Ferri'")
    page.fill("#question", "Perché scrivi ancora a mano?")
    page.press("#question", "Enter")
    page.locator(".msg.assistant .footnotes li").first.wait_for()
    assert page.locator(".msg.assistant .body").inner_text().startswith("Scrivo a mano")


def test_conversations_belong_to_the_browser_that_made_them(serve, browser):
    s = serve(ScriptedModel("Scrivo a mano per rallentare [1]."))
    one, two = browser.new_context(), browser.new_context()
    try:
        a = one.new_page()
        a.goto(s.url + "/")
        a.fill("#question", "Perché scrivi ancora a mano?")
        a.press("#question", "Enter")
        a.locator(".msg.assistant .footnotes li").first.wait_for()
        cid = a.evaluate("location.hash").split("=", 1)[1]
        b = two.new_page()
        b.goto(s.url + "/#c=" + cid)
        until(b, "document.querySelector('#twin-name').textContent === 'Lucia Ferri'")
        assert b.locator(".msg").count() == 0 and b.locator("#conversations .conv").count() == 0
        response = b.request.get(s.url + "/api/conversations/" + cid)
        assert response.status == 404 and response.json()["error"]["message"]
    finally:
        one.close()
        two.close()


def test_on_a_phone_the_list_folds_behind_the_menu(serve, browser):
    s = serve(ScriptedModel("Scrivo a mano per rallentare [1]."))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(s.url + "/")
        until(page, "document.querySelector('#twin-name').textContent === 'Lucia Ferri'")
        box = page.locator("#sidebar").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 0  # off screen
        assert page.locator("#question").bounding_box()["width"] > 250  # the input spans the screen
        page.locator("#menu").click()
        until(page, "document.querySelector('#sidebar').getBoundingClientRect().left >= 0")
    finally:
        context.close()
