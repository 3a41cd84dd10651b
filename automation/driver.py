"""One Playwright driver and one browser for a whole run, driven from as many threads as there are accounts at once.

Playwright's sync API is bound to the thread that started it, so running accounts at once with it takes a driver
and a browser per thread: the heaviest way (on two cores, four browsers starting and rendering side by side cost
more time than the accounts' waiting saved). Its async API drives any number of pages from one event loop. Here
that loop runs on a thread of its own, and `Remote` hands each account's thread the sync API's names on top of it:
`remote.goto(url)` runs `await page.goto(url)` on the loop and blocks only the thread that asked, so the steps of an
account read as they always did, while the loop serves every account's browser context at once.

What crosses to the loop: every method call that may talk to the browser. Reads of properties and the calls that only
build a Locator stay on the calling thread: they touch nothing the loop changes but the object they make. What comes
back wraps Playwright's objects again (a Locator, a Page) and passes plain values (text, bytes, dicts) as they are.
Playwright's errors come back as the same classes the sync API raises. Callbacks handed on (`page.on`,
`context.route`) run on the loop's thread and get Playwright's async objects; they must not wait for the loop
themselves (a route handler should be a coroutine).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from concurrent.futures import Future
from typing import Any, Awaitable, Callable, TypeVar

T = TypeVar("T")
ASYNC_API = "playwright.async_api"
# Calls that only describe what to look for (a new Locator of a selector), sending nothing to the browser: made on the
# calling thread. A step looks at the page through a dozen of them for each question it asks; each trip to the loop
# and back cost more than the question itself when several accounts ran at once.
LOCATOR_BUILDERS = frozenset({"locator", "get_by_role", "get_by_text", "get_by_label", "get_by_placeholder",
                              "get_by_alt_text", "get_by_title", "get_by_test_id", "filter", "and_", "or_", "nth"})


class Driver:
    """An event loop on a thread of its own, for async Playwright; `run` hands it work from any other thread."""

    def __init__(self, name: str = "playwright"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def on_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def run(self, work: Callable[[], Awaitable[T] | T]) -> T:
        """`work()` on the loop, awaited if it returns an awaitable; its result, or its exception, here."""
        if self.on_loop:  # a callback of the loop reading an attribute: nothing to wait for
            result = work()
            if inspect.isawaitable(result):
                raise RuntimeError("a callback on the Playwright loop cannot wait for the loop")
            return result

        async def call() -> T:
            result = work()
            return await result if inspect.isawaitable(result) else result

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result()

    def start(self, work: Callable[[], Awaitable[T]]) -> Future:
        """`work()` on the loop without waiting for it: a Future of its result."""
        return asyncio.run_coroutine_threadsafe(work(), self.loop)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.on_loop:
            self._thread.join(timeout=10)


def _is_playwright_object(value: Any) -> bool:
    return type(value).__module__.startswith(ASYNC_API)


def _plain(value: Any) -> Any:
    """An argument for the loop: a Remote becomes its Playwright object again, in lists and dicts too."""
    if isinstance(value, Remote):
        return value._target
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class Remote:
    """A Playwright async API object (a Browser, a Page, a Locator...) used from another thread with the sync
    API's calls."""

    __slots__ = ("_target", "_driver")

    def __init__(self, target: Any, driver: Driver):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_driver", driver)

    def _wrap(self, value: Any) -> Any:
        if _is_playwright_object(value):
            return Remote(value, self._driver)
        if isinstance(value, list) and value and all(_is_playwright_object(item) for item in value):
            return [Remote(item, self._driver) for item in value]
        return value

    def __getattr__(self, name: str) -> Any:
        target, driver = self._target, self._driver
        static = inspect.getattr_static(type(target), name, None)
        if isinstance(static, property):  # what the object holds already (an address, its page): read here
            return self._wrap(getattr(target, name))
        if not inspect.isfunction(static):
            return self._wrap(driver.run(lambda: getattr(target, name)))
        if name in LOCATOR_BUILDERS:

            def build(*args: Any, **kwargs: Any) -> Any:
                return self._wrap(getattr(target, name)(*_plain(args), **_plain(kwargs)))

            build.__name__ = name
            return build

        def call(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = _plain(args), _plain(kwargs)
            return self._wrap(driver.run(lambda: getattr(target, name)(*args, **kwargs)))

        call.__name__ = name
        return call

    def __setattr__(self, name: str, value: Any) -> None:
        self._driver.run(lambda: setattr(self._target, name, value))

    def __eq__(self, other: object) -> bool:
        return self._target == _plain(other)

    def __hash__(self) -> int:
        return hash(self._target)

    def __repr__(self) -> str:
        return f"Remote({self._target!r})"


def count_all(locators: list) -> list:
    """How many elements each locator matches, or the error the browser gave instead of a count. Remote locators are
    asked all at once (one trip to the loop, their questions to the browser side by side); others one after another."""
    if locators and all(isinstance(locator, Remote) for locator in locators):
        driver = locators[0]._driver

        async def ask() -> list:
            return await asyncio.gather(*(locator._target.count() for locator in locators), return_exceptions=True)

        return driver.run(ask)
    counts: list = []
    for locator in locators:
        try:
            counts.append(locator.count())
        except Exception as error:  # noqa: BLE001 - handed back in its place, as gather does
            counts.append(error)
    return counts


def listen(target: Any, handlers: dict[str, Callable]) -> None:
    """Each handler registered for its event on `target` (a page, a context): a Remote's all in one trip to the loop."""
    def register(on) -> None:
        for event, handler in handlers.items():
            on(event, handler)

    if isinstance(target, Remote):
        raw = target._target
        target._driver.run(lambda: register(raw.on))
    else:
        register(target.on)


def together(remote: Remote, work: Callable[[Any], Awaitable[T] | T]) -> Any:
    """`work(target)` with the remote's own Playwright object, on the loop in one trip (several calls that belong
    together, such as making a context and setting it up); what it returns, wrapped as a Remote call's result."""
    raw = remote._target

    async def run() -> Any:
        result = work(raw)
        return await result if inspect.isawaitable(result) else result

    return remote._wrap(remote._driver.run(run))
