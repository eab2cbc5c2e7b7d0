"""The OpenAI-compatible API: GET /v1/models and POST /v1/chat/completions (whole or
streamed as server-sent events), over chat.reply. Any OpenAI client can talk to the twin.

The request's messages are the conversation: the last one (from the user) is the question,
the earlier user and assistant messages are its history. System messages are not
instructions to the twin (its persona and rules are erre's) and are ignored. Citations
travel twice: as footnotes at the end of the message content, and as the extra field
`erre` ({"citations", "abstained", "language", "style", "timings"}) of the response (of the
last chunk when streaming).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from .. import chat
from ..documents import Answer, Turn
from ..errors import ErreError
from . import log_exchange
from .errors import ApiError, json_object

router = APIRouter()


@router.get("/v1/models")
def models(request: Request) -> dict:
    app = request.app.state
    return {"object": "list", "data": [{"id": app.model_id, "object": "model", "created": app.started,
                                        "owned_by": "erre"}]}


@router.post("/v1/chat/completions")
async def completions(request: Request):
    state = request.app.state
    body = await json_object(request)
    question, history = _conversation(body.get("messages"))
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "'stream' must be true or false", param="stream")
    ticket = state.gate.ticket()  # Busy (503, Retry-After) when the line is full
    run = Run(state, question, history, ticket)
    if stream:
        return StreamingResponse(run.events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    from starlette.concurrency import run_in_threadpool

    answer = await run_in_threadpool(run.whole)
    return JSONResponse(run.completion(answer))


class Run:
    """One answer through the gate, as a whole completion or as completion chunks."""

    def __init__(self, state, question: str, history: list[Turn], ticket):
        self.state, self.question, self.history, self.ticket = state, question, history, ticket
        self.id = "chatcmpl-" + uuid.uuid4().hex
        self.created = int(time.time())

    def whole(self) -> Answer:
        with self.ticket.turn():
            answer = chat.answer(self.state.twin, self.question, self.history)
        log_exchange(self.state, "api", self.question, answer)
        return answer

    def completion(self, answer: Answer) -> dict:
        content = answer.text + chat.footnotes(answer.citations)
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.state.model_id,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": None, "erre": extra(answer)}

    def events(self) -> Iterator[str]:
        """Server-sent events: a role chunk, a chunk with an empty delta whose `erre` field
        lists the passages the model is reading (`reading`: n, title, source, date) when a model
        writes the answer, the text as it is written, the footnotes with the `erre` field and
        finish_reason, then [DONE]. An error after the first byte is sent as an
        OpenAI error object in the stream."""
        try:
            with self.ticket.turn():
                yield self._chunk({"role": "assistant", "content": ""})
                reply = chat.reply(self.state.twin, self.question, self.history)
                for event in reply.events():
                    if isinstance(event, chat.Token):
                        yield self._chunk({"content": event.text})
                    elif isinstance(event, chat.Reading):  # an empty delta: OpenAI clients skip it
                        yield self._chunk({}, erre={"reading": event.brief()})
                answer = reply.answer
                assert answer is not None
                log_exchange(self.state, "api", self.question, answer)
                notes = chat.footnotes(answer.citations)
                yield self._chunk({"content": notes} if notes else {}, finish="stop", erre=extra(answer))
        except ErreError as e:
            yield _sse({"error": ApiError(400, str(e)).body()})
        except Exception:
            self.state.log.exception("answer failed")
            yield _sse({"error": ApiError(500, "The answer failed; see the server log.").body()})
        finally:
            self.ticket.close()
        yield "data: [DONE]\n\n"

    def _chunk(self, delta: dict, finish: str | None = None, erre: dict | None = None) -> str:
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.state.model_id, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if erre is not None:
            chunk["erre"] = erre
        return _sse(chunk)


def extra(answer: Answer) -> dict:
    """What erre adds to an OpenAI response: the citations and how the answer was made."""
    return {"citations": [c.as_dict() for c in answer.citations], "abstained": answer.abstained,
            "language": answer.language, "style": answer.style, "timings": dict(answer.timings)}


def _sse(obj: dict) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def _text(content, i: int) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return "\n".join(parts)  # type: ignore[arg-type]
    raise ApiError(400, f"messages[{i}].content must be a string or a list of text parts",
                   param=f"messages[{i}].content")


def _conversation(messages) -> tuple[str, list[Turn]]:
    """The question (the last message, from the user) and the earlier turns."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of {role, content} objects", param="messages")
    turns: list[Turn] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ApiError(400, f"messages[{i}] must be an object with a 'role'", param=f"messages[{i}]")
        role = m["role"]
        if role in ("system", "developer"):
            continue  # the twin's persona and rules are its own
        if role not in ("user", "assistant"):
            raise ApiError(400, f"messages[{i}].role '{role}' is not supported: user, assistant or system",
                           param=f"messages[{i}].role")
        turns.append(Turn(role=role, content=_text(m.get("content"), i)))
    if not turns or turns[-1].role != "user" or not turns[-1].content.strip():
        raise ApiError(400, "The last message must be a question from the user", param="messages")
    return turns[-1].content, turns[:-1]
