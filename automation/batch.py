"""Runs many accounts: one after another by default, or up to N at once, each in a fresh browser context.

Each worker thread owns one Playwright and one Chromium (Playwright's sync API is bound to its thread) and takes the
next account from a queue, with a short, irregular pause between accounts as a person would take. One account's
failure never stops the others. Ctrl-C sets a flag every runner checks before each step: the accounts in progress
end as "interrupted" with their receipts written, and the ones not started are reported as such.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from dataclasses import dataclass, replace
from typing import Protocol

from automation.browser import launch
from automation.credentials import Keyring
from automation.jobs import AccountReport, Plan, RunOptions, run_account

log = logging.getLogger(__name__)


class Progress(Protocol):
    def account_started(self, name: str) -> None: ...
    def step(self, name: str, description: str) -> None: ...
    def account_finished(self, report: AccountReport) -> None: ...


@dataclass
class BatchSettings:
    executable: str
    headed: bool = False
    concurrency: int = 1
    pause: float = 5.0  # the longest pause between two accounts of one worker, in seconds; 0 for none


class Batch:
    def __init__(self, plans: list[Plan], keyring: Keyring, options: RunOptions, settings: BatchSettings,
                 progress: Progress):
        self.plans = plans
        self.keyring = keyring
        self.settings = settings
        self.progress = progress
        self.cancel = threading.Event()
        self.options = replace(options, cancelled=self.cancel.is_set,
                               on_step=lambda name, description: progress.step(name, description))
        self.reports: dict[str, AccountReport] = {}
        self.browser_problem: str | None = None
        self.abandoned = False  # a second Ctrl-C left workers running
        self._queue: queue.Queue[Plan] = queue.Queue()
        self._lock = threading.Lock()

    def run(self) -> list[AccountReport]:
        for plan in self.plans:
            self._queue.put(plan)
        finished = [threading.Event() for _ in range(max(1, min(self.settings.concurrency, len(self.plans))))]
        for event in finished:
            threading.Thread(target=self._work, args=(event,), name="worker", daemon=True).start()
        try:
            self._wait_for(finished)
        except KeyboardInterrupt:
            self.cancel.set()
            log.warning("interrupted: stopping each account at its next step (Ctrl-C again to leave at once)")
            try:
                self._wait_for(finished)
            except KeyboardInterrupt:
                self.abandoned = True  # workers still run: the caller must leave with os._exit
        return [self.reports.get(plan.account.name) or self._not_run(plan) for plan in self.plans]

    @staticmethod
    def _wait_for(finished: list[threading.Event]) -> None:
        # Event.wait, not Thread.join: a join cut short by Ctrl-C can leave a live thread looking finished.
        for event in finished:
            while not event.wait(0.2):
                pass

    def _not_run(self, plan: Plan) -> AccountReport:
        if self.cancel.is_set():
            status, reason = "interrupted", "not started: the run was interrupted"
        else:
            status, reason = "failed", f"the browser did not start: {self.browser_problem or 'unknown reason'}"
        return AccountReport(plan.account.name, plan.account.platform, status, reason)

    def _work(self, finished: threading.Event) -> None:
        try:
            with launch(self.settings.executable, headed=self.settings.headed, mirror=self.options.mirror is not None) as browser:
                first = True
                while not self.cancel.is_set():
                    try:
                        plan = self._queue.get_nowait()
                    except queue.Empty:
                        return
                    if not first and self._pause():
                        self._queue.put(plan)
                        return
                    first = False
                    self.progress.account_started(plan.account.name)
                    report = run_account(browser, plan, self.keyring, self.options)
                    with self._lock:
                        self.reports[plan.account.name] = report
                    self.progress.account_finished(report)
        except Exception as error:  # noqa: BLE001 - Chromium would not start or died: say so per account
            self.browser_problem = str(error).splitlines()[0]
            log.debug("worker stopped", exc_info=True)
        finally:
            finished.set()

    def _pause(self) -> bool:
        """A person's irregular pause between two accounts; True when Ctrl-C came meanwhile."""
        if self.settings.pause <= 0:
            return self.cancel.is_set()
        return self.cancel.wait(random.uniform(0.4, 1.0) * self.settings.pause)
