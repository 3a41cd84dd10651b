"""The one loop that executes a flow's steps on a page.

It logs each step by its description (never a typed value of a secret), stops before the Send click in a
rehearsal, masks every field a secret was typed into in every screenshot, and turns whatever happens into one
`Result`. A flow reaches "confirmed" only through an explicit outcome step after the confirmation was seen: nothing
here assumes success.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import pyotp
from playwright.sync_api import Error as PlaywrightError, Locator, Page

from automation import forms, outcomes, steps as s
from automation.archive import EvidenceFolder, iso, utc_now
from automation.browser import remember_upload
from automation.countries import country_names
from automation.driver import count_all, listen
from automation.errors import FlowError
from automation.screenshots import PageCamera
from automation.tracing import Tracer
from automation.wording import Wording, primary_language

log = logging.getLogger(__name__)

POLL_MS = 250
FIND_TIMEOUT = 15  # seconds a step waits for its element to show
TOTP_PERIOD_WAIT = 35  # seconds to wait for the next TOTP code after one was refused
# What a page looks like from outside: when none of this changes for a while and nothing is loading, it has settled.
PAGE_SIGNATURE = """() => [document.readyState, location.href, document.getElementsByTagName('*').length,
    document.body ? document.body.innerText.length : 0].join('|')"""
MAIN_MESSAGE = r"""() => { const seen = [];
  for (const el of document.querySelectorAll('h1,h2,h3,[role=heading],[role=alert],[role=status],main p')) {
    const text = (el.innerText || '').replace(/\s+/g, ' ').trim();
    if (text && !seen.includes(text) && el.offsetParent !== null) seen.push(text);
    if (seen.length >= 8) break; }
  return seen.join(' | ').slice(0, 1500); }"""
# Resolves as soon as the page changes (a node, an attribute, a text), at the earliest after MIN_LOOK_MS, at the latest
# after the given time: a step that waits for the page looks again the moment there is something new to see, instead
# of on a fixed beat, and costs nothing while the page is quiet. A navigation ends it too (its document goes away).
MIN_LOOK_MS = 40
CHANGE_OR_TIMEOUT = """([ms, least]) => new Promise(resolve => {
  const started = performance.now();
  let timer;
  const done = () => { observer.disconnect(); clearTimeout(timer); resolve(); };
  const observer = new MutationObserver(() => {
    observer.disconnect(); clearTimeout(timer);
    timer = setTimeout(done, Math.max(0, least - (performance.now() - started))); });
  observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  timer = setTimeout(done, ms); })"""


def capitalised(text: str) -> str:
    """`text` to begin a sentence with: "the site asks" becomes "The site asks"; a name stays as it is."""
    return text[:1].upper() + text[1:]


def interrupted(sent: bool) -> str:
    """The reason of an account stopped by Ctrl-C, whatever it was doing then."""
    if sent:
        return ("interrupted (Ctrl-C) after Send was clicked; run again: the next run checks the site's email and "
                "page before sending anything again")
    return "interrupted (Ctrl-C) before Send: nothing was sent"


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
    wording: Wording
    language: str = "en"  # the language the account's pages are expected in; the page's own <html lang> wins
    site: str = "the site"  # whose pages these are, as the user calls them: what messages name
    rehearse: bool = False
    on_step: Callable[[str], None] = lambda description: None
    cancelled: Callable[[], bool] = lambda: False  # Ctrl-C: stop at the next step or wait
    owner_wait: float = 0  # seconds the owner gets to pass a check in a visible browser; 0 when headless
    tell_owner: Callable[[str], None] = lambda message: None
    tracer: Tracer | None = None  # --trace: paused while a typed secret is on the page
    # Waits out a navigation the previous step set off; the settled document's lang when it read it, else None.
    settle: Callable[[Page], str | None] = lambda page: None
    on_send: Callable[[str, str | None], None] = lambda stage, at: None  # "submitting" before the click, "submitted"
    clock: Callable[[], float] = time.time  # what 2FA codes are made from; tests give a clock they can move on


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
        self.secret_fields: list[Locator] = []  # where a secret was typed: masked in every screenshot
        self.camera = PageCamera(page)
        self.last_totp: str | None = None
        self.sent_at: dt.datetime | None = None
        self.secret_on_page = False
        self.typed: list[str] = []  # every secret typed, to keep out of page snapshots
        self.found_by: dict[str, str] = {}
        self.languages_seen: list[str] = []
        self.snapshots = 0
        self.in_flight = 0
        # What is known of the page's current document, asked once per document: each look costs a trip to the
        # browser, and a step asks before it acts. Counted from the navigations the browser reports, so a new
        # document (a click that loads the next page, the mirror's redirect documents) is always asked again.
        self.navigations = 0
        self._settled_after: int | None = None
        self._language_of: tuple[int, str | None] | None = None
        listen(page, {"request": self._request_started, "requestfinished": self._request_ended,
                      "requestfailed": self._request_ended, "framenavigated": self._left_page})

    def _request_started(self, request) -> None:
        self.in_flight += 1

    def _request_ended(self, request) -> None:
        self.in_flight = max(0, self.in_flight - 1)

    def say(self, key: str) -> str:
        return self.job.wording.say(key, self.job.language)

    def _left_page(self, frame) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1
            self.secret_on_page = False

    def _settle(self) -> None:
        """Waits out a navigation the previous step set off, unless the page has shown no new document since the
        last time it had settled."""
        if self._settled_after == self.navigations:
            return
        seen = self.navigations
        language = self.job.settle(self.page)
        self._settled_after = seen
        if language is not None:  # the document's own lang, told by the settle check: not asked again
            self._learn_language(seen, primary_language(language))

    # -- the loop ---------------------------------------------------------------------------------------------------

    def run(self, flow: list[s.Step]) -> Result:
        try:
            self.execute(flow)
        except FlowFinished as finished:
            return self._result(finished.status, finished.reason)
        except FlowError as error:
            if self.job.cancelled():  # e.g. a page that stopped loading when the run was interrupted
                log.info("%s: after Ctrl-C: %s", self.job.account_name, error.message)
                return self._result("interrupted", interrupted(self.sent_at is not None))
            return self._result("failed", error.message + self._snapshot_note())
        return self._result("failed", "the flow ended without recognising an outcome")

    def _result(self, status: str, reason: str) -> Result:
        if self.found_by:
            self.notes["fields_found_by"] = json.dumps(self.found_by, ensure_ascii=False)
        if self.languages_seen:
            self.notes["page_language"] = self.languages_seen[-1]
        return Result(status, reason, self.fields, self.notes)

    def _snapshot_note(self) -> str:
        """Writes page-snapshot.json and says where it is: the file a user can send when the site changed a page."""
        try:
            name = self.snapshot()
        except PlaywrightError:
            return ""
        return (f"; what the page showed is in {name} in the evidence folder (headings, links, buttons and fields by "
                "name, no values or secrets): attach it to a report so the tool can learn the new page")

    def execute(self, flow: list[s.Step]) -> None:
        for step in flow:
            self._stop_if_cancelled()
            self._settle()
            self._trace_around(step)
            # A branch's own description leads into its list of cases (the dry run prints them below it).
            description = (f"{step.purpose}: looking at what the page shows" if isinstance(step, s.Branch)
                           else step.describe(self.say))
            log.info("%s: %s", self.job.account_name, description)
            self.job.on_step(description)
            handler = getattr(self, f"_{step.kind}")
            try:
                handler(step)
            except PlaywrightError as error:
                if self.page.is_closed():  # the browser went away (crashed, killed): not this page's doing
                    raise
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
            return f"could not {step.describe(self.say)} on {where}"  # Playwright's message could echo what was typed
        first_line = (error.message or str(error)).splitlines()[0]
        return f"could not {step.describe(self.say)} on {where}: {first_line}"

    # -- finding things ---------------------------------------------------------------------------------------------

    def page_language(self) -> str | None:
        seen = self.navigations
        if self._language_of is not None and self._language_of[0] == seen:
            return self._language_of[1]
        try:
            found = primary_language(self.page.evaluate("() => document.documentElement.lang"))
        except PlaywrightError:
            return None
        self._learn_language(seen, found)
        return found

    def _learn_language(self, navigations: int, found: str | None) -> None:
        self._language_of = (navigations, found)
        if found and (not self.languages_seen or self.languages_seen[-1] != found):
            self.languages_seen.append(found)

    def _by_words(self, target: s.Target, pattern: re.Pattern) -> Locator:
        if target.role is not None:
            return self.page.get_by_role(target.role, name=pattern)
        if target.label is not None:
            return self.page.get_by_label(pattern)
        return self.page.get_by_text(pattern)

    STRUCTURE_SELECTORS = {
        "password": "input[type=password]",
        "login": "input:not([type]), input[type=text], input[type=email], input[type=tel]",
        "email": "input[type=email]",
        "select": "select",
        "textarea": "textarea",
        "code": "input[autocomplete=one-time-code], input[inputmode=numeric], input:not([type]), input[type=text], "
                "input[type=tel], input[type=number]",
        "submit": "button[type=submit], input[type=submit]",
        "file": "input[type=file]",
    }

    def _structure(self, kind: str) -> Locator:
        return self.page.locator(self.STRUCTURE_SELECTORS[kind]).filter(visible=True)

    def _by_structure(self, kind: str) -> Locator | None:
        locator = self._structure(kind)
        return locator.first if locator.count() == 1 else None

    def locate(self, target: s.Target) -> Locator | None:
        """The visible element the target means, now: the page's language first, then every language, then the
        structural fallback when it is the only one of its kind; None when nothing matches yet."""
        if target.url is not None:
            raise FlowError(f"{target.describe(self.say)} is an address, not an element")
        if target.field is not None:
            return self._by_structure(target.field)
        if target.role is not None and target.name is None:
            locator = self.page.get_by_role(target.role).filter(visible=True)
            return locator.first if locator.count() else None
        for pattern in self.job.wording.patterns(target.key, self.page_language()):
            locator = self._by_words(target, pattern).filter(visible=True)
            if locator.count():
                return locator.first
        return self._by_structure(target.fallback) if target.fallback else None

    def find(self, target: s.Target, timeout: float = FIND_TIMEOUT) -> Locator:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = self.locate(target)
            except PlaywrightError:  # the page navigated while we looked
                found = None
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise FlowError(f"could not find {target.describe(self.say)} on {self.page.url.split('?')[0]} "
                                f"within {timeout:g} s; {self.job.site} may have changed this page")
            self.look_again_soon()

    def showing(self, target: s.Target) -> bool:
        return self.showing_all([target])[0]

    def showing_all(self, targets: list[s.Target]) -> list[bool]:
        """Whether each target shows now, the page asked about all of them at once."""
        probes = [self._probe(target) for target in targets]
        counts = iter(count_all([probe for probe in probes if probe is not None and not isinstance(probe, bool)]))
        shown = []
        for target, probe in zip(targets, probes):
            if isinstance(probe, bool):
                shown.append(probe)
            elif probe is None:
                shown.append(self._located(target))
            else:
                count = next(counts)
                if isinstance(count, BaseException) and not isinstance(count, PlaywrightError):
                    raise count
                shown.append(not isinstance(count, BaseException) and count > 0)  # an error: the page navigated
        return shown

    def _probe(self, target: s.Target) -> Locator | bool | None:
        """What tells whether `target` shows: a locator that matches it, the answer itself, or None when it takes
        locating the target the way a step does."""
        if target.url is not None:
            return re.search(target.url, self.page.url, re.IGNORECASE) is not None
        if target.field is not None:  # shows: there is one at least (locating it needs it to be the only one)
            return self._structure(target.field)
        if target.key is None:
            return None
        pattern = self.job.wording.pattern(target.key)
        return False if pattern is None else self._by_words(target, pattern).filter(visible=True)

    def _located(self, target: s.Target) -> bool:
        try:
            return self.locate(target) is not None
        except PlaywrightError:  # the page navigated while we looked
            return False

    def signature(self) -> str:
        try:
            return self.page.evaluate(PAGE_SIGNATURE)
        except PlaywrightError:
            return "navigating"

    def snapshot(self) -> str:
        """page-snapshot.json: roles and names of what the page shows; no field value, cookie or secret."""
        found = self.page.evaluate(forms.SNAPSHOT_JS)
        body = json.dumps({"note": "What the page showed, without any value typed into it. Safe to share.",
                           "taken_at": iso(utc_now()), **found}, indent=2, ensure_ascii=False)
        for secret in self.typed:
            body = body.replace(secret, "[secret]")
        self.snapshots += 1
        name = "page-snapshot.json" if self.snapshots == 1 else f"page-snapshot-{self.snapshots}.json"
        self.job.evidence.save_file(name, body.encode("utf-8"))
        return name

    def look_again_soon(self) -> None:
        """Waits until the page changes or navigates, or POLL_MS at most: the beat of every step that waits for the
        page to show something."""
        self._stop_if_cancelled()
        started = time.monotonic()
        try:
            self.page.evaluate(CHANGE_OR_TIMEOUT, [POLL_MS, MIN_LOOK_MS])
        except PlaywrightError:  # the page navigated meanwhile: a new document to look at
            pass
        rest = MIN_LOOK_MS / 1000 - (time.monotonic() - started)
        if rest > 0:  # between two documents evaluate fails at once: never spin
            self.page.wait_for_timeout(rest * 1000)

    def pause(self, seconds: float) -> None:
        self._stop_if_cancelled()
        # Playwright's own wait, not time.sleep: the mirror's route handlers must keep running meanwhile.
        self.page.wait_for_timeout(seconds * 1000)

    def _stop_if_cancelled(self) -> None:
        if self.job.cancelled():
            raise FlowFinished("interrupted", interrupted(self.sent_at is not None))

    # -- the steps --------------------------------------------------------------------------------------------------

    def _goto(self, step: s.Goto) -> None:
        self.page.goto(step.url, wait_until="domcontentloaded")

    def _click(self, step: s.Click) -> None:
        if step.optional:
            deadline = time.monotonic() + step.wait
            while not self.showing(step.target):
                if time.monotonic() >= deadline:
                    log.info("%s: %s did not show; moving on", self.job.account_name, step.target.describe(self.say))
                    return
                self.look_again_soon()
        self.find(step.target).click()

    def _fill(self, step: s.Fill) -> None:
        self.find(step.target).fill(step.value)
        if step.record_as:
            self.fields[step.record_as] = step.value

    def _type_secret(self, step: s.TypeSecret) -> None:
        value = self._password() if step.secret == "password" else self._totp(step.fresh)
        self._remember_secret(value)
        self._fill_secret(step.target, value)

    def _fill_secret(self, target: s.Target, value: str) -> None:
        field_ = self.find(target)
        self.secret_fields.append(field_)
        field_.fill(value)

    def _remember_secret(self, value: str) -> None:
        self.typed.append(value)
        if self.job.tracer is not None:
            self.job.tracer.remember_secret(value)

    def _password(self) -> str:
        password = self.job.secrets.get("password")
        if password is None:
            raise FlowFinished("failed", "no password is stored for this account")
        return password

    def _totp(self, fresh: bool) -> str:
        secret = self.job.secrets.get("totp")
        if secret is None:
            code = self.job.ask_owner(f"{capitalised(self.job.site)} asks for a 2FA code and no TOTP secret is stored. "
                                      "Code")
            if not code:
                self._stop_if_cancelled()  # Ctrl-C at the prompt
                raise FlowFinished(
                    "needs_owner",
                    f"{capitalised(self.job.site)} asked for a 2FA code and no TOTP secret is stored; store it with "
                    f"`{outcomes.command('credentials', self.job.account_name)}` or run at a terminal to type the code",
                )
            return code.strip()
        totp = pyotp.TOTP(secret)
        code = totp.at(self.job.clock())
        deadline = self.job.clock() + TOTP_PERIOD_WAIT
        while fresh and code == self.last_totp and self.job.clock() < deadline:
            self.pause(1)
            code = totp.at(self.job.clock())
        self.last_totp = code
        return code

    def _fill_form(self, step: s.FillForm) -> None:
        language = self.page_language()
        controls = [forms.Control(**item) for item in self.page.evaluate(forms.INVENTORY_JS)]
        assignment = forms.assign(step, controls, self.job.wording, language)
        if assignment.problem:
            self.found_by.update(assignment.found_by)
            screenshot = self.screenshot("form-not-understood")
            raise FlowFinished("form_changed", f"{step.purpose}: {assignment.problem}. Nothing was filled or sent"
                               f" (screenshot {screenshot.name})" + self._snapshot_note())
        for wanted in step.fields:
            control = assignment.controls.get(wanted.name)
            if control is None:
                continue
            locator = self.page.locator(control.selector)
            if wanted.country:
                self.fields[wanted.name] = self._choose_country(locator, wanted.value, language, control.options)
            else:
                locator.fill(wanted.value)
                self.fields[wanted.name] = wanted.value
        self.found_by.update(assignment.found_by)

    def _choose_country(self, locator: Locator, code: str, language: str | None,
                        options: list[dict] | None = None) -> str:
        if options is None:  # not a <select>: whatever choices the control has
            options = locator.evaluate(
                "el => Array.from(el.options || []).map(o => ({label: (o.label || o.text).trim(), value: o.value}))")
        order = [lang for lang in dict.fromkeys([language, self.job.language, "en", *self.job.wording.languages]) if lang]
        for lang in order:
            wanted = {name.casefold() for name in country_names(code, lang)}
            chosen = next((o for o in options if o["label"].casefold() in wanted), None)
            if chosen:
                break
        else:
            chosen = next((o for o in options if o["value"].upper() == code.upper()), None)
        if chosen is None:
            raise FlowFinished("form_changed", f"the form's country list does not offer {country_names(code)[0]} "
                               "under any name the tool knows; nothing was sent" + self._snapshot_note())
        locator.select_option(value=chosen["value"]) if chosen["value"] else locator.select_option(label=chosen["label"])
        return chosen["label"]

    def _upload(self, step: s.Upload) -> None:
        path = Path(step.path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise FlowFinished("failed", f"the file to attach, {path}, cannot be read ({error.strerror or error}); "
                               "nothing was sent: put it back or name another in the accounts file") from None
        remember_upload(self.page.context, path)  # with a mirror, its bytes go into the form the page sends
        self._file_field(step.target).set_input_files(str(path))
        if step.record_as:
            digest = hashlib.sha256(data).hexdigest()
            self.fields[step.record_as] = f"{path.name} ({len(data)} bytes, SHA-256 {digest})"

    def _file_field(self, target: s.Target) -> Locator:
        """The file field `target` means. Sites often hide the file input itself behind a button that opens the file
        chooser, so a hidden one counts too: found by its label (the page's language first), else the page's only
        file input; never one of several."""
        deadline = time.monotonic() + FIND_TIMEOUT
        while True:
            found = self.locate(target)
            if found is None and target.key is not None:
                for pattern in self.job.wording.patterns(target.key, self.page_language()):
                    labelled = self.page.get_by_label(pattern).and_(self.page.locator("input[type=file]"))
                    if labelled.count() == 1:
                        found = labelled.first
                        break
            if found is None and self.page.locator("input[type=file]").count() == 1:
                found = self.page.locator("input[type=file]").first
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise FlowError(f"could not find {target.describe(self.say)} on {self.page.url.split('?')[0]} "
                                f"within {FIND_TIMEOUT:g} s; {self.job.site} may have changed this page")
            self.pause(POLL_MS / 1000)

    def _check(self, step: s.Check) -> None:
        self.find(step.target).check()
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
        masks = [self.page.locator("input[type=password]"), *self.secret_fields]
        png = self.camera.full_page_png(masks, grow_text_areas=True)
        return self.job.evidence.save_screenshot(name, png)

    def _submit(self, step: s.Submit) -> None:
        self.notes["form_url"] = self.page.url
        if self.job.rehearse:
            raise FlowFinished("rehearsed", "stopped before Send, as asked: nothing was sent")
        locator = self.find(step.target)
        self.job.on_send("submitting", None)  # written before the click: a crash from here on is never forgotten
        self.sent_at = utc_now()
        self.notes["sent_at"] = iso(self.sent_at)
        locator.click()
        self.job.on_send("submitted", self.notes["sent_at"])

    def _email_code(self, step: s.EmailCode) -> None:
        since = self.sent_at or utc_now()
        code = self.job.email_code(since, self.pause)
        if not code:
            self._stop_if_cancelled()  # Ctrl-C at the prompt
            raise FlowFinished(
                "needs_owner",
                f"{capitalised(self.job.site)}'s emailed code did not arrive in time; name the account's Maildir in "
                "the accounts file, or run at a terminal to type the code",
            )
        self._remember_secret(code)
        self._fill_secret(step.target, code)
        self.sent_at = utc_now()  # a code asked for again must be newer than this one

    def _expect_gone(self, step: s.ExpectGone) -> None:
        deadline = time.monotonic() + step.timeout
        while self.showing(step.target):
            if time.monotonic() >= deadline:
                raise FlowError(step.reason)
            self.look_again_soon()

    def _capture(self, step: s.Capture) -> None:
        if step.target is None:
            said = self.page.evaluate(MAIN_MESSAGE)
        else:
            pattern = self.job.wording.pattern(step.target.key)
            showing = self._by_words(step.target, pattern).filter(visible=True)
            texts = showing.all_inner_texts()
            if not any(text.strip() for text in texts):  # not on the page yet: wait for it as a step does
                self.find(step.target)
                texts = showing.all_inner_texts()
            said = " | ".join(dict.fromkeys(" ".join(t.split()) for t in texts if t.strip()))
        for secret in self.typed:
            said = said.replace(secret, "[secret]")
        self.notes[step.record_as] = " ".join(said.split())

    def _record(self, step: s.Record) -> None:
        self.notes[step.key] = step.value

    def _hand_off(self, step: s.HandOff) -> None:
        if self.job.owner_wait <= 0:
            raise FlowFinished("needs_owner", step.reason)
        minutes = self.job.owner_wait / 60
        self.job.tell_owner(f"{self.job.account_name}: {self.job.site} shows a security check that only you can "
                            f"answer. Solve it in the browser window; the run waits up to {minutes:g} min, then "
                            "carries on.")
        deadline = time.monotonic() + self.job.owner_wait
        while any(self.showing(target) for target in step.at):
            if time.monotonic() >= deadline:
                raise FlowFinished("needs_owner", f"the check was still on screen after {minutes:g} min; {step.reason}")
            self.pause(1)
        self.notes["owner_stepped_in"] = (f"{iso(utc_now())}: the owner passed {self.job.site}'s security check in "
                                          "the window")
        log.info("%s: the owner passed the check; carrying on", self.job.account_name)

    def _outcome(self, step: s.Outcome) -> None:
        # A page the flow does not understand comes with the snapshot a user can report, as a form not understood does.
        note = self._snapshot_note() if step.status == "form_changed" else ""
        raise FlowFinished(step.status, step.reason + note)

    def _case_seen(self, cases: list[s.Case], settled: bool) -> tuple[s.Case, s.Target] | None:
        """The first case the page shows now and what showed it; every case's targets asked of the page at once."""
        looking = [case for case in cases if settled or not case.settled]
        targets = [target for case in looking for target in (*case.when, *case.unless)]
        shown = iter(self.showing_all(targets))
        for case in looking:
            when = [next(shown) for _ in case.when]
            unless = [next(shown) for _ in case.unless]
            if any(when) and not any(unless):
                return case, case.when[when.index(True)]
        return None

    def _branch(self, step: s.Branch) -> None:
        started = time.monotonic()
        deadline = started + step.timeout
        last, quiet_since, settled = None, started, False
        while True:
            seen = self._case_seen(step.cases, settled)
            if seen is not None:
                case, target = seen
                log.info("%s: saw %s", self.job.account_name, target.describe(self.say))
                self.execute(case.steps)
                return
            now = time.monotonic()
            if now >= deadline or settled:
                break
            signature = self.signature()
            if signature != last:
                last, quiet_since = signature, now
            # Settled: loaded, nothing in flight, nothing changed for a while. The cases get one more look then.
            settled = (signature.startswith("complete|") and self.in_flight == 0
                       and now - quiet_since >= step.patience)
            if not settled:
                self.look_again_soon()
        if step.otherwise is not None:
            self.execute(step.otherwise)
            return
        looked_for = "; ".join(case.describe(self.say) for case in step.cases)
        waited = "once it had settled" if settled else f"within {step.timeout:g} s"
        raise FlowError(
            f"{step.purpose}: the page ({self.page.url.split('?')[0]}) showed none of the states the tool knows "
            f"{waited} (it looked for: {looked_for}); {self.job.site} may have changed this page"
        )
