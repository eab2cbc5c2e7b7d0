"""Errors as OpenAI error objects: {"error": {"message", "type", "param", "code"}}."""

from __future__ import annotations

import json

TYPES = {400: ("invalid_request_error", None), 401: ("invalid_request_error", "invalid_api_key"),
         404: ("invalid_request_error", "not_found"), 405: ("invalid_request_error", "method_not_allowed"),
         500: ("server_error", None), 503: ("server_error", "busy")}


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.param = status, message, param
        kind, default_code = TYPES.get(status, ("server_error", None))
        self.type, self.code = kind, code or default_code
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


async def json_object(request) -> dict:
    """The request's body as a JSON object, or a 400 error object saying what is wrong."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body
