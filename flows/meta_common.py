"""Steps every Meta flow shares: the cookie dialog, login, two-factor, checkpoints, and the objection form's states.

Patterns match the stable part of Meta's wording (see shared/meta-flows.md), case-insensitively; an apostrophe may be
straight or curly. Nothing here knows a CSS class or a generated id.
"""

from __future__ import annotations

from dataclasses import dataclass

from automation.config import Account
from automation.steps import (Branch, Capture, Case, Check, Click, EmailCode, ExpectGone, Fill, KeepValue, Outcome,
                              HandOff, Record, Screenshot, Select, Step, Submit, Target, TypeSecret, label, role, text,
                              url)

A = "['’]"  # straight or curly apostrophe

COOKIE_DECLINE = role("button", r"decline optional cookies|only allow essential cookies")
WRONG_PASSWORD = text(
    rf"password (that )?you{A}ve entered is incorrect|your password was incorrect|incorrect password|wrong password"
)
UNKNOWN_LOGIN = text(r"isn.t connected to an account|couldn.t find your account|doesn.t belong to an account")
CHECKPOINT_TEXT = text(
    rf"confirm your identity|help us confirm it{A}s you|confirm that you{A}re human|account has been locked"
    r"|suspect automated behaviou?r|was this you\?"
)
CHECKPOINT_URL = url(r"^https?://[^/]+/(checkpoint|challenge)/")
TWO_FACTOR_ELSEWHERE = text(r"check your notifications on another device")
TWO_FACTOR_PAGE = text(r"go to your authentication app|enter the 6.digit code|security code")
TWO_FACTOR_REFUSED = text(
    rf"code (doesn{A}t|does not|didn{A}t|did not) work|(isn{A}t|is not|wasn{A}t|was not) (right|correct|valid)"
    r"|incorrect (code|security code)|wrong code|please check the (security )?code"
)

REGION = text(r"only available (to|for) people in certain (regions|countries)|not available in your (region|country)")
ALREADY_OBJECTED = text(
    rf"you{A}ve already objected|you have already objected|already (submitted|made|sent) (an|this|your) "
    r"(objection|request)|your objection (is|has been) (already )?(honou?red|in place)"
)
# Only wording that appears after sending: a form's own intro may say "it will be applied going forward".
COVERED_BY_LINKED = text(
    r"already (been )?submitted (from|by|for) (a|your) linked account|covered by (a|your) linked account"
    r"|linked account.{0,60}already (objected|submitted)"
)
CONFIRMED = text(
    rf"we{A}ve received your (objection|request)|we have received your (objection|request)"
    r"|(your|the|this) (request|objection) will be applied going forward"
    r"|your (objection|request) (has been|was) (sent|submitted|received)"
)
FORM_2025_QUESTION = text(r"is your request about ai at meta")
COUNTRY_FIELD = label(r"country")
EMAIL_FIELD = label(r"e-?mail")
REASON_2024 = label(r"impacts? you|affects? you|how (this|the) processing")
REASON_2025 = label(r"tell us more|more about your request|reason|details")
CODE_FIELD = label(r"code")
CODE_REFUSED = text(r"code you entered is (incorrect|wrong|not valid)|code (has )?expired|incorrect code|invalid code")
SEND = role("button", r"^\s*send\s*$")
CONFIRM_CODE = role("button", r"^\s*(confirm|continue|submit|verify)\s*$")
NEW_CODE = role("button", r"send (a )?new code|resend|get a new code")
TOO_SHORT = text(r"provide more information|too short|at least \d+ characters|please tell us more")


def checkpoint(account: Account, then: list[Step] | None = None) -> Case:
    """A security check: the owner's to answer; `then` are the steps that pick the flow up again after it."""
    return Case(when=[CHECKPOINT_URL, CHECKPOINT_TEXT], steps=[HandOff(
        at=[CHECKPOINT_URL, CHECKPOINT_TEXT],
        reason="Meta shows a security check that only the account's owner can answer; run "
        f"`submit-objections --headed --account {account.name}` and solve it in the browser window",
    ), *(then or [])])


@dataclass(frozen=True)
class Interstitial:
    """A page or dialog Meta may show after login ("Save browser", "Save your login info?"), and how to get past."""

    purpose: str
    shows: Target
    answer: Target


def login(account: Account, *, login_field: str, signed_in: str, interstitials: list[Interstitial]) -> list[Step]:
    """Cookie dialog, login form, then each step Meta may or may not ask for, in order; ends logged in or stops.

    `login_field` is the login field's label pattern; `signed_in` matches the address of any page past the login.
    """
    past_login = Case(when=[url(signed_in)], steps=[])
    later_pages = [Case(when=[item.shows], steps=[]) for item in interstitials]
    log_in: list[Step] = [
        Record(key="logged_in_with", value="password"),
        Click(target=COOKIE_DECLINE, optional=True, wait=3),
        Fill(target=label(login_field), value=account.login),
        TypeSecret(target=label(r"^\s*password"), secret="password"),
        Click(target=role("button", r"^\s*log\s?in\s*$")),
        Branch(purpose="after Log in", cases=[
            Case(when=[WRONG_PASSWORD], steps=[Outcome(
                status="failed",
                reason="Meta says the password is wrong; store the right one with "
                f"`submit-objections credentials set {account.name}`",
            )]),
            Case(when=[UNKNOWN_LOGIN], steps=[Outcome(
                status="failed", reason="Meta knows no account with this login; check 'login' in the accounts file",
            )]),
            checkpoint(account),
            Case(when=[TWO_FACTOR_ELSEWHERE], steps=[
                Click(target=text(r"^\s*try another way\s*$")),
                Click(target=text(r"^\s*authentication app\s*$")),
                Click(target=role("button", r"^\s*continue\s*$")),
            ]),
            Case(when=[TWO_FACTOR_PAGE], steps=[]), *later_pages, past_login,
        ]),
        Branch(purpose="two-factor, when asked", cases=[
            Case(when=[TWO_FACTOR_PAGE], steps=_two_factor(account, [checkpoint(account), *later_pages, past_login])),
            checkpoint(account), *later_pages, past_login,
        ]),
    ]
    for index, item in enumerate(interstitials):
        still_later = later_pages[index + 1:]
        log_in.append(Branch(purpose=f"{item.purpose}, when asked", cases=[
            Case(when=[item.shows], steps=[Click(target=item.answer)]), checkpoint(account), *still_later, past_login,
        ]))
    # A saved session makes the login page send us straight on; only a missing or stale one shows the form.
    return [
        Branch(purpose="the login page, unless a saved session is still signed in", cases=[
            Case(when=[label(login_field), COOKIE_DECLINE], steps=log_in),
            checkpoint(account),
            Case(when=[url(signed_in)], steps=[Record(key="logged_in_with", value="saved session")]),
        ]),
        Branch(purpose="signed in", cases=[checkpoint(account), past_login]),
        Record(key="signed_in", value="yes"),
    ]


def _two_factor(account: Account, passed: list[Case]) -> list[Step]:
    """Type a TOTP code; if Meta refuses it (a code at the edge of its window), wait for the next one, once."""
    code_field = label(r"code")
    submit = role("button", r"^\s*(continue|confirm|submit)\s*$")
    refused_twice = Outcome(
        status="failed",
        reason="Meta refused two 2FA codes in a row; check the TOTP secret with "
        f"`submit-objections credentials set {account.name}` and that this computer's clock is right",
    )
    return [
        TypeSecret(target=code_field, secret="totp"),
        Click(target=submit),
        Branch(purpose="after the 2FA code", cases=[
            Case(when=[TWO_FACTOR_REFUSED], steps=[
                TypeSecret(target=code_field, secret="totp", fresh=True),
                Click(target=submit),
                Branch(purpose="after a second 2FA code", cases=[
                    Case(when=[TWO_FACTOR_REFUSED], steps=[refused_twice]), *passed,
                ]),
            ]),
            *passed,
        ]),
    ]


def confirmed(wait: float) -> list[Step]:
    return [
        ExpectGone(target=SEND, timeout=wait / 3, reason="the form is still on the page after Send, so Meta may not have taken it; "
                   "nothing is counted as filed: look at the final screenshot and run again"),
        Capture(target=CONFIRMED, record_as="confirmation_text"),
        Screenshot(name="confirmation", keep_page=True),
        Outcome(status="confirmed", reason="Meta confirmed the objection on screen"),
    ]


def objection_form(account: Account, objection: str, *, wait: float = 30) -> list[Step]:
    """From the page the 'object' link opened: recognise the state or the form variant, fill it, send it.

    `wait` is how long each page may take to show what the flow looks for. When Meta puts a security check in the
    way and the owner passes it, Meta returns to the form, and the flow looks at the page again.
    """
    another_check = Outcome(status="needs_owner", reason="Meta asked for a second security check; run again later")
    look_again = _form_branch(account, objection, wait, checkpoint(account, then=[another_check]))
    return [_form_branch(account, objection, wait, checkpoint(account, then=[look_again]))]


def _form_branch(account: Account, objection: str, wait: float, security_check: Case) -> Branch:
    return Branch(
        purpose="the objection form",
        timeout=wait,
        cases=[
            Case(when=[REGION], steps=[Outcome(
                status="not_eligible",
                reason="Meta says the objection form is only available in certain regions (EU/EEA, UK, Switzerland "
                "and a few more), and this account's region is not one of them",
            )]),
            security_check,
            Case(when=[FORM_2025_QUESTION], steps=_form_2025(account, objection, wait)),
            Case(when=[COUNTRY_FIELD], steps=_form_2024(account, objection, wait)),
            Case(when=[COVERED_BY_LINKED], steps=[
                Capture(target=COVERED_BY_LINKED, record_as="already_objected_text"),
                Screenshot(name="already-objected"),
                Outcome(status="already_objected", reason="Meta says an objection from a linked account in Accounts "
                        "Center already covers this account: nothing more to do"),
            ]),
            Case(when=[ALREADY_OBJECTED], steps=[
                Capture(target=ALREADY_OBJECTED, record_as="already_objected_text"),
                Screenshot(name="already-objected"),
                Outcome(status="already_objected", reason="Meta says this account has already objected"),
            ]),
        ],
    )


def _form_2024(account: Account, objection: str, wait: float) -> list[Step]:
    confirmed_case = Case(when=[CONFIRMED], steps=confirmed(wait))
    code_not_taken = Outcome(status="failed", reason="Meta did not accept the emailed code twice; run again later")
    return [
        Record(key="form_variant", value="2024"),
        Select(target=COUNTRY_FIELD, choices=account.country_names, record_as="country"),
        KeepValue(target=EMAIL_FIELD, value=account.email, record_as="email"),
        Fill(target=REASON_2024, value=objection, record_as="reason"),
        Screenshot(name="filled-form"),
        Submit(target=SEND),
        Branch(purpose="after Send", timeout=wait, cases=[
            Case(when=[TOO_SHORT], steps=[Outcome(
                status="failed", reason="Meta rejected the objection text as too short; write a longer template",
            )]),
            Case(when=[CODE_FIELD], steps=[
                EmailCode(target=CODE_FIELD),
                Click(target=CONFIRM_CODE),
                Branch(purpose="after the emailed code", timeout=wait, cases=[
                    confirmed_case,
                    Case(when=[CODE_REFUSED], steps=[
                        Click(target=NEW_CODE, optional=True, wait=2),
                        EmailCode(target=CODE_FIELD),
                        Click(target=CONFIRM_CODE),
                        Branch(purpose="after a new emailed code", timeout=wait, cases=[
                            confirmed_case, Case(when=[CODE_REFUSED], steps=[code_not_taken]),
                        ]),
                    ]),
                ]),
            ]),
            confirmed_case,
        ]),
    ]


def _form_2025(account: Account, objection: str, wait: float) -> list[Step]:
    return [
        Record(key="form_variant", value="2025"),
        Check(target=role("radio", r"^\s*yes\s*$"), record_as="about_ai_at_meta", record_value="Yes"),
        KeepValue(target=EMAIL_FIELD, value=account.email, record_as="email"),
        Fill(target=REASON_2025, value=objection, record_as="reason"),
        Screenshot(name="filled-form"),
        Submit(target=SEND),
        Branch(purpose="after Send", timeout=wait, cases=[Case(when=[CONFIRMED], steps=confirmed(wait))]),
    ]
