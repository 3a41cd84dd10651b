"""The one loop that executes a flow's steps on a page.

It logs each step by its description (never a typed value of a secret), stops before the Send click in a
rehearsal, masks every field a secret was typed into in every screenshot, and turns whatever happens into one
`Result`. A flow reaches "confirmed" only through an explicit outcome step after the confirmation was seen: nothing
here assumes success.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import pyotp
from playwright.sync_api import Error as PlaywrightError, Locator, Page

from automation import steps as s
from automation.archive import EvidenceFolder, iso, utc_now
from automation.errors import FlowError
from automation.tracing import Tracer

log = logging.getLogger(__name__)

POLL_MS = 250
TOTP_PERIOD_WAIT = 35  # seconds to wait for the next TOTP code after one was refused
GROW_TEXT_AREAS = """() => { for (const area of document.querySelectorAll('textarea')) {
    area.style.height = 'auto'; area.style.height = (area.scrollHeight + 4) + 'px'; } }"""


class Secrets(Protocol):
    def get(self, kind: str) -> str | None: ...


class CodeSource(Protocol):
    def __call__(self, since: dt.datetime, pause: Callable[[float], None]) -> str | None: ...


class AskOwner(Protocol):
    def __call__(self, prompt: str) -> str | None: ...


@dataclass
class Job:
    """Everything a run of one account needs besides the page."""

    account_name: str
    secrets: Secrets
    email_code: CodeSource
    ask_owner: AskOwner
    evidence: EvidenceFolder
    rehearse: bool = False
    on_step: Callable[[str], None] = lambda description: None
    cancelled: Callable[[], bool] = lambda: False  # Ctrl-C: stop at the next step or wait
    owner_wait: float = 0  # seconds the owner gets to pass a check in a visible browser; 0 when headless
    tell_owner: Callable[[str], None] = lambda message: None
    tracer: Tracer | None = None  # --trace: paused while a typed secret is on the page
    settle: Callable[[Page], None] = lambda page: None  # waits out a navigation the previous step set off
    on_send: Callable[[str, str | None], None] = lambda stage, at: None  # "submitting" before the click, "submitted"


@dataclass
class Result:
    status: str
    reason: str
    fields: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


class FlowFinished(Exception):
    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Runner:
    def __init__(self, page: Page, job: Job):
        self.page = page
        self.job = job
        self.fields: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self.secret_targets: list[s.Target] = []
        self.last_totp: str | None = None
        self.sent_at: dt.datetime | None = None
        self.secret_on_page = False
        if job.tracer is not None:
            page.on("framenavigated", self._left_page)

    def _left_page(self, frame) -> None:
        if frame == self.page.main_frame:
            self.secret_on_page = False

    # -- the loop ---------------------------------------------------------------------------------------------------

    def run(self, flow: list[s.Step]) -> Result:
        try:
            self.execute(flow)
        except FlowFinished as finished:
            return Result(finished.status, finished.reason, self.fields, self.notes)
        except FlowError as error:
            return Result("failed", error.message, self.fields, self.notes)
        return Result("failed", "the flow ended without recognising an outcome", self.fields, self.notes)

    def execute(self, flow: list[s.Step]) -> None:
        for step in flow:
            self._stop_if_cancelled()
            self.job.settle(self.page)
            self._trace_around(step)
            description = step.describe()
            log.info("%s: %s", self.job.account_name, description)
            self.job.on_step(description)
            handler = getattr(self, f"_{step.kind}")
            try:
                handler(step)
            except PlaywrightError as error:
                raise FlowError(self._explain(step, error)) from None

    def _trace_around(self, step: s.Step) -> None:
        tracer = self.job.tracer
        if tracer is None:
            return
        if isinstance(step, (s.TypeSecret, s.EmailCode)):
            tracer.pause()
            self.secret_on_page = True
        elif not self.secret_on_page:
            tracer.resume()

    def _explain(self, step: s.Step, error: PlaywrightError) -> str:
        where = self.page.url.split("?")[0]
        if isinstance(step, (s.TypeSecret, s.EmailCode)):
            return f"could not {step.describe()} on {where}"  # Playwright's message could echo what was typed
        first_line = (error.message or str(error)).splitlines()[0]
        return f"could not {step.describe()} on {where}: {first_line}"

    # -- finding things ---------------------------------------------------------------------------------------------

    def locate(self, target: s.Target) -> Locator:
        if target.role is not None:
            options = {"name": re.compile(target.name, re.IGNORECASE)} if target.name else {}
            locator = self.page.get_by_role(target.role, **options)
        elif target.label is not None:
            locator = self.page.get_by_label(re.compile(target.label, re.IGNORECASE))
        elif target.text is not None:
            locator = self.page.get_by_text(re.compile(target.text, re.IGNORECASE))
        else:
            raise FlowError(f"{target.describe()} is an address, not an element")
        return locator.filter(visible=True).first

    def showing(self, target: s.Target) -> bool:
        if target.url is not None:
            return re.search(target.url, self.page.url, re.IGNORECASE) is not None
        try:
            return self.locate(target).count() > 0
        except PlaywrightError:  # the page navigated while we looked
            return False

    def pause(self, seconds: float) -> None:
        self._stop_if_cancelled()
        # Playwright's own wait, not time.sleep: the mirror's route handlers must keep running meanwhile.
        self.page.wait_for_timeout(seconds * 1000)

    def _stop_if_cancelled(self) -> None:
        if self.job.cancelled():
            after_send = " after Send was clicked: check the account before running again" if self.sent_at else ""
            raise FlowFinished("interrupted", f"stopped by the user{after_send}")

    # -- the steps --------------------------------------------------------------------------------------------------

    def _goto(self, step: s.Goto) -> None:
        self.page.goto(step.url, wait_until="domcontentloaded")

    def _click(self, step: s.Click) -> None:
        if step.optional:
            deadline = time.monotonic() + step.wait
            while not self.showing(step.target):
                if time.monotonic() >= deadline:
                    log.info("%s: %s did not show; moving on", self.job.account_name, step.target.describe())
                    return
                self.pause(POLL_MS / 1000)
        self.locate(step.target).click()

    def _fill(self, step: s.Fill) -> None:
        self.locate(step.target).fill(step.value)
        if step.record_as:
            self.fields[step.record_as] = step.value

    def _keep_value(self, step: s.KeepValue) -> None:
        locator = self.locate(step.target)
        value = locator.input_value()
        if not value.strip():
            locator.fill(step.value)
            value = step.value
        self.fields[step.record_as] = value

    def _type_secret(self, step: s.TypeSecret) -> None:
        value = self._password() if step.secret == "password" else self._totp(step.fresh)
        if self.job.tracer is not None:
            self.job.tracer.remember_secret(value)
        self.secret_targets.append(step.target)
        self.locate(step.target).fill(value)

    def _password(self) -> str:
        password = self.job.secrets.get("password")
        if password is None:
            raise FlowFinished("failed", "no password is stored for this account")
        return password

    def _totp(self, fresh: bool) -> str:
        secret = self.job.secrets.get("totp")
        if secret is None:
            code = self.job.ask_owner("Meta asks for a 2FA code and no TOTP secret is stored. Code")
            if not code:
                raise FlowFinished(
                    "needs_owner",
                    "Meta asked for a 2FA code and no TOTP secret is stored; store it with "
                    f"`submit-objections credentials set {self.job.account_name}` or run at a terminal to type the code",
                )
            return code.strip()
        totp = pyotp.TOTP(secret)
        code = totp.now()
        deadline = time.monotonic() + TOTP_PERIOD_WAIT
        while fresh and code == self.last_totp and time.monotonic() < deadline:
            self.pause(1)
            code = totp.now()
        self.last_totp = code
        return code

    def _select(self, step: s.Select) -> None:
        locator = self.locate(step.target)
        labels: list[str] = locator.evaluate("el => Array.from(el.options).map(o => (o.label || o.text).trim())")
        wanted = [choice.casefold() for choice in step.choices]
        chosen = next((label for choice in wanted for label in labels if label.casefold() == choice), None)
        if chosen is None:
            raise FlowError(f"{step.target.describe()} offers none of {', '.join(step.choices)}")
        locator.select_option(label=chosen)
        if step.record_as:
            self.fields[step.record_as] = chosen

    def _check(self, step: s.Check) -> None:
        self.locate(step.target).check()
        if step.record_as:
            self.fields[step.record_as] = step.record_value

    def _screenshot(self, step: s.Screenshot) -> None:
        picture = self.screenshot(step.name)
        if step.keep_page:
            evidence = self.job.evidence
            evidence.save_file(picture.with_suffix(".html").name, self.page.content().encode("utf-8"))
            try:
                evidence.save_file(picture.with_suffix(".pdf").name, self.page.pdf(print_background=True))
            except PlaywrightError:  # Chromium prints to PDF only when headless
                log.info("%s: no PDF of the page (a visible browser cannot print one)", self.job.account_name)

    def screenshot(self, name: str) -> Path:
        # Grow each text area to its content, so the whole text sent shows in the evidence, not its first lines.
        self.page.evaluate(GROW_TEXT_AREAS)
        masks = [self.page.locator("input[type=password]")] + [self.locate(t) for t in self.secret_targets]
        png = self.page.screenshot(full_page=True, mask=masks, animations="disabled")
        return self.job.evidence.save_screenshot(name, png)

    def _submit(self, step: s.Submit) -> None:
        self.notes["form_url"] = self.page.url
        if self.job.rehearse:
            raise FlowFinished("rehearsed", "stopped before Send, as asked: nothing was sent")
        locator = self.locate(step.target)
        locator.wait_for()
        self.job.on_send("submitting", None)  # written before the click: a crash from here on is never forgotten
        self.sent_at = utc_now()
        self.notes["sent_at"] = iso(self.sent_at)
        locator.click()
        self.job.on_send("submitted", self.notes["sent_at"])

    def _email_code(self, step: s.EmailCode) -> None:
        since = self.sent_at or utc_now()
        code = self.job.email_code(since, self.pause)
        if not code:
            raise FlowFinished(
                "needs_owner",
                "Meta's emailed code did not arrive in time; name the account's Maildir in the accounts file, "
                "or run at a terminal to type the code",
            )
        if self.job.tracer is not None:
            self.job.tracer.remember_secret(code)
        self.secret_targets.append(step.target)
        self.locate(step.target).fill(code)
        self.sent_at = utc_now()  # a code asked for again must be newer than this one

    def _expect_gone(self, step: s.ExpectGone) -> None:
        deadline = time.monotonic() + step.timeout
        while self.showing(step.target):
            if time.monotonic() >= deadline:
                raise FlowError(step.reason)
            self.pause(POLL_MS / 1000)

    def _capture(self, step: s.Capture) -> None:
        self.notes[step.record_as] = " ".join(self.locate(step.target).inner_text().split())

    def _record(self, step: s.Record) -> None:
        self.notes[step.key] = step.value

    def _hand_off(self, step: s.HandOff) -> None:
        if self.job.owner_wait <= 0:
            raise FlowFinished("needs_owner", step.reason)
        minutes = self.job.owner_wait / 60
        self.job.tell_owner(f"{self.job.account_name}: Meta shows a security check that only you can answer. Solve it "
                            f"in the browser window; the run waits up to {minutes:g} min, then carries on.")
        deadline = time.monotonic() + self.job.owner_wait
        while any(self.showing(target) for target in step.at):
            if time.monotonic() >= deadline:
                raise FlowFinished("needs_owner", f"the check was still on screen after {minutes:g} min; {step.reason}")
            self.pause(1)
        self.notes["owner_stepped_in"] = f"{iso(utc_now())}: the owner passed Meta's security check in the window"
        log.info("%s: the owner passed the check; carrying on", self.job.account_name)

    def _outcome(self, step: s.Outcome) -> None:
        raise FlowFinished(step.status, step.reason)

    def _branch(self, step: s.Branch) -> None:
        deadline = time.monotonic() + step.timeout
        while True:
            for case in step.cases:
                seen = next((target for target in case.when if self.showing(target)), None)
                if seen is not None:
                    log.info("%s: saw %s", self.job.account_name, seen.describe())
                    self.execute(case.steps)
                    return
            if time.monotonic() >= deadline:
                break
            self.pause(POLL_MS / 1000)
        if step.otherwise is not None:
            self.execute(step.otherwise)
            return
        looked_for = "; ".join(case.describe() for case in step.cases)
        raise FlowError(
            f"{step.purpose}: the page ({self.page.url.split('?')[0]}) showed none of the expected states within "
            f"{step.timeout:g} s (looked for: {looked_for}); Meta may have changed this page"
        )
