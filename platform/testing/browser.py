"""Pages in a real browser, for tests (ours and theme authors'): the installed Chromium
driven by playwright, the app served on a loopback port, and what a person would check
on a page (that it fits a phone's width, what axe-core finds).

The browser is the system's Chromium (Debian's `chromium` package, or
`JIFEN_CHROMIUM` naming another binary), never one playwright downloads. Chinese is
drawn with the CJK font a Debian package installs (`fonts-noto-cjk`); without one it
comes out as empty boxes. Pages are opened as on a mid-range phone (`PHONE`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright
from werkzeug.serving import make_server

# Flags for a browser with no screen, no GPU and no network of its own, run as root.
ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking")
NAMES = ("chromium", "chromium-browser", "google-chrome")

# A phone as playwright describes a Pixel 7 (a 412 x 839 viewport at 2.625 device pixels,
# touch, Chrome for Android's user agent).
PHONE = "Pixel 7"

# The impacts axe-core rates that a page must not have.
BLOCKING = ("serious", "critical")


def find_chromium() -> str | None:
    """The Chromium binary to drive: `JIFEN_CHROMIUM`, else the first of `NAMES` on the
    PATH; None when there is none."""
    named = os.environ.get("JIFEN_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def launch(playwright: Playwright, executable: str) -> Browser:
    """The installed Chromium, headless."""
    return playwright.chromium.launch(executable_path=executable, args=list(ARGS))


def phone_page(browser: Browser, playwright: Playwright, locale: str) -> Page:
    """A new page as on a phone whose language is `locale` (`zh-CN`, `en-US`): the
    browser sends it as `Accept-Language`."""
    device = {k: v for k, v in playwright.devices[PHONE].items() if k != "default_browser_type"}
    context = browser.new_context(**device, locale=locale)
    return context.new_page()


def desk_page(browser: Browser, locale: str) -> Page:
    """A new page as on a laptop's screen (1280 x 800) whose language is `locale`: where
    merchants' staff mostly work in the console."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    return context.new_page()


@contextlib.contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app answering on a free loopback port, in threads of this process, for as
    long as the block runs: yields its base URL (`http://127.0.0.1:<port>`)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its viewport: a phone user scrolls
    sideways for anything above 0."""
    page.wait_for_load_state()  # a click that navigates returns once the page commits
    width: int = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """What axe-core finds on the page that is serious or critical: each violation's
    rule id, impact, help text and the elements concerned."""
    page.wait_for_load_state()
    found = Axe().run(page).response["violations"]
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]],
        }
        for violation in found
        if violation["impact"] in BLOCKING
    ]
