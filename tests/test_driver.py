"""The run's one Playwright driver, used from the accounts' threads (automation/driver.py), in a real Chromium."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Error as PlaywrightError

from automation.browser import BrowserHost
from automation.driver import Remote, count_all, listen, together

FORM = """<html lang="de"><body><label for="e">E-Mail-Adresse</label><input id="e">
    <button>Senden</button><button hidden>Senden</button><a href="#">Dein Profil</a></body></html>"""


@pytest.fixture(scope="module")
def remote_page(chromium_path):
    with BrowserHost() as host:
        context = host.launch(chromium_path).browser().new_context()
        page = context.new_page()
        page.set_content(FORM)
        yield page
        context.close()


def test_counts_asked_at_once_come_back_in_order_with_an_error_in_place(remote_page):
    locators = [remote_page.locator("button"),
                remote_page.get_by_role("button", name=re.compile("senden", re.I)).filter(visible=True),
                remote_page.locator("!!not a selector"),
                remote_page.get_by_label(re.compile("e-mail", re.I))]
    counts = count_all(locators)
    assert counts[0] == 2 and counts[1] == 1 and counts[3] == 1
    assert isinstance(counts[2], PlaywrightError)


def test_accounts_threads_drive_their_pages_through_the_one_loop_at_once(remote_page):
    """Several threads at once, each building locators and asking the page, as the workers of a run do."""
    answers: list[tuple[str, str]] = []

    def worker() -> None:
        field = remote_page.get_by_label(re.compile("e-mail", re.I)).filter(visible=True).first
        answers.append((field.get_attribute("id"), remote_page.url))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [("e", "about:blank")] * 4


def test_calls_that_belong_together_go_in_one_trip_and_their_handlers_fire(chromium_path):
    """A context made and set up in one trip (`together`) is a Remote like any other, and handlers registered in one
    trip (`listen`) hear the page's own events."""
    heard: list[str] = []
    with BrowserHost() as host:
        browser = host.launch(chromium_path).browser()

        async def make(raw):
            context = await raw.new_context(locale="de-DE")
            context.set_default_timeout(5_000)
            return context

        context = together(browser, make)
        assert isinstance(context, Remote)
        page = context.new_page()
        listen(page, {"framenavigated": lambda frame: heard.append(frame.url),
                      "console": lambda message: heard.append(message.text)})
        page.goto("data:text/html,<script>console.log(navigator.language)</script>")
        for _ in range(50):  # the console event may come a moment after the page has loaded
            if "de-DE" in heard:
                break
            page.wait_for_timeout(100)
        context.close()
    assert heard[0].startswith("data:text/html") and "de-DE" in heard
