"""Browser tests: the app served on a loopback port, opened in the installed Chromium as
on a phone, in Chinese and in English. Each page a test looks at is also saved as a
screenshot under build/screenshots/, to be looked at as a person would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright

from jifen.testing import browser as browsers

# The languages a phone may ask for, and the name each gives its screenshots.
LANGUAGES = {"zh-CN": "zh", "en-US": "en"}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app, answering on a loopback port: its base URL."""
    with browsers.served(app) as url:
        yield url


@pytest.fixture(params=sorted(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    """The phone's language (`Accept-Language`)."""
    language: str = request.param
    return language


@pytest.fixture
def phone(browser: Browser, playwright: Playwright, language: str) -> Iterator[Page]:
    """A page as on a phone in `language`."""
    page = browsers.phone_page(browser, playwright, language)
    yield page
    page.context.close()


@pytest.fixture
def desk(browser: Browser, language: str) -> Iterator[Page]:
    """A page as on a laptop in `language`: the console's staff mostly work there."""
    page = browsers.desk_page(browser, language)
    yield page
    page.context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, language: str) -> Callable[..., Path]:
    """Saves the page's screenshot, full length, as build/screenshots/<name>-<lang>.png;
    with `phone=True`, also what the phone's screen shows, at its CSS size, under
    build/screenshots/readme/ (`make screenshots` copies those into the README)."""
    folder = request.config.rootpath / "build" / "screenshots"

    def save(page: Page, name: str, *, phone: bool = False) -> Path:
        (folder / "readme").mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{LANGUAGES[language]}.png"
        page.wait_for_load_state()  # a click that navigates returns once the page commits
        page.screenshot(path=path, full_page=True)
        if phone:
            page.screenshot(path=folder / "readme" / path.name, scale="css")
        return path

    return save
