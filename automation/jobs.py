"""Runs one account's flow: plan its steps, check its secrets exist, walk the flow in a fresh browser context, archive.

Knows no site: the flow's steps, the site's name and the domains its emails come from arrive with the plan, as data.
Every account ends in an `AccountReport`, whatever happens, so that a run over several accounts goes on past one
account's failure.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from playwright.sync_api import Error as PlaywrightError

from automation import __version__, mailcodes, outcomes
from automation.mailsource import mail_source, mail_source_name
from automation.archive import EvidenceFolder, LegacyFlow, belongs_to, iso, submission_name, utc_now, write_private
from automation.chain import manifests_in, seal
from automation.browser import new_context, settle
from automation.driver import Remote
from automation.config import Account
from automation.credentials import Keyring
from automation.errors import ExpectedError
from automation.ledger import COVERED_NOTE, Entry, Ledger
from automation.plan import Plan, SiteMail
from automation.runner import FlowFinished, Job, Result, Runner, interrupted
from automation.sessions import SessionStore
from automation.tracing import Tracer

log = logging.getLogger(__name__)

# The receipt's key for the verdict of the site's email (older receipts named it after the site: see
# exporting.site_answer, which reads both).
ANSWER_KEY = "site_answer"

# Outcomes that come with their own evidence of the page; the others get a final screenshot.
OWN_EVIDENCE = ("confirmed", "submitted", "done", "rehearsed", "interrupted", "already_objected", "already_done",
                "form_changed")


@dataclass
class AccountReport:
    account: str
    platform: str
    status: str
    reason: str
    evidence: Path | None = None
    details: dict[str, str] = field(default_factory=dict)
    screenshot: Path | None = None  # the page as it was when the account stopped short of a confirmation
    flow: str = ""  # the id of the flow the request was filed with (with the account, what the row is about)


@dataclass
class RunOptions:
    archive: Path
    mirror: str | None = None
    rehearse: bool = False
    code_wait_seconds: float = 180
    ask: Callable[[str], str | None] = lambda prompt: None  # asks the person at the terminal, if there is one
    at_terminal: bool = False  # whether `ask` reaches a person (else it always answers None)
    on_step: Callable[[str, str], None] = lambda account, description: None
    cancelled: Callable[[], bool] = lambda: False
    sessions: SessionStore | None = None  # None: neither load nor save sessions
    fresh_login: bool = False  # ignore a saved session (it is replaced after the login)
    owner_wait: float = 0  # with a visible browser: how long the owner gets to pass a security check
    tell_owner: Callable[[str], None] = lambda message: None
    trace: Path | None = None  # record a scrubbed Playwright trace per account in this folder
    ledger: Ledger | None = None  # None: no ledger (tests of parts); the CLI always keeps one
    # platform -> the flow whose runs the archive's older folders (no flow in their name) were; None: no such flow
    legacy_flow: LegacyFlow | None = None
    run_started: str | None = None  # when the run began (ISO, UTC): a request settled since then is not filed


class KeyringSecrets:
    """Reads an account's secrets from the keyring only when a step asks for them."""

    def __init__(self, keyring: Keyring, account: str):
        self._keyring = keyring
        self._account = account

    def get(self, kind: str) -> str | None:
        return self._keyring.get(self._account, kind)


def missing_password(keyring: Keyring, plan: Plan) -> AccountReport | None:
    account = plan.account
    if keyring.exists(account.name, "password"):
        return None
    return AccountReport(
        account.name, account.platform, "failed",
        f"no password stored; run `submit-objections credentials set {account.name}`", flow=plan.flow,
    )


def ask_at_terminal(options: RunOptions, account: Account) -> Callable[[str], str | None]:
    return lambda prompt: options.ask(f"{account.name}: {prompt}")


def code_source(options: RunOptions, account: Account, keyring: Keyring, mail: SiteMail):
    def wait(since: dt.datetime, pause: Callable[[float], None]) -> str | None:
        source = mail_source(account, keyring, mail.senders)
        if source is not None:
            log.info("%s: waiting up to %g s for %s's code, %s", account.name, options.code_wait_seconds, mail.site,
                     mail_source_name(account))
            code = source.wait_for_code(since, options.code_wait_seconds, pause)
            if code:
                return code
        code = ask_at_terminal(options, account)(f"the 6-digit code {mail.site} emailed to {account.email}")
        if code or options.cancelled():  # after Ctrl-C the runner stops the account as interrupted
            return code
        raise FlowFinished("needs_owner", no_code(account, options, looked=source is not None))

    return wait


def no_code(account: Account, options: RunOptions, looked: bool) -> str:
    """Why the emailed code was not typed, and what the owner does about it, for the situation the run was in."""
    if looked:
        box = account.mailbox
        where = f"the mailbox {box.user} at {box.host}" if box is not None else f"the Maildir {account.maildir}"
        said = f"the emailed code did not arrive in {where} within {options.code_wait_seconds:g} s"
        if options.at_terminal:
            return (f"{said}, and none was typed when asked; run again (nothing is filed twice) and give it more time "
                    "with --code-wait, or type the code when asked")
        return (f"{said}; run again (nothing is filed twice) and give it more time with --code-wait, or run at a "
                "terminal to type the code")
    if options.at_terminal:
        return ("no emailed code was typed when asked, and the account has no maildir or [accounts.mailbox] to read "
                "it from; run again (nothing is filed twice) and type the code when asked, or name its Maildir or "
                "mailbox in the accounts file")
    return ("the account has no maildir or [accounts.mailbox] to read the emailed code from, and the run was not at "
            "a terminal to ask for it; name its Maildir or mailbox in the accounts file, or run at a terminal to type "
            "the code")


# How a request was signed in when an earlier request of the same account in this run had logged in already.
REUSED_LOGIN = "this run's login for the account's earlier request (the same browser)"


class SharedLogin:
    """One browser context for all of an account's requests in a run: the first request logs in (or finds its saved
    session signed in), and each later one walks its flow in the same context, so it finds the site signed in and
    the site sees one login. A request that did not end signed in leaves the next one a fresh context."""

    def __init__(self) -> None:
        self.context = None
        self.domains: tuple[str, ...] | None = None

    def serves(self, plan: Plan) -> bool:
        return self.context is not None and self.domains == plan.domains

    def keep(self, context, plan: Plan) -> None:
        self.context, self.domains = context, plan.domains

    def close(self) -> None:
        if self.context is not None:
            try:
                self.context.close()
            except PlaywrightError:
                pass
        self.context, self.domains = None, None

    def __enter__(self) -> "SharedLogin":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_account(browser: Remote, plan: Plan, keyring: Keyring, options: RunOptions,
                shared: SharedLogin | None = None) -> AccountReport:
    """One account's request, in a fresh browser context or in `shared`, the one its earlier requests in this run
    signed in; whatever happens, a report, and a receipt once a page was reached."""
    account = plan.account
    started = utc_now()
    if not plan.offered:
        log.warning("%s: %s", account.name, plan.routing)
    covered = covered_meanwhile(plan, options)
    if covered is not None:
        return covered
    legacy = options.legacy_flow is not None and options.legacy_flow(account.platform) == plan.flow
    seal_unfinished(options.archive, account.name, plan.flow, legacy)
    evidence = EvidenceFolder(options.archive, account.name, plan.flow, started)
    previous = options.ledger.get(account.name, plan.flow) if options.ledger else None
    saved = None if options.sessions is None or options.fresh_login else options.sessions.load(account.name)
    reused = shared is not None and shared.serves(plan)
    result, screenshot = _walk(browser, plan, keyring, options, evidence, started, saved, shared)
    if (saved is not None or reused) and _stale_session(result) and not options.cancelled():
        # A saved session that led somewhere the flow does not know gets one fresh login before the account fails.
        log.info("%s: the saved session led to a page the flow does not know; logging in afresh", account.name)
        first_reason = result.reason
        if shared is not None:
            shared.close()
        result, screenshot = _walk(browser, plan, keyring, options, evidence, started, None, shared)
        result.notes["fresh_login_after"] = first_reason
    if result.status == "failed" and options.cancelled():  # whatever failed after Ctrl-C failed because of it
        log.info("%s: after Ctrl-C: %s", account.name, result.reason)
        result.status, result.reason = "interrupted", interrupted("sent_at" in result.notes)
    receipt = {
        "tool": "submit-objections",
        "tool_version": __version__,
        "account": account.name,
        "platform": account.platform,
        "flow": plan.flow,
        "site": plan.site,
        "login": account.login,
        "mode": "rehearsal" if options.rehearse else "run",
        "outcome": result.status,
        "reason": result.reason,
        "language": {"expected": plan.language, "page": result.notes.get("page_language")},
        "form": {"address": result.notes.get("form_url"), "variant": result.notes.get("form_variant")},
        "sent": "sent_at" in result.notes,  # whether Send was clicked; `fields` is then exactly what was sent
        "fields": result.fields,
        "fields_found_by": json.loads(result.notes.get("fields_found_by", "{}")),
        "request": plan.request,
        "objection_text": plan.objection or None,
        "confirmation_text": result.notes.get("confirmation_text"),
        "page_said": result.notes.get("already_objected_text") or result.notes.get("page_said"),
        "logged_in_with": result.notes.get("logged_in_with"),
        "fresh_login_after": result.notes.get("fresh_login_after"),
        "owner_stepped_in": result.notes.get("owner_stepped_in"),
        "served_by_mirror": options.mirror,
        "started_at": iso(started),
        "sent_at": result.notes.get("sent_at"),
        "finished_at": iso(utc_now()),
    }
    answer = (_site_answer(account, keyring, result, evidence, plan.mail)
              if result.status in ("confirmed", "submitted") else None)
    if answer:
        receipt[ANSWER_KEY] = answer
    evidence.write_receipt(receipt)
    seal(evidence.path, options.archive, note=f"{result.status}: {result.reason}")
    if options.ledger is not None and not options.rehearse and result.status not in ("interrupted", "rehearsed"):
        status, note = _settled(result, previous, answer, plan.site)
        options.ledger.record(account.name, plan.flow, account.platform, status, evidence=evidence.path, note=note)
        if answer == "honoured" and plan.linked:
            for name in cover_linked(options.ledger, plan, evidence.path):
                log.info("%s: %s's email also covers %s", account.name, plan.site, name)
    shown, reason = result.status, result.reason
    if answer == "refused":  # the answer came during the run: that is where the request stands now
        shown, reason = "refused", f"{reason}, but the site's email refuses the request (kept in the evidence folder)"
    return AccountReport(account.name, account.platform, shown, reason, evidence.path, result.notes, screenshot,
                         flow=plan.flow)


def covered_meanwhile(plan: Plan, options: RunOptions) -> AccountReport | None:
    """A request another account's answer settled during this run, before this account's turn: not filed, and said
    so (the note names the email)."""
    if options.ledger is None or options.run_started is None or options.rehearse:
        return None
    entry = options.ledger.get(plan.account.name, plan.flow)
    if entry is None or entry.since < options.run_started or entry.status not in outcomes.SETTLED_IN_LEDGER:
        return None
    return AccountReport(plan.account.name, plan.account.platform, outcomes.state(entry.status).name,
                         f"not filed: {entry.note}", Path(entry.evidence) if entry.evidence else None, flow=plan.flow)


def covering_email(folder: Path, mail: SiteMail) -> Path | None:
    """The newest of the site's emails kept in `folder` that honours the request and says it also covers the other
    accounts in the same account centre."""
    for path in sorted(folder.glob(f"{file_stem(mail.site)}-email-*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if mailcodes.verdict(message, mail.wording) == "honoured" and mailcodes.covers_linked(message, mail.wording):
            return path
    return None


def cover_linked(ledger: Ledger, plan: Plan, folder: Path) -> list[str]:
    """When the site's answer kept in `folder` says it covers the linked accounts too, each linked account's request
    that is not settled yet is marked as in place (`already-objected`), the filing account's folder its evidence and
    the email named in its note. Returns the accounts so covered."""
    found = covering_email(folder, plan.mail)
    if found is None:
        return []
    covered = []
    for request in plan.linked:
        entry = ledger.get(request.account, request.flow)
        if entry is not None and entry.status in outcomes.SETTLED_IN_LEDGER:
            continue
        ledger.record(request.account, request.flow, request.platform, "already-objected", evidence=folder,
                      note=f"{COVERED_NOTE}{plan.account.name}'s request: {plan.site}'s email {found.name} (in "
                      f"{folder}) says it also covers the other accounts in the same account centre")
        covered.append(request.account)
    return covered


def _stale_session(result: Result) -> bool:
    return (result.status in ("failed", "form_changed")
            and result.notes.get("logged_in_with") in ("saved session", REUSED_LOGIN) and "sent_at" not in result.notes)


def _walk(browser: Remote, plan: Plan, keyring: Keyring, options: RunOptions, evidence: EvidenceFolder,
          started: dt.datetime, saved: dict | None, shared: SharedLogin | None = None) -> tuple[Result, Path | None]:
    """The flow's steps in the shared context when it serves the plan, else in a fresh one (with the saved session,
    if given); the result and a final screenshot. A context that ends signed in is kept in `shared` for the
    account's next request."""
    account = plan.account
    job = Job(
        account_name=account.name,
        secrets=KeyringSecrets(keyring, account.name),
        email_code=code_source(options, account, keyring, plan.mail),
        ask_owner=ask_at_terminal(options, account),
        evidence=evidence,
        wording=plan.wording,
        site=plan.site,
        language=plan.language,
        rehearse=options.rehearse,
        on_step=lambda description: options.on_step(account.name, description),
        cancelled=options.cancelled,
        owner_wait=options.owner_wait,
        tell_owner=options.tell_owner,
        settle=settle if options.mirror else (lambda page: None),
        on_send=_ledger_writer(options, plan, evidence),
    )
    reused = shared is not None and shared.serves(plan)
    if reused:
        context = shared.context
    else:
        if shared is not None:
            shared.close()
        context = new_context(browser, options.mirror, storage_state=saved, language=plan.language,
                              country=account.country, domains=plan.domains)
    if options.trace is not None:
        job.tracer = Tracer(context, options.trace / account.name / submission_name(started, plan.flow))
    page = context.new_page()
    runner = Runner(page, job)
    screenshot = None
    result: Result | None = None
    browser_gone = False
    try:
        result = runner.run(plan.steps)
        if result.status not in OWN_EVIDENCE:
            screenshot = _final_screenshot(runner, result.status)
    except ExpectedError as error:  # e.g. the keyring was locked when a secret was needed
        result = Result("failed", str(error).replace("\n  hint:", ";"), runner.fields, runner.notes)
    except PlaywrightError as error:  # the browser itself went away
        browser_gone = True
        result = Result("failed", f"the browser stopped: {error.message.splitlines()[0]}", runner.fields, runner.notes)
    except Exception as error:  # noqa: BLE001 - one account's bug must not stop the others
        log.debug("unexpected error for %s", account.name, exc_info=True)
        result = Result("failed", f"unexpected {type(error).__name__} (a bug: please report it; -vv shows where)",
                        runner.fields, runner.notes)
    finally:
        if job.tracer is not None:
            _close_trace(job.tracer)
        _keep_session(context, options, account.name, result)
        signed_in = result is not None and result.notes.get("signed_in") == "yes"
        if shared is not None and signed_in and not browser_gone and not options.cancelled():
            shared.keep(context, plan)  # the account's next request finds it signed in
            try:
                page.close()
            except PlaywrightError:
                shared.close()
        else:
            if shared is not None and shared.context is context:
                shared.context, shared.domains = None, None
            try:
                context.close()
            except PlaywrightError:
                pass
    if reused and result.notes.get("logged_in_with") == "saved session":
        result.notes["logged_in_with"] = REUSED_LOGIN
    return result, screenshot


def _settled(result: Result, previous: Entry | None, answer: str | None, site: str) -> tuple[str, str]:
    if result.status in ("confirmed", "submitted") and answer in ("honoured", "refused"):
        return answer, f"the email answering it says it is {answer}"
    if result.status == "already_objected" and previous is not None and previous.sent_but_unsettled:
        return "confirmed", (f"sent on an earlier run that stopped short; {site}'s page now says the objection is "
                             "in place")
    if result.status == "already_done" and previous is not None and (
            previous.sent_but_unsettled or previous.status == "submitting"):
        # "submitting" is written just before the click: a run killed there may or may not have made it
        return "done", (f"an earlier run stopped at or after the confirming click; {site}'s page now shows the "
                        "request in effect")
    return outcomes.ledger_name(result.status), result.reason


def _ledger_writer(options: RunOptions, plan: Plan, evidence: EvidenceFolder):
    account = plan.account

    def write(stage: str, at: str | None) -> None:
        if options.ledger is not None and not options.rehearse:
            options.ledger.record(account.name, plan.flow, account.platform, stage, evidence=evidence.path, sent_at=at)

    return write


def seal_unfinished(archive: Path, account: str, flow: str, legacy: bool) -> None:
    """Folders an earlier run of this account's `flow` left without a manifest (it was killed): seal what they
    captured, as it is. Another flow's folders are left alone: that flow may be running right now. Older folders,
    named without a flow, are this flow's when `legacy`."""
    folder = archive / account
    if not folder.is_dir():
        return
    for run in sorted(path for path in folder.iterdir()
                      if path.is_dir() and belongs_to(path, flow, legacy) and not manifests_in(path)):
        seal(run, archive, note="unfinished: the run stopped before it finished; files kept as captured")


def _site_answer(account: Account, keyring: Keyring, result: Result, evidence: EvidenceFolder,
                 mail: SiteMail) -> str | None:
    """The site's email answering the objection, if it has arrived: kept as .eml evidence; its verdict returned."""
    if "sent_at" not in result.notes:
        return None
    try:
        return answer_in_mailbox(account, keyring, result.notes["sent_at"], evidence.path, mail)
    except ExpectedError as error:  # the objection stands; the email can be fetched later with status --check-mail
        log.warning("%s: could not look for %s's email: %s", account.name, mail.site, error.message)
        return None


def answer_in_mailbox(account: Account, keyring: Keyring, sent_at: str, folder: Path, mail: SiteMail) -> str | None:
    """The verdict of the site's answers to a request sent at `sent_at` (ISO time), each kept in `folder`; None when
    the account has no mailbox or nothing has come. Raises ExpectedError when the mailbox cannot be read."""
    source = mail_source(account, keyring, mail.senders)
    if source is None:
        return None
    since = dt.datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
    return keep_answers(source.messages_since(since), account.email, since, folder, mail)


def keep_answers(messages, address: str, since: dt.datetime, folder: Path, mail: SiteMail) -> str | None:
    """Saves each of the site's answers not saved yet into the submission folder; returns the latest verdict."""
    verdict = None
    for message, raw in mailcodes.answers_from_site(messages, address, since, mail.senders):
        if mail.about and not mailcodes.is_about(message, mail.wording, mail.about):
            continue  # the site's answer to another request of the account
        name = f"{file_stem(mail.site)}-email-{mailcodes.sent_at(message).strftime('%Y%m%dT%H%M%SZ')}.eml"
        if not (folder / name).exists():
            write_private(folder / name, raw)
        verdict = mailcodes.verdict(message, mail.wording)
    return verdict


def file_stem(site: str) -> str:
    """The site's name as the start of a file name: lower case, letters and digits, words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-") or "site"


def _close_trace(tracer: Tracer) -> None:
    try:
        tracer.close()
    except PlaywrightError as error:
        log.warning("could not save the trace: %s", error.message.splitlines()[0])


def _keep_session(context, options: RunOptions, account: str, result: Result | None) -> None:
    """Saves the account's cookies once it was signed in, so the next run need not log in again."""
    if options.sessions is None or result is None or result.notes.get("signed_in") != "yes":
        return
    try:
        options.sessions.save(account, context.storage_state())
    except PlaywrightError as error:
        log.warning("%s: could not save the session: %s", account, error.message.splitlines()[0])


def _final_screenshot(runner: Runner, status: str) -> Path | None:
    try:
        return runner.screenshot(f"final-{status.replace('_', '-')}")
    except PlaywrightError as error:
        log.warning("could not take the final screenshot: %s", error.message.splitlines()[0])
        return None

