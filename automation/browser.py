"""The one place that finds and launches Chromium, makes contexts, routes a mirror and locks the network down.

The mirror contract: with a mirror URL set, every request to one of the flow's site domains (and their subdomains)
is fetched from MIRROR/<host><path>?<query> with the same method, body and headers, and the response is handed to
the page as if the real host had sent it, redirects included, so addresses and cookies stay real. Every other host
is blocked while a mirror is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import logging
import os
import re
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urljoin, urlsplit

from playwright.async_api import async_playwright
from playwright.sync_api import Browser, BrowserContext, Error as PlaywrightError, Page, Route

from automation.driver import Driver, Remote, together
from automation.errors import BrowserNotFound

log = logging.getLogger(__name__)

PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_CHROMIUM = "SUBMIT_OBJECTIONS_CHROMIUM"
MAX_REDIRECTS = 10
REDIRECT_MARK = "data-submit-objections-mirror-redirect"  # an attribute of a mirror redirect document's root


def is_site_host(host: str | None, domains: tuple[str, ...]) -> bool:
    host = (host or "").lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def mirror_address(mirror: str, real_url: str) -> str:
    parts = urlsplit(real_url)
    address = f"{mirror.rstrip('/')}/{parts.hostname}{parts.path or '/'}"
    return f"{address}?{parts.query}" if parts.query else address


def find_chromium(setting: Path | str | None = None, source: str = "setting 'chromium'",
                  bundled: Callable[[], str | None] | None = None) -> str:
    """The Chromium to drive: the setting (named `source` in an error), then $SUBMIT_OBJECTIONS_CHROMIUM,
    Playwright's own (`bundled`: a BrowserHost's, whose driver is starting anyway), then PATH. A path that is given
    but is no executable file is an error, never skipped."""
    tried: list[str] = []
    for source, candidate in ((source, setting), (f"${ENV_CHROMIUM}", os.environ.get(ENV_CHROMIUM))):
        if candidate:
            path = Path(candidate).expanduser()
            if path.is_file() and os.access(path, os.X_OK):
                return str(path)
            what = "does not exist" if not path.exists() else "is not an executable file"
            raise BrowserNotFound(f"{source} names {path}, which {what}",
                                  hint="name a Chromium or Chrome binary, or leave it out to use Playwright's own "
                                  "Chromium or one on PATH (chromium, chromium-browser, google-chrome)")
        tried.append(f"{source} (not set)")

    found = (bundled or _playwright_chromium)()
    if found:
        return found
    tried.append("Playwright's own Chromium (not installed)")

    for name in PATH_NAMES:
        found = shutil.which(name)
        if found:
            return found
    tried.append("PATH: " + ", ".join(PATH_NAMES))
    raise BrowserNotFound(
        "no Chromium found; tried " + "; ".join(tried),
        hint="install one: Debian/Ubuntu `sudo apt-get install chromium`, elsewhere `playwright install chromium`; "
        f"or point {ENV_CHROMIUM} at a Chromium or Chrome binary",
    )


def _playwright_chromium() -> str | None:
    """Playwright's own Chromium when no BrowserHost is at hand to ask (the doctor, the demo): one is started."""
    with BrowserHost() as host:
        return host.playwright_chromium()


# Google services the browser would call on its own (sign-in, autofill, updates, safe browsing lists): a run needs
# none of them, and each call would tell Google that the tool runs. They resolve to NOWHERE.
BACKGROUND_HOSTS = ("accounts.google.com", "*.googleapis.com", "*.gvt1.com", "*.gvt2.com", "clients*.google.com",
                    "www.google.com", "update.googleapis.com", "*.google-analytics.com", "*.doubleclick.net")
# Besides Playwright's own switches (background networking, component updates, field trials are off already).
# Where a name the browser should not reach resolves to: a loopback address nothing listens on. A refused
# connection stays on this machine; a failed lookup (~NOTFOUND) would make Chromium probe Google's DNS instead.
NOWHERE = "127.255.255.254"
QUIET_SWITCHES = ("--disable-sync", "--disable-domain-reliability", "--no-pings", "--dns-prefetch-disable")


def launch_args(mirror: bool) -> list[str]:
    """With a mirror every page request is answered through the route handler, so the browser resolves no name at
    all and nothing it does leaves this machine; without one, only its background calls to Google are cut off."""
    hosts = ("*",) if mirror else BACKGROUND_HOSTS
    rules = ", ".join(f"MAP {host} {NOWHERE}" for host in hosts)
    return [*QUIET_SWITCHES, f"--host-resolver-rules={rules}"]


# The same Chromium build in its headless-only form, installed beside the full browser: Debian's package
# chromium-headless-shell (/usr/lib/chromium/chromium-headless-shell, with /usr/bin/chromium-headless-shell), or the
# name Chromium's own builds give it. The full browser's headless mode runs the whole browser UI offscreen (a WebUI
# renderer of its own, extensions, GPU compositing): on this project's 2-core machines it spent about 4 s of CPU per
# account, the headless shell about 0.5 s, and it needs less memory. What a page shows is rendered by the same Blink,
# so the screenshots are the same evidence.
HEADLESS_NAMES = ("chromium-headless-shell", "headless_shell")
DEBIAN_LIBDIR = Path("/usr/lib/chromium")


def headless_twin(executable: str) -> str:
    """For a headless run: the headless shell installed beside `executable`, if there is one, else `executable`.

    Debian's /usr/bin/chromium is a launcher script for /usr/lib/chromium/chromium; its twin lives there too."""
    path = Path(executable)
    if path.name in HEADLESS_NAMES:
        return executable
    folders = [path.parent, path.resolve().parent]
    if path.resolve().parent == Path("/usr/bin") or path.resolve().parent == DEBIAN_LIBDIR:
        folders.insert(0, DEBIAN_LIBDIR)
    for folder in folders:
        for name in HEADLESS_NAMES:
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return executable


# Playwright's driver is a Node.js process per worker, the largest part of a run's memory after the browsers
# (about 90 MiB each). A young generation of 1 MiB instead of Node's default keeps it about 20 MiB smaller, for a few
# more, cheap, collections. Set once, before the first driver starts; a NODE_OPTIONS of the user's is kept.
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1"
_driver_options = threading.Lock()


def _small_driver() -> None:
    with _driver_options:
        present = os.environ.get("NODE_OPTIONS", "")
        if "--max-semi-space-size" not in present:
            os.environ["NODE_OPTIONS"] = f"{present} {DRIVER_NODE_OPTIONS}".strip()


def _launch_options(executable: str, headed: bool, mirror: bool) -> dict:
    # A Ctrl-C typed at the terminal reaches the whole foreground process group, and Playwright's driver is in ours:
    # by default it would close the browser at once, and each account would end on whatever Playwright error that
    # left. The driver itself ignores SIGINT, and Chromium runs in a process group of its own; with
    # handle_sigint=False the driver leaves the browser alone too, so that the run stops each account at its next
    # step as the README promises (SIGTERM and SIGHUP still close it).
    return {"executable_path": executable if headed else headless_twin(executable), "headless": not headed,
            "args": launch_args(mirror), "handle_sigint": False}


class BrowserHost:
    """The run's one Playwright driver and its browser, on a thread of their own (automation.driver), for every
    account at once, each in a context of its own.

    Each stage starts and returns at once, so that the driver and the browser start while the run reads its
    accounts and keyring: `start()` the driver, `launch(executable)` the browser; `browser()` waits for it. A
    browser that stopped (crashed, killed, out of memory) is replaced by a fresh one on the same driver with
    `replace`: whichever of its accounts asks first launches it, the others get that one. Headless, the browser is
    `executable`'s headless shell when one is installed beside it (see `headless_twin`)."""

    def __init__(self, headed: bool = False, mirror: bool = False):
        self.headed, self.mirror = headed, mirror
        self.options: dict | None = None
        self._lock = threading.Lock()
        self._driver: Driver | None = None
        self._playwright: Future | None = None
        self._launching: Future | None = None

    def start(self) -> "BrowserHost":
        with self._lock:
            if self._driver is None:
                _small_driver()
                self._driver = Driver()
                self._playwright = self._driver.start(lambda: async_playwright().start())
        return self

    def playwright_chromium(self) -> str | None:
        """Playwright's own Chromium, if it is installed: asked of this host's driver (no second driver)."""
        self.start()
        try:
            path = self._playwright.result().chromium.executable_path
        except PlaywrightError:
            return None
        return path if path and Path(path).is_file() else None

    def launch(self, executable: str) -> "BrowserHost":
        self.start()
        with self._lock:
            if self._launching is None:
                self.options = _launch_options(executable, self.headed, self.mirror)
                log.debug("starting %s", self.options["executable_path"])
                self._launching = self._driver.start(self._launch)
        return self

    async def _launch(self) -> Remote:
        playwright = await asyncio.wrap_future(self._playwright)
        return Remote(await playwright.chromium.launch(**self.options), self._driver)

    def browser(self) -> Remote:
        """The current browser, once it has started; the launch's error if it could not."""
        if self._launching is None:
            raise RuntimeError("BrowserHost.launch was not called")
        return self._launching.result()

    def replace(self, broken: Remote) -> Remote:
        """A fresh browser instead of `broken`, which stopped; the same fresh one for each of its accounts."""
        with self._lock:
            current = self._launching
            if current.done() and current.exception() is None and current.result() is broken:
                self._launching = self._driver.start(lambda: self._relaunch(broken))
        return self.browser()

    async def _relaunch(self, broken: Remote) -> Remote:
        with contextlib.suppress(PlaywrightError):
            await broken._target.close()
        return await self._launch()

    def close(self) -> None:
        with self._lock:
            driver, playwright, launching = self._driver, self._playwright, self._launching
            self._driver = self._playwright = self._launching = None
        if driver is None:
            return

        async def close() -> None:
            if launching is not None:
                with contextlib.suppress(Exception):
                    await (await asyncio.wrap_future(launching))._target.close()
            with contextlib.suppress(Exception):
                await (await asyncio.wrap_future(playwright)).stop()

        with contextlib.suppress(Exception):
            driver.run(close)
        driver.stop()

    def __enter__(self) -> "BrowserHost":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def launch(executable: str, headed: bool = False, mirror: bool = False) -> Iterator[Remote]:
    """One browser, started and closed around the block (the doctor's check that Chromium starts)."""
    with BrowserHost(headed=headed, mirror=mirror) as host:
        yield host.launch(executable).browser()


def new_context(browser: Browser, mirror: str | None, storage_state: dict | None = None, language: str = "en",
                country: str = "GB", domains: tuple[str, ...] = ()) -> BrowserContext:
    """A fresh context (no cookie shared with any other account), routed through the mirror when one is set: in the
    run's browser (a Remote, see automation.driver) or in a sync API's browser (the tests' own).

    `storage_state` is this account's own saved session, if any; `domains` are the site's, which the mirror serves. The browser speaks the account's language, as the
    owner's own browser would; the tool never changes the language setting of the account itself.
    """
    options = {"locale": f"{language}-{country.upper()}", "service_workers": "block",
               "viewport": {"width": 1280, "height": 900}, "storage_state": storage_state}
    remote = isinstance(browser, Remote)
    uploads: dict[str, bytes] = {}  # what remember_upload fills for this context

    def set_up(context):
        """The context's timeout and mirror route: for the run's browser a coroutine (the route), else None."""
        context.set_default_timeout(15_000)
        if mirror:
            context._submit_objections_uploads = uploads
            handler = _mirror_coroutine if remote else _mirror_handler
            return context.route("**/*", handler(mirror, domains, uploads))
        return None

    if remote:  # the run's browser: made and set up in one trip to its loop
        async def make(raw):
            context = await raw.new_context(**options)
            routed = set_up(context)
            if routed is not None:
                await routed
            return context

        return together(browser, make)
    context = browser.new_context(**options)
    set_up(context)
    return context


def remember_upload(context: BrowserContext, path: Path) -> None:
    """A file a step attached to a form in this context. Chromium hands an intercepted request's uploaded files to
    the route handler without their content, so with a mirror the handler puts these bytes back into the form the
    page sends (by the file's name); without a mirror the browser sends the file itself and nothing is kept."""
    uploads = getattr(context, "_submit_objections_uploads", None)
    if uploads is not None:
        uploads[path.name] = path.read_bytes()


def with_uploads(body: bytes | None, content_type: str, uploads: dict[str, bytes]) -> bytes | None:
    """A multipart/form-data body whose empty file parts get the bytes of the attached file of the same name."""
    found = re.search(r'boundary="?([^";\s]+)"?', content_type or "")
    if not body or not uploads or "multipart/form-data" not in (content_type or "") or not found:
        return body
    delimiter = b"--" + found.group(1).encode("latin-1")
    pieces = []
    for piece in body.split(delimiter):
        head, gap, rest = piece.partition(b"\r\n\r\n")
        name = re.search(rb'filename="([^"]*)"', head) if gap else None
        data = uploads.get(name.group(1).decode("utf-8", "replace")) if name else None
        pieces.append(head + gap + data + b"\r\n" if data is not None and rest == b"\r\n" else piece)
    return delimiter.join(pieces)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # several Set-Cookie values joined by newlines, as Playwright's fulfill expects
    body: bytes

    @property
    def location(self) -> str | None:
        return self.headers.get("location") if 300 <= self.status < 400 else None


def forward(target: str, method: str, headers: dict[str, str], body: bytes | None) -> Answer:
    """One request to the mirror, as the browser made it; redirects are returned, not followed.

    Python's own HTTP client rather than Playwright's route.fetch: route.fetch files the mirror's Set-Cookie under
    the mirror's address in the context, and would then send one site's cookies along with every other site's.
    """
    parts = urlsplit(target)
    connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(parts.hostname, parts.port, timeout=60)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = {name: value for name, value in headers.items() if not name.startswith(":") and name.lower() != "host"}
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        received: dict[str, str] = {}
        for name, value in response.getheaders():
            name = name.lower()
            if name in ("transfer-encoding", "connection", "keep-alive"):
                continue
            received[name] = f"{received[name]}\n{value}" if name in received else value
        return Answer(response.status, received, response.read())
    finally:
        connection.close()


# Resource types the mirror never fetches: audio and video. No evidence needs them (a screenshot shows a video's
# frame at best, and the forms have none), and they are the largest responses a page can ask for. Images, fonts and
# style sheets are fetched: the screenshots are evidence and must show the page as the site drew it.
NOT_FETCHED = ("media",)


@dataclass
class _Asked:
    """What the mirror needs of one intercepted request, read from the sync or the async API's Request."""

    url: str
    method: str
    headers: dict[str, str]
    body: bytes | None
    resource_type: str
    navigation: bool


@dataclass
class _Decision:
    abort: str | None = None  # Playwright's error code, or None to fulfil
    answer: dict | None = None  # route.fulfill's keyword arguments


def _decide(mirror: str, domains: tuple[str, ...], uploads: dict[str, bytes] | None, asked: _Asked) -> _Decision:
    """What to hand the page for one request: blocked, refused, or the mirror's answer (fetched here: it blocks)."""
    parts = urlsplit(asked.url)
    if asked.resource_type in NOT_FETCHED:
        return _Decision(abort="blockedbyclient")
    if parts.scheme not in ("http", "https") or not is_site_host(parts.hostname, domains):
        log.debug("blocked %s (not the site's host, mirror in use)", parts.hostname)
        return _Decision(abort="blockedbyclient")
    try:
        answer = _fetch(mirror, asked, domains, uploads)
    except OSError as error:
        log.warning("mirror did not answer for %s%s: %s", parts.hostname, parts.path, type(error).__name__)
        return _Decision(abort="connectionrefused")
    if answer is None:
        return _Decision(abort="blockedbyclient")
    if answer.location and asked.navigation:
        # Chromium follows a fulfilled redirect by itself, past this handler and straight to the real host.
        # Hand the page a document that makes the same navigation instead, so that it comes back through here.
        target = urljoin(asked.url, answer.location)
        return _Decision(answer={"status": 200, "headers": _redirect_headers(answer, target),
                                 "body": _redirect_page(target)})
    return _Decision(answer={"status": answer.status, "headers": answer.headers, "body": answer.body})


def _not_delivered(error: PlaywrightError) -> None:  # the page or its browser went away while the mirror answered
    log.debug("mirror answer not delivered: %s", (error.message or str(error)).splitlines()[0])


def _mirror_handler(mirror: str, domains: tuple[str, ...], uploads: dict[str, bytes] | None = None):
    """The route handler for a sync API's context."""
    def handle(route: Route) -> None:
        request = route.request
        try:
            asked = _Asked(request.url, request.method, request.all_headers(), request.post_data_buffer,
                           request.resource_type, request.is_navigation_request())
            decision = _decide(mirror, domains, uploads, asked)
            route.abort(decision.abort) if decision.abort else route.fulfill(**decision.answer)
        except PlaywrightError as error:
            _not_delivered(error)

    return handle


# The mirror's answers are fetched with a blocking HTTP client (see `forward`), off the Playwright loop: each
# request of each account at once on a thread of this pool, so that no account's page waits for another's.
_FETCHERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="mirror")


def _mirror_coroutine(mirror: str, domains: tuple[str, ...], uploads: dict[str, bytes] | None = None):
    """The route handler for a context of the run's browser (async API, on the driver's loop)."""
    async def handle(route) -> None:
        request = route.request
        try:
            asked = _Asked(request.url, request.method, await request.all_headers(), request.post_data_buffer,
                           request.resource_type, request.is_navigation_request())
            decision = await asyncio.get_running_loop().run_in_executor(
                _FETCHERS, _decide, mirror, domains, uploads, asked)
            await (route.abort(decision.abort) if decision.abort else route.fulfill(**decision.answer))
        except PlaywrightError as error:
            _not_delivered(error)

    return handle


def _fetch(mirror: str, request: _Asked, domains: tuple[str, ...],
           uploads: dict[str, bytes] | None = None) -> Answer | None:
    """The mirror's answer; a subresource's redirects are followed here (None if one leaves the site's hosts)."""
    url, method, body, headers = request.url, request.method, request.body, request.headers
    if uploads and body:
        completed = with_uploads(body, headers.get("content-type", ""), uploads)
        if completed is not body:
            body = completed
            headers = {name: value for name, value in headers.items() if name.lower() != "content-length"}
    answer = forward(mirror_address(mirror, url), method, headers, body)
    for _ in range(MAX_REDIRECTS):
        if not answer.location or request.navigation:
            break
        url = urljoin(url, answer.location)
        if not is_site_host(urlsplit(url).hostname, domains):
            return None
        method, body = "GET", None
        headers = {name: value for name, value in headers.items() if name.lower() not in ("content-type", "content-length")}
        answer = forward(mirror_address(mirror, url), method, headers, body)
    return answer


def _redirect_headers(answer: Answer, location: str) -> dict[str, str]:
    """The redirect's own headers (its cookies above all), for a document instead of a redirect. Its Refresh header
    makes the navigation should the document's script not run."""
    dropped = {"location", "content-length", "content-type", "content-encoding", "refresh"}
    headers = {name: value for name, value in answer.headers.items() if name not in dropped}
    return {**headers, "content-type": "text/html; charset=utf-8", "cache-control": "no-store",
            "refresh": f"0;url={location}"}


def _redirect_page(location: str) -> str:
    """A document that navigates to `location` at once; the mark on its root element tells `settle` what it is."""
    target = json.dumps(location).replace("<", "\\u003c")  # a '</script>' in the address cannot end the script
    return f"<!doctype html><html {REDIRECT_MARK}><script>location.replace({target})</script></html>"


# On one of the mirror's redirect documents the answer waits (up to a beat) for the document that replaces it: the
# evaluation then fails at the very moment the next document comes, with nothing polled meanwhile. On any other
# document it is that document's language, which the step that follows asks for anyway.
SETTLED_LANGUAGE = (f"() => {{ const root = document.documentElement; "
                    f"if (!root || root.hasAttribute('{REDIRECT_MARK}')) "
                    f"return new Promise(done => setTimeout(() => done(null), 250)); "
                    f"return root.lang || ''; }}")


def settle(page: Page, timeout: float = 15) -> str | None:
    """Waits while the page is one of the mirror's redirect documents, so that a step never races its navigation;
    the settled document's `lang` ('' without one), or None when the page never settled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            language = page.evaluate(SETTLED_LANGUAGE)
            if language is not None:
                return language
        except PlaywrightError:  # the page is between two documents, or its redirect document has just gone
            page.wait_for_timeout(10)
    return None
