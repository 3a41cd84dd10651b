"""What --dry-run prints: per account, what is stored, where codes come from, the plan in words, and the text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from automation.steps import Branch, EmailCode, plan_lines, summary_lines

if TYPE_CHECKING:
    from automation.credentials import Keyring
    from automation.jobs import Plan

SECRETS = {"password": "password", "totp": "2FA (TOTP) secret", "mailbox": "mailbox password"}


def language_name(code: str) -> str:
    from automation.languages import language_name as english_name

    return english_name(code) or code


def dry_run_lines(plans: list["Plan"], mirror: str | None, keyring: "Keyring | None", keyring_problem: str,
                  full: bool) -> list[str]:
    from automation.mailsource import mail_source_name

    lines = ["Dry run: no browser is started, nothing is sent, no secret is read."]
    if mirror:
        lines.append(f"The site's hosts would be served from the mirror {mirror}; every other host blocked.")
    requests: dict[str, list[str]] = {}
    for plan in plans:
        requests.setdefault(plan.account.name, []).append(plan.request)
    stored = set() if keyring is None else keyring.stored(
        (plan.account.name, kind) for plan in plans for kind in SECRETS
        if kind != "mailbox" or plan.account.mailbox is not None)
    for plan in plans:
        account = plan.account
        say = (lambda p: lambda key: p.wording.say(key, p.language))(plan)
        own = requests[account.name]
        lines += ["", f"Account {account.name} ({account.platform}, login {account.login}, country {account.country})"]
        if len(own) > 1:
            lines.append(f"  Request {own.index(plan.request) + 1} of {len(own)}: {plan.request} "
                         f"({plan.title or plan.flow}; flow {plan.flow}); one login serves all {len(own)}, one after "
                         "another in one browser")
        else:
            lines.append(f"  Request: {plan.request} ({plan.title or plan.flow}; flow {plan.flow})")
        if plan.reviewed:
            lines.append(f"  {plan.site} reviews this request rather than confirming it: once sent it is "
                         f"'submitted', and {plan.site}'s email settles it")
        lines.append(f"  Language expected: {language_name(plan.language)} ({plan.language}); {plan.site}'s wording "
                     "is matched in that language first, then in every other the tool knows")
        if plan.routing:
            lines.append(f"  Where: {plan.routing}")
        for kind, what in SECRETS.items():
            if kind == "mailbox" and account.mailbox is None:
                continue
            state = "keyring unavailable: " + keyring_problem if keyring is None else (
                "stored" if (account.name, kind) in stored else "not stored")
            lines.append(f"  {plan.site} {what}: {state}" if kind != "mailbox" else f"  {what.capitalize()}: {state}")
        if _has(plan.steps, EmailCode):
            lines.append(f"  {plan.site}'s emailed code: {mail_source_name(account)}")
        if plan.reviewed:
            source = (mail_source_name(account) if account.maildir or account.mailbox else
                      "no maildir or [accounts.mailbox] to read it from: watch the account's inbox")
            lines.append(f"  {plan.site}'s email answering it: {source}")
        lines.append("  Steps (every step and branch: --dry-run -v):" if not full else "  Steps:")
        lines += (plan_lines if full else summary_lines)(plan.steps, say, indent="    ")
        if plan.objection:
            source = (f"your template {account.template}" if account.template
                      else f"built-in, {language_name(plan.language)}")
            lines.append(f"  Objection text ({source}):")
            lines += [f"    | {line}" for line in plan.objection.splitlines()]
        for title, text in plan.texts:
            lines.append(f"  {title}:")
            lines += [f"    | {line}" for line in text.splitlines()]
    return lines


def _has(steps, kind) -> bool:
    """Whether a step of this kind is among the steps or in any branch of them."""
    for step in steps:
        if isinstance(step, kind):
            return True
        if isinstance(step, Branch) and (any(_has(case.steps, kind) for case in step.cases)
                                         or _has(step.otherwise or [], kind)):
            return True
    return False
