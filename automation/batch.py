"""Runs many accounts: one after another by default, or up to N at once, each in a fresh browser context.

One Playwright driver and one browser serve the whole run (automation.browser.BrowserHost: headless, the light
headless shell when it is installed; it starts while the accounts are read), each account in a browser context of
its own. Each worker thread takes the next account from a queue and drives its pages through the host, with a short,
irregular pause between accounts as a person would take. One account's failure never stops the others; a browser
that crashes takes only the accounts it was running with it, each tried once more in a fresh browser, which the
next accounts use too. Ctrl-C sets a flag every runner checks before each step: the accounts in progress end as
"interrupted" with their receipts written, and the ones not started are reported as such.

Questions for the person at the terminal (a 2FA code, an emailed code) are asked here on the main thread, one at a
time, for whichever worker needs one: Python delivers Ctrl-C to the main thread only, so a Ctrl-C typed at a prompt
ends the prompt (and the terminal gets its echo back) instead of leaving a worker blocked on the terminal.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from dataclasses import dataclass, field, replace
from typing import Protocol

from playwright.sync_api import Error as PlaywrightError

from automation.browser import BrowserHost
from automation.driver import Remote
from automation.credentials import Keyring
from automation.jobs import AccountReport, Plan, RunOptions, SharedLogin, run_account

log = logging.getLogger(__name__)

NOT_STARTED = "not started: the run was interrupted (Ctrl-C)"
LEFT_AT_ONCE = ("interrupted (Ctrl-C twice): left at once, in the middle of the account; the next run keeps what "
                "this one captured and checks the site's email and page before sending anything")

CRASHED_TWICE = ("the browser stopped under this account twice (it crashed, or ran out of memory); run again for this "
                 "account (nothing is filed twice), with fewer accounts at once (--concurrency)")


def _alive(browser: Remote) -> bool:
    """Whether the browser still answers: a crashed one is no longer connected, or fails at once."""
    if not browser.is_connected():
        return False
    try:
        browser.new_context().close()
    except PlaywrightError:
        return False
    return True


class Progress(Protocol):
    def account_started(self, name: str) -> None: ...
    def step(self, name: str, description: str) -> None: ...
    def account_finished(self, report: AccountReport) -> None: ...


@dataclass
class _Question:
    """A worker's question for the person at the terminal; None is the answer when nobody answers."""

    prompt: str
    answer: str | None = None
    answered: threading.Event = field(default_factory=threading.Event)

    def reply(self, answer: str | None) -> None:
        if not self.answered.is_set():
            self.answer = answer
            self.answered.set()


@dataclass
class BatchSettings:
    concurrency: int = 1
    pause: float = 5.0  # the longest pause between two accounts of one worker, in seconds; 0 for none


class Batch:
    def __init__(self, plans: list[Plan], keyring: Keyring, options: RunOptions, settings: BatchSettings,
                 progress: Progress, host: BrowserHost):
        """`host` has been told which browser to launch; the caller closes it (unless the run was abandoned)."""
        self.plans = plans
        self.keyring = keyring
        self.settings = settings
        self.progress = progress
        self.cancel = threading.Event()
        self._ask = options.ask  # asks at the terminal; called on the main thread only
        self.options = replace(options, cancelled=self.cancel.is_set, ask=self._ask_from_worker,
                               on_step=lambda name, description: progress.step(name, description))
        self.reports: dict[tuple[str, str], AccountReport] = {}  # by account and flow
        self.browser_problem: str | None = None
        self.abandoned = False  # a second Ctrl-C left workers running
        self._queue: queue.Queue[list[Plan]] = queue.Queue()  # one item per account: its requests, in order
        self._questions: queue.Queue[_Question] = queue.Queue()
        self._asking: _Question | None = None
        self._running: set[tuple[str, str]] = set()  # account and flow
        self._lock = threading.Lock()
        self.host = host

    def run(self) -> list[AccountReport]:
        accounts: dict[str, list[Plan]] = {}
        for plan in self.plans:
            accounts.setdefault(plan.account.name, []).append(plan)
        for requests in accounts.values():
            self._queue.put(requests)
        finished = [threading.Event() for _ in range(max(1, min(self.settings.concurrency, len(accounts))))]
        for event in finished:
            threading.Thread(target=self._work, args=(event,), name="worker", daemon=True).start()
        try:
            self._serve(finished)
        except KeyboardInterrupt:
            self.cancel.set()
            if self._asking is not None:
                self._asking.reply(None)
            log.warning("interrupted: stopping each account at its next step (Ctrl-C again to leave at once)")
            try:
                self._serve(finished)
            except KeyboardInterrupt:
                self.abandoned = True  # workers still run: the caller must leave with os._exit
        with self._lock:
            return [self.reports.get((plan.account.name, plan.flow)) or self._not_run(plan) for plan in self.plans]

    def _serve(self, finished: list[threading.Event]) -> None:
        """Until every worker is done, asks their questions at the terminal; after Ctrl-C answers each with None."""
        # Event.is_set, not Thread.join: a join cut short by Ctrl-C can leave a live thread looking finished.
        while not all(event.is_set() for event in finished):
            try:
                question = self._questions.get(timeout=0.2)
            except queue.Empty:
                continue
            if self.cancel.is_set():
                question.reply(None)
                continue
            self._asking = question
            question.reply(self._ask(question.prompt))
            self._asking = None

    def _ask_from_worker(self, prompt: str) -> str | None:
        if self.cancel.is_set():
            return None
        question = _Question(prompt)
        self._questions.put(question)
        question.answered.wait()
        return question.answer

    def _not_run(self, plan: Plan) -> AccountReport:
        if (plan.account.name, plan.flow) in self._running:
            status, reason = "interrupted", LEFT_AT_ONCE
        elif self.cancel.is_set():
            status, reason = "interrupted", NOT_STARTED
        else:
            status, reason = "failed", f"the browser did not start: {self.browser_problem or 'unknown reason'}"
        return AccountReport(plan.account.name, plan.account.platform, status, reason, flow=plan.flow)

    def _work(self, finished: threading.Event) -> None:
        """One worker: for each account it takes, the account's requests with one login, in the run's browser.

        A browser that crashes takes the accounts it was running with it: each one's requests not finished yet are
        tried once more in a fresh browser (the first worker to find it gone launches it, the others use that one),
        and the workers go on with the next accounts in it."""
        retried: set[str] = set()  # accounts tried again after a crash
        requests = self._next_account(first=True)
        try:
            browser = self.host.browser() if requests is not None else None
            while requests is not None:
                left = self._run_requests(browser, requests)
                name = requests[0].account.name
                if left:
                    browser = self.host.replace(browser)
                if left and name not in retried:
                    retried.add(name)
                    log.warning("%s: the browser stopped under this account; trying it once more in a fresh "
                                "browser", name)
                    requests = left
                    continue  # the same account, in the new browser
                for plan in left:
                    self._finish(plan, AccountReport(plan.account.name, plan.account.platform, "failed",
                                                     CRASHED_TWICE, flow=plan.flow))
                requests = self._next_account(first=False)
        except Exception as error:  # noqa: BLE001 - Chromium would not start: say so per account
            self.browser_problem = str(error).splitlines()[0]
            log.debug("worker stopped", exc_info=True)
            if requests is not None:
                self._queue.put(requests)  # reported with the browser's problem
        finally:
            finished.set()

    def _next_account(self, first: bool) -> list[Plan] | None:
        """The next account's requests for this worker, after a person's pause unless it is the worker's first; None
        when there is none left or Ctrl-C came."""
        if self.cancel.is_set():
            return None
        try:
            requests = self._queue.get_nowait()
        except queue.Empty:
            return None
        if not first and self._pause(requests[0]):
            self._queue.put(requests)
            return None
        return requests

    def _run_requests(self, browser: Remote, requests: list[Plan]) -> list[Plan]:
        """The account's requests, with one login; returns those a crash of the browser left unfinished."""
        with SharedLogin() as login:  # one login serves all of the account's requests
            for index, plan in enumerate(requests):
                if self.cancel.is_set():
                    break
                report = self._run_one(browser, plan, login)
                if report is None:
                    return requests[index:]
                self._finish(plan, report)
        return []

    def _run_one(self, browser: Remote, plan: Plan, login: SharedLogin) -> AccountReport | None:
        """The request's report; None when the browser crashed under it (nothing it did is lost: its evidence
        folder keeps what was captured, and the ledger what was sent)."""
        with self._lock:
            self._running.add((plan.account.name, plan.flow))
        self.progress.account_started(plan.account.name)
        try:
            report = run_account(browser, plan, self.keyring, self.options, login)
        except PlaywrightError:
            if _alive(browser):
                raise
            return None
        if report.status == "failed" and not self.cancel.is_set() and not _alive(browser):
            return None
        return report

    def _finish(self, plan: Plan, report: AccountReport) -> None:
        with self._lock:
            self.reports[(plan.account.name, plan.flow)] = report
            self._running.discard((plan.account.name, plan.flow))
        self.progress.account_finished(report)

    def _pause(self, plan: Plan) -> bool:
        """A person's irregular pause before the next account, shown as its step; True when Ctrl-C came meanwhile."""
        if self.settings.pause <= 0:
            return self.cancel.is_set()
        seconds = random.uniform(0.4, 1.0) * self.settings.pause
        self.progress.step(plan.account.name, f"pausing {seconds:.1f} s before this account, as a person would")
        return self.cancel.wait(seconds)
