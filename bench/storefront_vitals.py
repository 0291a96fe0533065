"""storefront_vitals: the mall's pages as a member on a mid-range phone gets them.

The demo's `demo` mall is served by the embedded server (`flask jifen serve`, waitress:
the app serves its HTML and static files itself, no proxy in front). Headless Chromium
opens each page as a signed-in member on a Pixel 7 with a mid-range phone's limits set
through the DevTools protocol: the CPU 4x slower, 1.6 Mbit/s down, 750 kbit/s up and a
150 ms round trip. Each page is loaded `LOADS` times, each in a fresh browser context (a
cold cache, the member's session cookie only), and the median of each figure is kept:
Largest Contentful Paint, Cumulative Layout Shift (both as the browser's performance
observers report them), and the bytes transferred (the page and everything it loaded).

One line per page, for example `storefront_vitals: page=home lcp=1.62s cls=0.01
bytes=118KB`, then a summary against Core Web Vitals' "good" (LCP <= 2.5 s, CLS <= 0.1)
and the home page's first visit <= 150 KB; this benchmark is exempt from the single
`ratio=` line.
"""

from __future__ import annotations

import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.api_floor import ours_env, set_up_ours
from bench.http import REPO_ROOT, BenchError, base_env, bench_database, free_port, log

NAME = "storefront_vitals"
LOADS = 5
LCP_GOOD, CLS_GOOD, HOME_BYTES = 2.5, 0.1, 150 * 1024
# A mid-range phone on a slow network (Lighthouse's "slow 4G" figures).
CPU_SLOWDOWN = 4
DOWN_BYTES_PER_S = 1_600_000 / 8
UP_BYTES_PER_S = 750_000 / 8
LATENCY_MS = 150

# What the page reports once loaded: its LCP and CLS so far, and the bytes of it and of
# everything it fetched.
_MEASURE = """
() => new Promise(resolve => {
  let lcp = 0, cls = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) lcp = entry.renderTime || entry.loadTime;
  }).observe({type: "largest-contentful-paint", buffered: true});
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) cls += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => {
    const entries = [...performance.getEntriesByType("navigation"),
                     ...performance.getEntriesByType("resource")];
    const bytes = entries.reduce((sum, e) => sum + (e.transferSize || 0), 0);
    resolve({lcp: lcp / 1000, cls, bytes});
  }, 1000);
})
"""

_SEED = """
import json, re, subprocess, sys
out = subprocess.run(
    [sys.executable, "-m", "flask", "--app", "wsgi", "jifen", "demo"],
    capture_output=True, text=True, check=True,
).stdout
link = re.search(r"http://127\\.0\\.0\\.1:5000(/m/demo/sign-in\\?\\S+)", out)[1]
print(json.dumps({"link": link}))
"""


@dataclass(frozen=True)
class Vitals:
    page: str
    lcp: float
    cls: float
    bytes: int

    def line(self) -> str:
        return (
            f"{NAME}: page={self.page} lcp={self.lcp:.2f}s cls={self.cls:.2f}"
            f" bytes={self.bytes / 1024:.0f}KB"
        )


@dataclass(frozen=True)
class VitalsResult:
    pages: list[Vitals]

    def line(self) -> str:
        good = all(p.lcp <= LCP_GOOD and p.cls <= CLS_GOOD for p in self.pages)
        home = next(p for p in self.pages if p.page == "home")
        verdict = "good" if good and home.bytes <= HOME_BYTES else "NOT GOOD"
        summary = (
            f"{NAME}: {verdict} (targets: lcp<={LCP_GOOD}s cls<={CLS_GOOD}"
            f" home bytes<={HOME_BYTES // 1024}KB)"
        )
        return "\n".join([*(p.line() for p in self.pages), summary])


def run(db: str) -> VitalsResult:
    from playwright.sync_api import sync_playwright

    from jifen.testing.browser import find_chromium, launch

    chromium = find_chromium()
    if chromium is None:
        raise BenchError("no Chromium installed (Debian's chromium, or JIFEN_CHROMIUM)")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        with bench_database(db, workdir) as database:
            env = ours_env(database, workdir)
            link = set_up_ours(env, _SEED)["link"]
            with served(env, workdir) as base, sync_playwright() as playwright:
                browser = launch(playwright, chromium)
                state = _signed_in(browser, playwright, base + link)
                product = _first_product(browser, playwright, state, base)
                pages = {
                    "home": "/m/demo/",
                    "product": product,
                    "account": "/m/demo/account",
                    "history": "/m/demo/account/history",
                }
                measured = [
                    _median(
                        name, [_load(browser, playwright, state, base + path) for _ in range(LOADS)]
                    )
                    for name, path in pages.items()
                ]
                browser.close()
    return VitalsResult(measured)


@contextlib.contextmanager
def served(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """The embedded server (`flask jifen serve`) on a free port: its base URL."""
    port = free_port()
    log_file = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jifen", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env={**base_env(), **env},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("the embedded server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log_file.close()


def _phone(browser: Any, playwright: Any, state: Any = None) -> Any:
    from jifen.testing.browser import PHONE

    device = {k: v for k, v in playwright.devices[PHONE].items() if k != "default_browser_type"}
    return browser.new_context(**device, locale="zh-CN", storage_state=state)


def _signed_in(browser: Any, playwright: Any, link: str) -> Any:
    context = _phone(browser, playwright)
    page = context.new_page()
    page.goto(link)
    if "/sign-in" in page.url:
        raise BenchError("the demo's sign-in link did not sign the member in")
    state = context.storage_state()
    context.close()
    return state


def _first_product(browser: Any, playwright: Any, state: Any, base: str) -> str:
    context = _phone(browser, playwright, state)
    page = context.new_page()
    page.goto(f"{base}/m/demo/")
    href: str = page.locator(".card a").first.get_attribute("href") or ""
    context.close()
    if not re.fullmatch(r"/m/demo/shop/[0-9a-f-]{36}", href):
        raise BenchError("the demo's home page shows no product")
    return href


def _load(browser: Any, playwright: Any, state: Any, url: str) -> Vitals:
    """One cold load of `url` as on a mid-range phone."""
    context = _phone(browser, playwright, state)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": LATENCY_MS,
            "downloadThroughput": DOWN_BYTES_PER_S,
            "uploadThroughput": UP_BYTES_PER_S,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    answer = page.goto(url, wait_until="load")
    if answer is None or answer.status != 200:
        raise BenchError(f"{url} answered {answer.status if answer else 'nothing'}")
    measured = page.evaluate(_MEASURE)
    context.close()
    return Vitals("", float(measured["lcp"]), float(measured["cls"]), int(measured["bytes"]))


def _median(name: str, loads: list[Vitals]) -> Vitals:
    log(f"{name}: " + ", ".join(f"lcp={v.lcp:.2f}s bytes={v.bytes}" for v in loads))
    return Vitals(
        name,
        statistics.median(v.lcp for v in loads),
        statistics.median(v.cls for v in loads),
        int(statistics.median(v.bytes for v in loads)),
    )
