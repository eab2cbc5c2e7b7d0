"""A screenshot of the web chat answering with citations: erre serve on a real twin (its
configured model), Debian's Chromium driven by Playwright asks a question and waits for the
answer and its sources.

    python bench/screenshot.py --home /tmp/ddbit "Che cos'è la NIS2?" docs/img/web-chat.png
"""

from __future__ import annotations

import argparse
import shutil
import threading
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("question")
    ap.add_argument("out")
    ap.add_argument("--home", required=True)
    ap.add_argument("--locale", default="it-IT")
    args = ap.parse_args()

    import uvicorn
    from playwright.sync_api import sync_playwright

    from erre import server
    from erre.twin import Twin

    twin = Twin.open(args.home)
    twin.model
    srv = uvicorn.Server(uvicorn.Config(server.create_app(twin), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        page = browser.new_context(locale=args.locale, viewport={"width": 1100, "height": 760}).new_page()
        page.goto(url)
        page.fill("#question", args.question)
        t0 = time.perf_counter()
        page.press("#question", "Enter")
        page.locator(".msg.assistant .body").wait_for(state="attached")
        # polled from here: the page's Content-Security-Policy forbids Playwright's in-page eval
        while not page.evaluate("document.querySelector('.msg.assistant .body').textContent.length > 0"):
            time.sleep(0.05)
        first = time.perf_counter() - t0
        page.locator(".msg.assistant .tools").wait_for(timeout=300_000)
        print(f"first text in the page after {first:.1f} s, answer complete after {time.perf_counter() - t0:.1f} s")
        page.screenshot(path=args.out)
        browser.close()
    srv.should_exit = True


if __name__ == "__main__":
    main()
