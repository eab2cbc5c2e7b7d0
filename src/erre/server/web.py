"""The web chat: a page served by erre (no build step), its JSON routes and the answer
stream. Conversations are the twin's stored ones, scoped to the browser that made them (a
random owner id in an HttpOnly, SameSite=Strict cookie). Answers are rendered to HTML on the
server from Markdown with raw HTML disabled, so nothing from the model or the writings
reaches the page unescaped; while an answer streams the page shows it as plain text."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from functools import lru_cache
from html import escape
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response, StreamingResponse

from .. import chat
from ..conversations import NoConversation
from ..documents import Answer, Citation
from ..errors import ErreError
from . import log_exchange
from .errors import ApiError, json_object

router = APIRouter()
OWNER_COOKIE = "erre_owner"
STATIC = {"app.js": "text/javascript", "app.css": "text/css"}
SOURCE_CONTEXT = 4000  # characters of the document shown around a cited passage


def _static(name: str) -> str:
    return resources.files("erre.server").joinpath("static", name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def page(request: Request) -> Response:
    response = HTMLResponse(_static("index.html"), headers=_SECURITY_HEADERS)
    if not _owner_of(request):
        response.set_cookie(OWNER_COOKIE, secrets.token_urlsafe(18), max_age=3600 * 24 * 365, httponly=True,
                            samesite="strict")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        raise ApiError(404, f"No static file {name}")
    return Response(_static(name), media_type=STATIC[name], headers={"Cache-Control": "no-cache"})


@router.get("/avatar")
def avatar(request: Request) -> Response:
    path = _avatar(request.app.state.twin)
    if path is None:
        raise ApiError(404, "No avatar: put avatar.png (or .jpg) in the twin's directory")
    return FileResponse(path)


@router.get("/api/info")
def info(request: Request) -> dict:
    twin = request.app.state.twin
    name = twin.settings.name or twin.home.name
    langs = twin.store.languages()
    return {"name": name, "initials": "".join(w[0] for w in name.split()[:2]).upper(),
            "avatar": _avatar(twin) is not None, "language": next(iter(langs), "en"),
            "auth": request.app.state.api_key_set}


@router.get("/api/conversations")
def conversations(request: Request) -> list[dict]:
    owner = _owner(request)
    return [{"id": c.id, "title": c.title, "updated": c.updated, "turns": c.turns}
            for c in request.app.state.twin.conversations.list(owner=owner, limit=100)]


@router.post("/api/conversations")
async def new_conversation(request: Request) -> dict:
    owner = _owner(request)
    body = await json_object(request)
    title = body.get("title")
    title = title if isinstance(title, str) else ""
    cid = request.app.state.twin.conversations.start("web", owner, title)
    return {"id": cid}


@router.get("/api/conversations/{cid}")
def conversation(request: Request, cid: str) -> dict:
    c = _mine(request, cid)
    return {"id": c.id, "title": c.title, "turns": [
        {"role": t.role, "text": t.content, "abstained": t.abstained,
         **({"html": render(t.content, t.citations), "citations": [_cite(x) for x in t.citations]}
            if t.role == "assistant" else {})} for t in request.app.state.twin.conversations.history(cid)]}


@router.delete("/api/conversations/{cid}")
def delete(request: Request, cid: str) -> dict:
    _mine(request, cid)
    request.app.state.twin.conversations.delete(cid)
    return {"deleted": cid}


@router.post("/api/conversations/{cid}/messages")
async def ask(request: Request, cid: str) -> StreamingResponse:
    """The answer as server-sent events: `reading` {sources: [{n, title, source, date}]} when the
    model starts reading its passages, `token` {text} as it is written, then `done`
    {html, text, citations, abstained, style} once it is stored, or `error` {message}."""
    state = request.app.state
    owner = _mine(request, cid).owner
    body = await json_object(request)
    question = body.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ApiError(400, "'question' must be a non-empty string", param="question")
    ticket = state.gate.ticket()
    talk = state.twin.conversations
    history = talk.history(cid)

    def events() -> Iterator[str]:
        try:
            with ticket.turn():
                reply = chat.reply(state.twin, question, history)
                for event in reply.events():
                    if isinstance(event, chat.Token):
                        yield _event("token", {"text": event.text})
                    elif isinstance(event, chat.Reading):  # shown while the model reads them
                        yield _event("reading", {"sources": event.brief()})
                answer: Answer = reply.answer  # type: ignore[assignment]
                talk.record(cid, question, answer, channel="web", owner=owner)
                log_exchange(state, "web", question, answer)
            yield _event("done", {"text": answer.text, "html": render(answer.text, answer.citations),
                                  "citations": [_cite(x) for x in answer.citations], "abstained": answer.abstained,
                                  "style": answer.style})
        except ErreError as e:
            yield _event("error", {"message": str(e)})
        except Exception:
            state.log.exception("web answer failed")
            yield _event("error", {"message": "The answer failed; see the server log."})
        finally:
            ticket.close()

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/api/source")
def source(request: Request, doc: str, start: int = 0, end: int = 0) -> dict:
    """A cited passage in its document: the text before, the passage, the text after (plain
    text; the page shows it with textContent)."""
    found = request.app.state.twin.store.document(doc)
    if found is None:
        raise ApiError(404, f"No document {doc} in the index (it may have been removed since)")
    title, url, text = found
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:
        start, end = 0, min(len(text), 600)
    a, b = max(0, start - SOURCE_CONTEXT), min(len(text), end + SOURCE_CONTEXT)
    return {"title": title, "url": url, "source": doc, "before": ("…" if a else "") + text[a:start],
            "quote": text[start:end], "after": text[end:b] + ("…" if b < len(text) else "")}


# -- rendering -----------------------------------------------------------------------

@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


_MARK = re.compile(r"\[(\d{1,3})\]")


def render(text: str, citations: tuple[Citation, ...] | list[Citation]) -> str:
    """Markdown to HTML with raw HTML shown as text and unsafe links dropped (markdown-it's
    defaults), and the [n] markers of real citations turned into footnote links."""
    html = _markdown().render(text)
    known = {c.n for c in citations}
    return _MARK.sub(lambda m: (f'<sup><a class="cite" href="#" data-n="{m.group(1)}">[{m.group(1)}]</a></sup>'
                                if int(m.group(1)) in known else m.group(0)), html)


def _cite(c: Citation) -> dict:
    return {"n": c.n, "title": c.title, "source": c.source, "url": c.url if _safe_url(c.url) else None,
            "page": c.page, "date": c.date, "quote": c.quote, "start": c.start, "end": c.end}


def _safe_url(url: str | None) -> bool:
    return bool(url) and re.match(r"https?://", url or "", re.IGNORECASE) is not None


# -- helpers -----------------------------------------------------------------------------

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _owner_of(request: Request) -> str | None:
    value = request.cookies.get(OWNER_COOKIE)
    return value if value and re.fullmatch(r"[\w-]{16,64}", value) else None


def _owner(request: Request) -> str:
    owner = _owner_of(request)
    if owner is None:
        raise ApiError(400, "No browser id: open the chat page first (it sets a cookie).")
    return owner


def _mine(request: Request, cid: str):
    try:
        return request.app.state.twin.conversations.get(cid, channel="web", owner=_owner(request))
    except NoConversation:
        raise ApiError(404, f"No conversation {escape(cid)}") from None


def _avatar(twin):
    for name in ("avatar.png", "avatar.jpg", "avatar.jpeg", "avatar.webp"):
        if (twin.home / name).is_file():
            return twin.home / name
    return None
