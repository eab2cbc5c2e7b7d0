"""Security by default, on a real server on loopback: every route that needs the key asks
for it, no link reaches outside the index, every response is JSON or the escaped chat page,
oversized requests are refused, and secrets never reach the log."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from tests.conftest import ScriptedModel

KEY = "s3cret-key-for-tests-0123456789"
PUBLIC = {"/", "/health", "/avatar", "/static/{name}"}


def _routes(app):
    from fastapi.routing import APIRoute

    from erre.server import api, web

    for route in [*app.routes, *api.router.routes, *web.router.routes]:
        if isinstance(route, APIRoute):
            for method in route.methods:
                yield method, route.path


def test_every_route_but_the_public_ones_asks_for_the_key(serve):
    s = serve(ScriptedModel(), api_key=KEY)
    app = s.server.config.app
    checked = 0
    for method, path in _routes(app):
        url = s.url + path.replace("{cid}", "abc").replace("{name}", "app.js")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"},
                        {"Authorization": f"Bearer {KEY}x"}):
            r = httpx.request(method, url, headers=headers, json={"question": "x"} if method == "POST" else None)
            if path in PUBLIC:
                assert r.status_code != 401, (method, path)
            else:
                assert r.status_code == 401, (method, path, headers)
                assert r.json()["error"]["code"] == "invalid_api_key"
                checked += 1
        if path not in PUBLIC:
            ok = httpx.request(method, url, headers={"Authorization": f"Bearer {KEY}"},
                               json={"question": "x"} if method == "POST" else None)
            assert ok.status_code != 401, (method, path)
    assert checked >= 4 * 8  # models, completions, info, conversations (list, new, one, delete, ask), source


@pytest.mark.parametrize("path", [
    "/api/source?doc=../../../../etc/passwd",
    "/api/source?doc=/etc/passwd",
    "/api/source?doc=%2e%2e%2f%2e%2e%2fpyproject.toml",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e",
    "/static/index.html%00.js",
    "/api/conversations/..%2f..%2fetc%2fpasswd",
    "/avatar/../../erre.toml",
])
def test_no_link_reaches_outside_the_index(serve, path):
    s = serve(ScriptedModel())
    r = httpx.get(s.url + path)
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert "root:" not in r.text and "[project]" not in r.text


def test_every_response_is_json_or_the_escaped_page(serve):
    s = serve(ScriptedModel())
    for path in ["/<script>alert(1)</script>", "/api/source?doc=<img src=x onerror=alert(1)>",
                 "/static/<b>x</b>", "/v1/<svg onload=alert(1)>"]:
        r = httpx.get(s.url + path)
        assert r.headers["content-type"].startswith("application/json"), path
        assert r.headers["x-content-type-options"] == "nosniff"  # a browser never reads it as HTML
        assert r.json()["error"]["message"]
    page = httpx.get(s.url + "/")
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"<script>[^<]", page.text)  # no inline script


def test_oversized_requests_are_refused_with_an_error_object(serve):
    s = serve(ScriptedModel())
    big = b'{"messages": [{"role": "user", "content": "' + b"a" * 1_100_000 + b'"}]}'
    r = httpx.post(s.url + "/v1/chat/completions", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "bytes" in r.json()["error"]["message"]

    def chunks():  # no Content-Length: the body streams in pieces
        for _ in range(40):
            yield b"a" * 50_000

    r = httpx.post(s.url + "/v1/chat/completions", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["message"]
    long = {"messages": [{"role": "user", "content": "perché " * 1000}]}
    r = httpx.post(s.url + "/v1/chat/completions", json=long)
    assert r.status_code == 400 and "too long" in r.json()["error"]["message"]
    assert httpx.get(s.url + "/health").status_code == 200


def test_secrets_never_reach_the_log(serve, caplog, monkeypatch):
    monkeypatch.setenv("ERRE_TEST_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    s = serve(ScriptedModel("Scrivo a mano [1]."), api_key=KEY)
    headers = {"Authorization": f"Bearer {KEY}"}
    httpx.post(s.url + "/v1/chat/completions", headers=headers,
               json={"messages": [{"role": "user", "content": "Perché scrivi ancora a mano?"}]})
    httpx.get(s.url + "/v1/models", headers={"Authorization": f"Bearer {KEY}-wrong"})
    httpx.get(s.url + f"/v1/models?key={KEY}", headers=headers)
    # what the server wrote (the test's own HTTP client logs its URLs, as any client would)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("erre", "uvicorn")))
    assert "path=/v1/chat/completions" in text and KEY not in text
    assert "Perché scrivi" not in text  # contents only with server.log_contents
