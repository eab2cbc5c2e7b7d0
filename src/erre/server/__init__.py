"""erre serve: one ASGI app with the web chat and an OpenAI-compatible API over the twin's
chat pipeline. The core stays synchronous: answers run in worker threads, one at a time
through a bounded line (erre.serving)."""

from __future__ import annotations

import hmac
import logging
import time

from ..errors import ErreError, MissingExtra


def _fastapi():
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingExtra("the server (FastAPI, uvicorn)", "fastapi uvicorn") from None


def create_app(twin, *, api_key: str | None = None, queue: int = 8, log_contents: bool = False,
               max_body: int | None = None, parallel: int = 1):
    """The app for `twin`. With `api_key`, every route but /health asks for
    `Authorization: Bearer <api_key>`."""
    _fastapi()
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    from . import api, web
    from .errors import ApiError
    from ..serving import Busy, Gate

    app = FastAPI(title="erre", docs_url=None, redoc_url=None, openapi_url=None)
    state = app.state
    state.twin, state.gate, state.started = twin, Gate(queue, answering=parallel), int(time.time())
    state.model_id = twin.home.name or "erre"
    state.log = logging.getLogger("erre.server")
    state.log_contents = log_contents
    state.api_key_set = bool(api_key)

    def error(e: ApiError) -> JSONResponse:
        return JSONResponse(e.body(), status_code=e.status, headers=e.headers)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, e: ApiError):
        return error(e)

    @app.exception_handler(Busy)
    async def _busy(request: Request, e: Busy):
        return error(ApiError(503, str(e), headers={"Retry-After": str(e.retry_after)}))

    @app.exception_handler(ErreError)
    async def _erre_error(request: Request, e: ErreError):
        return error(ApiError(400, str(e)))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, e: HTTPException):
        return error(ApiError(e.status_code, str(e.detail)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError):
        return error(ApiError(400, "The request is not valid: " + "; ".join(str(x.get("msg")) for x in e.errors())))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception):
        state.log.exception("request failed: %s %s", request.method, request.url.path)
        return error(ApiError(500, "The server failed on this request; see its log."))

    @app.middleware("http")
    async def _auth_and_log(request: Request, call_next):
        t0 = time.perf_counter()
        if api_key and not _public(request.url.path) and not _authorized(request, api_key):
            response = error(ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer <key>'.",
                                      headers={"WWW-Authenticate": "Bearer"}))
        else:
            response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # one line per request, key=value, without message contents
        state.log.info("method=%s path=%s status=%d ms=%.0f waiting=%d", request.method, request.url.path,
                       response.status_code, (time.perf_counter() - t0) * 1000, state.gate.load)
        return response

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "twin": state.model_id, "model": twin.settings.llm_model or twin.settings.llm_backend,
                "waiting": state.gate.load}

    app.include_router(api.router)
    app.include_router(web.router)
    app.add_middleware(BodyLimit, limit=max_body or MAX_BODY)
    return app


MAX_BODY = 1_000_000  # bytes a request body may have: a long conversation is far less


class BodyLimit:
    """Refuses request bodies over `limit` bytes with a 413 error object, whether the client
    announced the length or streams the body in chunks, before anything reads them whole."""

    def __init__(self, app, limit: int = MAX_BODY):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from .errors import ApiError

        from fastapi.responses import JSONResponse

        too_large = JSONResponse(ApiError(413, f"The request body is over {self.limit:,} bytes.").body(),
                                 status_code=413)
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.limit:
                return await too_large(scope, receive, send)
            return await self.app(scope, receive, send)
        # no length announced (a chunked body): read it here, up to the limit, then replay it
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await too_large(scope, receive, send)
        await self.app(scope, _replay([{"type": "http.request", "body": bytes(body), "more_body": False}],
                                      receive), send)


def _replay(messages: list, then=None):
    """An ASGI receive that gives `messages` first, then waits on `then` (disconnects)."""
    queue = list(messages)

    async def receive():
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def log_exchange(state, channel: str, question: str, answer) -> None:
    """The question and the answer in the log, only when server.log_contents asks for it."""
    if state.log_contents:
        state.log.info("channel=%s question=%r answer=%r citations=%d abstained=%s", channel, question, answer.text,
                       len(answer.citations), answer.abstained)


def _public(path: str) -> bool:
    """What loads without a key: health, and the chat page itself (it asks for the key)."""
    return path in ("/", "/health", "/avatar") or path.startswith("/static/")


def _authorized(request, key: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode())


def run(app, host: str, port: int) -> None:
    """Serves until interrupted; on SIGINT/SIGTERM answers in progress may finish (30 s)."""
    import uvicorn

    # keep-alive longer than uvicorn's 5 s: a client reusing a connection the server is just
    # closing gets a transport error, and browsers wait between questions
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=30, timeout_keep_alive=65)
