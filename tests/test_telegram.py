"""The Telegram bot against a fake Bot API server on loopback: python-telegram-bot sends its
real HTTP requests (getMe, getUpdates, sendMessage, sendChatAction) and the fake answers as
Telegram does; the tests assert on what the fake received."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from erre import telegram
from tests.conftest import ScriptedModel

pytest.importorskip("telegram")

TOKEN = "123456:TEST-token"
BOT = {"id": 999, "is_bot": True, "first_name": "Lucia", "username": "lucia_bot", "can_join_groups": True,
       "can_read_all_group_messages": False, "supports_inline_queries": False}


class FakeBotApi:
    """The Bot API methods the bot uses, recording every call."""

    def __init__(self):
        self.updates: list[dict] = []
        self.calls: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.next_id = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                token, _, method = self.path.removeprefix("/bot").partition("/")
                status, body = fake.handle(token, method, params)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped polling

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, token, method, params):
        if token != TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        with self.lock:
            self.calls.append((method, params))
        if method == "getMe":
            return 200, {"ok": True, "result": BOT}
        if method in ("deleteWebhook", "sendChatAction"):
            return 200, {"ok": True, "result": True}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            if offset:  # as Telegram: an offset confirms every update before it
                with self.lock:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
            deadline = time.time() + 0.2  # a short long-poll
            while time.time() < deadline:
                with self.lock:
                    ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready:
                    return 200, {"ok": True, "result": ready}
                time.sleep(0.02)
            return 200, {"ok": True, "result": []}
        if method == "sendMessage":
            chat = {"id": int(params["chat_id"]), "type": "private"}
            return 200, {"ok": True, "result": {"message_id": 1000 + len(self.calls), "date": int(time.time()),
                                                "chat": chat, "from": BOT, "text": params["text"]}}
        return 404, {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}

    def send(self, text, *, user=(42, "ada"), chat=None, reply_to_bot=False, lang="it"):
        """A message from a user, as Telegram delivers it to getUpdates."""
        uid, username = user
        chat = chat or {"id": uid, "type": "private", "first_name": "Ada"}
        message = {"message_id": self.next_id, "date": int(time.time()), "chat": chat, "text": text,
                   "from": {"id": uid, "is_bot": False, "first_name": "Ada", "username": username,
                            "language_code": lang}}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to_bot:
            message["reply_to_message"] = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": BOT,
                                           "text": "..."}
        with self.lock:
            self.updates.append({"update_id": self.next_id, "message": message})
            self.next_id += 1

    def sent(self, method="sendMessage"):
        with self.lock:
            return [p for m, p in self.calls if m == method]

    def close(self):
        self.server.shutdown()


@pytest.fixture
def fake():
    f = FakeBotApi()
    yield f
    f.close()


def run_bot(bot, fake, until, timeout=30.0):
    """Polls the fake with the real python-telegram-bot Application until `until()` holds."""

    async def main():
        app = bot.application(TOKEN, fake.url)
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0.0, timeout=0)
            deadline = time.time() + timeout
            while not until() and time.time() < deadline:
                await asyncio.sleep(0.05)
            await app.updater.stop()
            await app.stop()

    asyncio.run(main())
    assert until(), f"the bot did not do it in {timeout} s; calls: {[m for m, _ in fake.calls]}"


def test_a_question_gets_an_answer_with_sources_in_its_own_conversation(fake, sample_twin):
    sample_twin.use(model=ScriptedModel("Scrivo a mano per rallentare [1]. <b>rallento e penso meglio</b>",
                                        "Da sempre [1]."))
    bot = telegram.Bot(sample_twin)
    fake.send("/start")
    fake.send("Perché scrivi ancora a mano?")
    run_bot(bot, fake, lambda: len(fake.sent()) >= 2)
    start, answer = fake.sent()[:2]
    assert "Lucia Ferri" in start["text"]
    assert answer["parse_mode"] == "HTML" and answer["chat_id"] == "42"
    assert answer["text"].startswith("Scrivo a mano per rallentare [1].")
    assert "&lt;b&gt;rallento e penso meglio&lt;/b&gt;" in answer["text"]  # the model's text is escaped
    assert "<b>Fonti</b>\n[1] " in answer["text"]
    assert fake.sent("sendChatAction")[0]["action"] == "typing"
    [c] = sample_twin.store.conversations(owner="42")
    assert c.channel == "telegram" and c.turns == 2

    fake.send("/sources")
    run_bot(bot, fake, lambda: len(fake.sent()) >= 3)
    fake.send("/reset")
    run_bot(bot, fake, lambda: len(fake.sent()) >= 4)
    sources, reset = fake.sent()[2:4]
    assert sources["text"].startswith("[1] ") and "“" in sources["text"]
    assert reset["text"] == "Ricominciamo da capo."
    assert len(sample_twin.store.conversations(owner="42")) == 2


def test_only_the_allow_list_is_answered(fake, sample_twin):
    sample_twin.use(model=ScriptedModel("Scrivo a mano per rallentare [1]."))
    bot = telegram.Bot(sample_twin, telegram.parse_allow("@Ada, 7"))
    fake.send("Perché scrivi ancora a mano?", user=(55, "eve"))
    fake.send("Perché scrivi ancora a mano?", user=(42, "ada"))
    run_bot(bot, fake, lambda: len(fake.sent()) >= 2)
    by_chat = {m["chat_id"]: m["text"] for m in fake.sent()}
    assert "lista degli ammessi" in by_chat["55"] and by_chat["42"].startswith("Scrivo a mano")
    assert sample_twin.store.conversations(owner="55") == []


def test_in_groups_only_mentions_and_replies_are_answered(fake, sample_twin):
    model = ScriptedModel("Scrivo a mano [1].", "Per rallentare [1].")
    sample_twin.use(model=model)
    bot = telegram.Bot(sample_twin)
    group = {"id": -100, "type": "group", "title": "Lettori"}
    fake.send("parliamo d'altro", chat=group)
    fake.send("@lucia_bot perché scrivi ancora a mano?", chat=group)
    fake.send("e perché?", chat=group, reply_to_bot=True)
    run_bot(bot, fake, lambda: len(fake.sent()) >= 2)
    time.sleep(0.3)
    assert len(fake.sent()) == 2 and {m["chat_id"] for m in fake.sent()} == {"-100"}
    assert not any("parliamo d'altro" in json.dumps(call, ensure_ascii=False) for call in model.calls)
    assert "@lucia_bot" not in json.dumps(model.calls[0], ensure_ascii=False)


def test_long_answers_are_split_within_telegrams_limit():
    text = ("Una frase di prova che si ripete. " * 300).strip()
    pieces = telegram.split(text)
    assert len(pieces) == 3 and all(len(p) <= telegram.LIMIT for p in pieces)
    assert " ".join(pieces) == text
    html = "x" * 4090 + ' <a href="https://e.it">titolo</a>'
    assert all(p.count("<a") == p.count("</a>") for p in telegram.split(html))


def test_a_wrong_token_is_a_clear_error(fake, sample_twin):
    from telegram.error import InvalidToken

    bot = telegram.Bot(sample_twin)

    async def main():
        app = bot.application("999:wrong", fake.url)
        async with app:
            pass

    with pytest.raises(InvalidToken):
        asyncio.run(main())
