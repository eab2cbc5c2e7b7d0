"""The Telegram bot: a thin adapter over chat.answer (python-telegram-bot, long polling).

Each chat has its own stored conversation (channel "telegram", owner the chat id); /reset
starts a new one. Answers go out as HTML (everything escaped, citations as links when the
document has a URL), split under Telegram's 4,096-character limit, with the typing
indicator on while the twin writes. An allow-list (usernames or numeric user ids) limits who
is answered; in groups the bot answers only when mentioned or replied to.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Iterable

from . import chat
from .documents import Answer, Citation
from .errors import ErreError, MissingExtra
from .serving import Busy, Gate

LIMIT = 4096  # characters in one Telegram message
log = logging.getLogger("erre.telegram")


def _telegram():
    try:
        import telegram  # noqa: F401
    except ImportError:
        raise MissingExtra("The Telegram bot (python-telegram-bot)", "'erre[telegram]'") from None


def parse_allow(value: str | Iterable[str]) -> set[str]:
    """"@ada, 12345" -> {"ada", "12345"}: usernames (without @, lower case) and user ids."""
    items = value.split(",") if isinstance(value, str) else value
    return {i.strip().lstrip("@").lower() for i in items if i.strip()}


def allowed(allow: set[str], user_id: int | None, username: str | None) -> bool:
    if not allow:
        return True
    return (user_id is not None and str(user_id) in allow) or bool(username and username.lower() in allow)


def render(answer: Answer, lang_texts: dict[str, str]) -> str:
    """The answer as Telegram HTML: the text escaped, then the numbered sources."""
    out = html.escape(answer.text, quote=False)
    if answer.citations:
        out += f"\n\n<b>{html.escape(lang_texts['bot_sources'])}</b>\n" + sources(answer.citations)
    return out


def sources(citations: Iterable[Citation]) -> str:
    lines = []
    for c in citations:
        title = html.escape(c.title + (f", p. {c.page}" if c.page else ""), quote=False)
        link = (f'<a href="{html.escape(c.url)}">{title}</a>' if c.url and re.match(r"https?://", c.url)
                else f"{title} ({html.escape(c.source, quote=False)})")
        lines.append(f"[{c.n}] {link}" + (f", {html.escape(c.date, quote=False)}" if c.date else ""))
    return "\n".join(lines)


def split(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, a line or a space when
    possible, never inside an HTML tag or entity."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        if cut <= limit // 2:
            cut = limit
        inside = lambda c: text.rfind("<", 0, c) > text.rfind(">", 0, c) or \
            text.rfind("&", 0, c) > text.rfind(";", 0, c)  # noqa: E731
        while inside(cut):  # not inside a tag or an entity
            cut = max(text.rfind("<", 0, cut), text.rfind("&", 0, cut))
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


class Bot:
    """The handlers, over one twin; `application(token)` builds the python-telegram-bot app."""

    def __init__(self, twin, allow: set[str] | None = None, gate: Gate | None = None):
        self.twin = twin
        self.allow = allow or set()
        self.gate = gate or Gate(8)
        self.name = twin.settings.name or twin.home.name

    def application(self, token: str, base_url: str | None = None):
        _telegram()
        from telegram.ext import ApplicationBuilder, CommandHandler, MessageHandler, filters

        builder = ApplicationBuilder().token(token).concurrent_updates(True)
        if base_url:  # another Bot API server (a local one, or a test's)
            builder = builder.base_url(f"{base_url}/bot").base_file_url(f"{base_url}/file/bot")
        app = builder.build()
        app.add_handler(CommandHandler("start", self.start))
        app.add_handler(CommandHandler("help", self.help))
        app.add_handler(CommandHandler("reset", self.reset))
        app.add_handler(CommandHandler("sources", self.sources))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.message))
        return app

    # -- commands --------------------------------------------------------------------

    def _texts(self, update) -> dict[str, str]:
        user = update.effective_user
        code = (user.language_code or "")[:2] if user else ""
        langs = list(self.twin.store.languages())
        return chat.prompts(code if code in ("it", "en") else (langs[0] if langs else "en"))

    async def _gatekeep(self, update) -> bool:
        user = update.effective_user
        if allowed(self.allow, user.id if user else None, user.username if user else None):
            return True
        if update.effective_chat.type == "private":
            await update.effective_message.reply_text(self._texts(update)["bot_not_allowed"])
        return False

    async def start(self, update, context) -> None:
        if await self._gatekeep(update):
            await update.effective_message.reply_text(self._texts(update)["bot_start"].format(name=self.name))

    async def help(self, update, context) -> None:
        if await self._gatekeep(update):
            await update.effective_message.reply_text(self._texts(update)["bot_help"])

    async def reset(self, update, context) -> None:
        if await self._gatekeep(update):
            owner = str(update.effective_chat.id)
            await asyncio.to_thread(self.twin.conversations.start, "telegram", owner, "Telegram")
            await update.effective_message.reply_text(self._texts(update)["bot_reset"])

    async def sources(self, update, context) -> None:
        if not await self._gatekeep(update):
            return
        texts = self._texts(update)
        talk = self.twin.conversations
        found = await asyncio.to_thread(talk.latest, str(update.effective_chat.id), "telegram")
        turns = await asyncio.to_thread(talk.history, found.id) if found else []
        last = next((t for t in reversed(turns) if t.role == "assistant" and t.citations), None)
        if last is None:
            await update.effective_message.reply_text(texts["bot_no_sources"])
            return
        body = sources(last.citations) + "\n\n" + "\n".join(
            f"[{c.n}] “{html.escape(c.quote, quote=False)}”" for c in last.citations)
        for piece in split(body):
            await update.effective_message.reply_text(piece, parse_mode="HTML", disable_web_page_preview=True)

    # -- questions -----------------------------------------------------------------------

    async def message(self, update, context) -> None:
        msg = update.effective_message
        question = self._question(update, context)
        if question is None or not await self._gatekeep(update):
            return
        texts = self._texts(update)
        try:
            ticket = self.gate.ticket()
        except Busy:
            await msg.reply_text(texts["bot_busy"])
            return
        typing = asyncio.create_task(self._typing(context, update.effective_chat.id))
        try:
            answer = await asyncio.to_thread(self._answer, str(update.effective_chat.id), question, ticket)
        except ErreError as e:
            await msg.reply_text(str(e))
            return
        except Exception:
            log.exception("answer failed")
            await msg.reply_text(texts["bot_failed"])
            return
        finally:
            typing.cancel()
            ticket.close()
        for piece in split(render(answer, texts)):
            await msg.reply_text(piece, parse_mode="HTML", disable_web_page_preview=True)

    def _question(self, update, context) -> str | None:
        """The text to answer, or None: in groups only what mentions the bot or replies to it."""
        msg = update.effective_message
        text = msg.text or ""
        if update.effective_chat.type == "private":
            return text.strip() or None
        me = context.bot.username or ""
        mention = f"@{me}".lower()
        replied = msg.reply_to_message is not None and msg.reply_to_message.from_user is not None \
            and msg.reply_to_message.from_user.id == context.bot.id
        if me and mention in text.lower():
            text = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE)
        elif not replied:
            return None
        return " ".join(text.split()) or None

    async def _typing(self, context, chat_id: int) -> None:
        """The typing indicator, renewed every 4 s (Telegram shows it for 5) until cancelled."""
        try:
            while True:
                await context.bot.send_chat_action(chat_id=chat_id, action="typing")
                await asyncio.sleep(4)
        except asyncio.CancelledError:
            pass
        except Exception as e:  # the indicator is a courtesy: never a reason to fail
            log.warning("typing indicator: %s", e)

    def _answer(self, owner: str, question: str, ticket) -> Answer:
        with ticket.turn():
            talk = self.twin.conversations
            cid = talk.current("telegram", owner)
            answer = chat.answer(self.twin, question, talk.history(cid))
            talk.record(cid, question, answer, channel="telegram", owner=owner)
            return answer
