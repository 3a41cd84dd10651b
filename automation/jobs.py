"""Runs one account: plan its steps, check its secrets exist, walk the flow in a fresh browser context, archive.

Knows nothing about Meta: the flow's steps come in as data. Every account ends in an `AccountReport`, whatever
happens, so that a run over several accounts goes on past one account's failure.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import click
from playwright.sync_api import Browser, Error as PlaywrightError

from automation import __version__, mailcodes
from automation.archive import EvidenceFolder, iso, utc_now
from automation.browser import new_context
from automation.config import Account
from automation.credentials import Keyring
from automation.errors import SubmitObjectionsError
from automation.runner import Job, Runner
from automation.steps import Step

log = logging.getLogger(__name__)

OK_STATUSES = {"confirmed", "already_objected"}


@dataclass
class Plan:
    account: Account
    objection: str
    steps: list[Step]


@dataclass
class AccountReport:
    account: str
    platform: str
    status: str
    reason: str
    evidence: Path | None = None
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class RunOptions:
    archive: Path
    mirror: str | None = None
    rehearse: bool = False
    code_wait_seconds: float = 180
    interactive: bool = False  # a person is at the terminal to type a code
    on_step: Callable[[str, str], None] = lambda account, description: None


class KeyringSecrets:
    """Reads an account's secrets from the keyring only when a step asks for them."""

    def __init__(self, keyring: Keyring, account: str):
        self._keyring = keyring
        self._account = account

    def get(self, kind: str) -> str | None:
        return self._keyring.get(self._account, kind)


def missing_password(keyring: Keyring, account: Account) -> AccountReport | None:
    if keyring.exists(account.name, "password"):
        return None
    return AccountReport(
        account.name, account.platform, "failed",
        f"no password stored; run `submit-objections credentials set {account.name}`",
    )


def ask_at_terminal(options: RunOptions, account: Account) -> Callable[[str], str | None]:
    def ask(prompt: str) -> str | None:
        if not options.interactive:
            return None
        return click.prompt(f"{account.name}: {prompt}", hide_input=True, default="", show_default=False, err=True) or None

    return ask


def code_source(options: RunOptions, account: Account):
    def wait(since: dt.datetime, pause: Callable[[float], None]) -> str | None:
        if account.maildir is not None:
            log.info("%s: waiting up to %g s for Meta's code in %s", account.name, options.code_wait_seconds, account.maildir)
            code = mailcodes.wait_for_code(account.maildir, account.email, since, options.code_wait_seconds, pause)
            if code:
                return code
        return ask_at_terminal(options, account)(f"the 6-digit code Meta emailed to {account.email}")

    return wait


def run_account(browser: Browser, plan: Plan, keyring: Keyring, options: RunOptions) -> AccountReport:
    account = plan.account
    started = utc_now()
    evidence = EvidenceFolder(options.archive, account.name, started)
    job = Job(
        account_name=account.name,
        secrets=KeyringSecrets(keyring, account.name),
        email_code=code_source(options, account),
        ask_owner=ask_at_terminal(options, account),
        evidence=evidence,
        rehearse=options.rehearse,
        on_step=lambda description: options.on_step(account.name, description),
    )
    context = new_context(browser, options.mirror)
    try:
        page = context.new_page()
        runner = Runner(page, job)
        result = runner.run(plan.steps)
        if result.status not in ("confirmed", "rehearsed"):
            _final_screenshot(runner, result.status)
    except SubmitObjectionsError as error:
        return AccountReport(account.name, account.platform, "failed", str(error))
    finally:
        try:
            context.close()
        except PlaywrightError:
            pass
    receipt = {
        "tool": "submit-objections",
        "tool_version": __version__,
        "account": account.name,
        "platform": account.platform,
        "login": account.login,
        "mode": "rehearsal" if options.rehearse else "run",
        "outcome": result.status,
        "reason": result.reason,
        "form": {"address": result.notes.get("form_url"), "variant": result.notes.get("form_variant")},
        "sent": "sent_at" in result.notes,  # whether Send was clicked; `fields` is then exactly what was sent
        "fields": result.fields,
        "objection_text": plan.objection,
        "confirmation_text": result.notes.get("confirmation_text"),
        "page_said": result.notes.get("already_objected_text"),
        "served_by_mirror": options.mirror,
        "started_at": iso(started),
        "sent_at": result.notes.get("sent_at"),
        "finished_at": iso(utc_now()),
    }
    evidence.write_receipt(receipt)
    return AccountReport(account.name, account.platform, result.status, result.reason, evidence.path, result.notes)


def _final_screenshot(runner: Runner, status: str) -> None:
    try:
        runner.screenshot(f"final-{status.replace('_', '-')}")
    except PlaywrightError as error:
        log.warning("could not take the final screenshot: %s", error.message.splitlines()[0])


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()
