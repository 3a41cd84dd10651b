"""Steps every Meta flow shares: the cookie dialog, login, two-factor, checkpoints, the ways to the objection form and
the form's states.

Every word these steps look for is a key of the wording tables in flows/wording/ (one per language); nothing here
holds a phrase, a CSS class or a generated id. "Signed in" is judged by what the page shows: the account menu and no
login form, or, once the page has settled, an address past the login with no login form on it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from automation.config import Account
from automation.outcomes import command
from automation.steps import (Branch, Capture, Case, Check, Click, EmailCode, ExpectGone, Fill, FillForm, FormField,
                              Goto, HandOff, Outcome, Record, Screenshot, Step, Submit, Target, TypeSecret, button,
                              field, label, link, role, text, url)

DOMAINS = ("facebook.com", "instagram.com")  # Meta's: a mirror serves these and their subdomains
MAIL_SENDERS = ("facebookmail.com", "facebook.com", "instagram.com", "meta.com")  # where Meta's emails come from
COOKIE_DECLINE = button("cookie_decline")
PASSWORD = field("password")
CHECKPOINT_URL = url(r"^https?://[^/]+/(checkpoint|challenge)/", "a security check's address (/checkpoint/, /challenge/)")
CHECKPOINT_TEXT = text("checkpoint")
SEND = button("send_button", fallback="submit")
SEND_SHOWN = button("send_button")
CODE_FIELD = label("code_field")
CONFIRM_CODE = button("code_confirm", fallback="submit")


PAGE_NOT_PROFILE = ("this is a Facebook Page; Meta takes objections from personal profiles only: log in as the "
                    "person who manages it")


@functools.cache  # steps are frozen: the parts that do not depend on the account are made once, shared by every plan
def facebook_page() -> Case:
    """Signed in as a Facebook Page ("You're using Facebook as <Page>"): Meta takes objections from personal profiles
    only, so the flow stops before any form is filled."""
    return Case(when=[text("facebook_page")], steps=[
        Capture(target=text("facebook_page"), record_as="page_said"),
        Outcome(status="not_eligible", reason=PAGE_NOT_PROFILE),
    ])


def checkpoint(account: Account, then: list[Step] | None = None) -> Case:
    """A security check: the owner's to answer; `then` are the steps that pick the flow up again after it."""
    if not then:
        return _checkpoint(account.name)
    return Case(when=[CHECKPOINT_URL, CHECKPOINT_TEXT], steps=[_hand_off(account.name), *then])


@functools.cache
def _checkpoint(name: str) -> Case:
    return Case(when=[CHECKPOINT_URL, CHECKPOINT_TEXT], steps=[_hand_off(name)])


@functools.cache
def _hand_off(name: str) -> HandOff:
    return HandOff(at=[CHECKPOINT_URL, CHECKPOINT_TEXT],
                   reason="Meta shows a security check that only the account's owner can answer; run "
                   f"`{command('owner', name)}` and solve it in the browser window")


@dataclass(frozen=True)
class Interstitial:
    """A page or dialog Meta may show after login ("Save browser", "Save your login info?"), and how to get past."""

    purpose: str
    shows: Target
    answer: Target


def signed_in(address: str, then: list[Step] | None = None) -> list[Case]:
    """What a signed-in page shows: the account menu and no login form; or, once settled, an address past the login
    (`address`, a pattern) with no login form. Meta may show the signed-in page at the login address itself."""
    return _signed_in(address, then or []) if then else list(_signed_in_going_on(address))


@functools.cache
def _signed_in_going_on(address: str) -> tuple[Case, ...]:
    return tuple(_signed_in(address, []))


def _signed_in(address: str, steps: list[Step]) -> list[Case]:
    return [
        Case(when=[link("account_menu"), button("account_menu")], unless=[PASSWORD], steps=steps),
        Case(when=[url(address, "an address past the login")], unless=[PASSWORD, COOKIE_DECLINE], settled=True,
             steps=steps),
    ]


def login(account: Account, *, login_url: str, login_address: str, signed_in_address: str,
          interstitials: list[Interstitial]) -> list[Step]:
    """From the site's home page: a saved session that is still signed in goes straight on; otherwise the cookie
    dialog, the login form, then each step Meta may or may not ask for, in order. Ends signed in, or stops.

    A home page that shows neither a login form nor the account menu (a landing page, or wording the tables do not
    know) sends the flow to `login_url`, where the page decides; `login_address` is that address as a pattern."""
    past_login = signed_in(signed_in_address)
    later_pages = [Case(when=[item.shows], steps=[]) for item in interstitials]
    log_in: list[Step] = [
        Record(key="logged_in_with", value="password"),
        Click(target=COOKIE_DECLINE, optional=True, wait=3),
        Fill(target=label("login_field", fallback="login"), value=account.login),
        TypeSecret(target=label("password_field", fallback="password"), secret="password"),
        Click(target=button("login_button", fallback="submit")),
        Branch(purpose="after Log in", cases=[
            Case(when=[text("wrong_password")], steps=[Outcome(
                status="failed", reason="Meta says the password is wrong; store the right one with "
                f"`{command('credentials', account.name)}`",
            )]),
            Case(when=[text("unknown_login")], steps=[Outcome(
                status="failed", reason="Meta knows no account with this login; check 'login' in the accounts file",
            )]),
            checkpoint(account),
            Case(when=[text("two_factor_elsewhere")], steps=[
                Click(target=text("try_another_way")),
                Click(target=text("authentication_app")),
                Click(target=button("continue_button", fallback="submit")),
            ]),
            Case(when=[text("two_factor_page")], steps=[]), *later_pages, *past_login,
        ]),
        Branch(purpose="two-factor, when asked", cases=[
            Case(when=[text("two_factor_page")],
                 steps=_two_factor(account, [checkpoint(account), *later_pages, *past_login])),
            checkpoint(account), *later_pages, *past_login,
        ]),
    ]
    for index, item in enumerate(interstitials):
        still_later = later_pages[index + 1:]
        log_in.append(Branch(purpose=f"{item.purpose}, when asked", cases=[
            Case(when=[item.shows], steps=[Click(target=item.answer)]), checkpoint(account), *still_later, *past_login,
        ]))
    saved = [Record(key="logged_in_with", value="saved session")]
    form_or_menu = [
        Case(when=[PASSWORD, COOKIE_DECLINE], steps=log_in),
        checkpoint(account),
        Case(when=[link("account_menu"), button("account_menu")], unless=[PASSWORD], steps=saved),
    ]
    # At the login address itself, a settled page without a login form is a signed-in one: Meta either sends a
    # signed-in browser on, or shows the signed-in page right there.
    no_login_form = Case(when=[url(signed_in_address, "an address past the login"),
                               url(login_address, "the login address")],
                         unless=[PASSWORD, COOKIE_DECLINE, label("login_field")], settled=True, steps=saved)
    return [
        Branch(purpose="the home page: signed in by a saved session, or the login form", cases=form_or_menu,
               otherwise=[Goto(url=login_url), Branch(purpose="the login page, or signed in by a saved session",
                                                      cases=[*form_or_menu, no_login_form])]),
        Branch(purpose="signed in", cases=[checkpoint(account), *past_login]),
        Record(key="signed_in", value="yes"),
    ]


def _two_factor(account: Account, passed: list[Case]) -> list[Step]:
    """Type a TOTP code; if Meta refuses it (a code at the edge of its window), wait for the next one, once."""
    code_field = label("two_factor_field", fallback="code")
    submit = button("continue_button", fallback="submit")
    refused_twice = Outcome(
        status="failed",
        reason="Meta refused two 2FA codes in a row; check the TOTP secret with "
        f"`{command('credentials', account.name)}` and that this computer's clock is right",
    )
    return [
        TypeSecret(target=code_field, secret="totp"),
        Click(target=submit),
        Branch(purpose="after the 2FA code", cases=[
            Case(when=[text("two_factor_refused")], steps=[
                TypeSecret(target=code_field, secret="totp", fresh=True),
                Click(target=submit),
                Branch(purpose="after a second 2FA code", cases=[
                    Case(when=[text("two_factor_refused")], steps=[refused_twice]), *passed,
                ]),
            ]),
            *passed,
        ]),
    ]


# -- the ways to the form ------------------------------------------------------------------------------------------


def article_to_form() -> list[Step]:
    """On "How Meta uses information for generative AI models and features": "Your right to object", then "Learn
    more and object here". The section may be open already, or a button that opens it."""
    return [_article_to_form()]


@functools.cache
def _article_to_form() -> Branch:
    object_here = link("object_here_link")
    return Branch(purpose="the article's section \"Your right to object\"", cases=[
        Case(when=[object_here], steps=[Click(target=object_here)]),
        Case(when=[button("right_to_object_section")], steps=[
            Click(target=button("right_to_object_section")), Click(target=object_here)]),
        Case(when=[link("right_to_object_section")], steps=[
            Click(target=link("right_to_object_section")), Click(target=object_here)]),
    ])


def other_policies_to_form() -> list[Step]:
    """Meta's way since late 2025: Privacy Centre > Other policies and articles > the generative AI article."""
    return list(_other_policies_to_form())


@functools.cache
def _other_policies_to_form() -> tuple[Step, ...]:
    return (Click(target=link("other_policies_link")), Click(target=link("genai_article_link")), *article_to_form())


# -- the objection form ----------------------------------------------------------------------------------------------

COUNTRY_OR_REASON = [label("country_field"), label("reason_field"), field("textarea")]


def objection_form(account: Account, objection: str, *, wait: float = 30) -> list[Step]:
    """From the page the way to the form opened: recognise the state, a product chooser or the form, fill, send.

    A security check or the chooser may come first; the flow then looks at the page again (once more at most).
    """
    send = fill_and_send(account, objection, wait)  # the same steps wherever the form shows
    return [_form_branch(account, send, wait, look_again=True)]


def _form_branch(account: Account, send: list[Step], wait: float, look_again: bool) -> Branch:
    again = [_form_branch(account, send, wait, look_again=False)] if look_again else [_second_check()]
    chooser: list[Case] = [Case(when=[text("chooser_ai_objection"), text("product_chooser")], steps=[
        Record(key="product_chooser", value="I want to object to the use of my information for Meta AI"),
        Click(target=text("chooser_ai_objection")),
        Click(target=button("continue_button"), optional=True, wait=3),
        *again,
    ])] if look_again else []
    return Branch(
        purpose="the objection form",
        timeout=wait,
        cases=[
            facebook_page(),
            _region_refused(),
            checkpoint(account, then=again),
            Case(when=[text("form_2025_question")], steps=[*_form_2025_question(), *send]),
            Case(when=COUNTRY_OR_REASON, steps=[_form_2024(), *send]),
            *chooser,
            *_already_objected(),
        ],
    )


@functools.cache
def _second_check() -> Outcome:
    return Outcome(status="needs_owner", reason="Meta asked for a second security check; run again later")


@functools.cache
def _region_refused() -> Case:
    return Case(when=[text("region_refused")], steps=[Outcome(
        status="not_eligible",
        reason="Meta says the objection form is only available in certain regions (EU/EEA, UK, Switzerland "
        "and a few more), and this account's region is not one of them",
    )])


@functools.cache
def _form_2025_question() -> tuple[Step, ...]:
    return (Record(key="form_variant", value="2025"),
            Check(target=role("radio", "yes_answer"), record_as="about_ai_at_meta", record_value="Yes"))


@functools.cache
def _form_2024() -> Record:
    return Record(key="form_variant", value="2024")


@functools.cache
def _already_objected() -> tuple[Case, ...]:
    return (
        Case(when=[text("covered_by_linked")], steps=[
            Capture(target=text("covered_by_linked"), record_as="already_objected_text"),
            Screenshot(name="already-objected"),
            Outcome(status="already_objected", reason="Meta says an objection from a linked account in Accounts "
                    "Center already covers this account: nothing more to do"),
        ]),
        Case(when=[text("already_objected")], steps=[
            Capture(target=text("already_objected"), record_as="already_objected_text"),
            Screenshot(name="already-objected"),
            Outcome(status="already_objected", reason="Meta says this account has already objected"),
        ]),
    )


def fill_and_send(account: Account, objection: str, wait: float) -> list[Step]:
    return [
        FillForm(
            purpose="the objection form",
            fields=[
                FormField(name="country", label="country_field", structure="select", value=account.country,
                          country=True, needed=False),
                FormField(name="email", label="email_field", structure="email", value=account.email),
                FormField(name="reason", label="reason_field", structure="textarea", value=objection),
            ],
            known=["additional_info_field", "form_2025_question"],
            required_marker="required_marker",
            optional_marker="optional_marker",
        ),
        *_after_filling(wait),
    ]


@functools.cache
def _after_filling(wait: float) -> tuple[Step, ...]:
    return Screenshot(name="filled-form"), Submit(target=SEND), _after_send(wait)


def confirmed(wait: float) -> list[Step]:
    return list(_confirmed(wait))


@functools.cache
def _confirmed(wait: float) -> tuple[Step, ...]:
    return (
        ExpectGone(target=SEND_SHOWN, timeout=wait / 3, reason="the form is still on the page after Send, so Meta may "
                   "not have taken it; nothing is counted as filed: look at the final screenshot and run again"),
        Capture(target=text("confirmation"), record_as="confirmation_text"),
        Screenshot(name="confirmation", keep_page=True),
        Outcome(status="confirmed", reason="Meta confirmed the objection on screen"),
    )


def taken_but_unrecognised(wait: float) -> list[Step]:
    """Send was clicked and the form is gone, but Meta's message matches no table: neither confirmed nor failed."""
    return list(_taken_but_unrecognised(wait))


@functools.cache
def _taken_but_unrecognised(wait: float) -> tuple[Step, ...]:
    return (
        ExpectGone(target=SEND_SHOWN, timeout=wait / 3, reason="the form is still on the page after Send, and Meta's "
                   "message matches nothing the tool knows; nothing is counted as filed: look at the final screenshot"),
        Capture(record_as="page_said"),
        Screenshot(name="after-send", keep_page=True),
        Outcome(status="submitted", reason="Meta took the form (it is gone after Send) but its answer is worded in a "
                "way the tool does not know; what the page said is in the receipt, and Meta's email or the next run "
                "settles it"),
    )


@functools.cache
def _after_send(wait: float) -> Branch:
    confirmed_case = Case(when=[text("confirmation")], steps=confirmed(wait))
    code_not_taken = Outcome(status="failed", reason="Meta did not accept the emailed code twice; run again later")
    return Branch(purpose="after Send", timeout=wait, patience=4, otherwise=taken_but_unrecognised(wait), cases=[
        Case(when=[text("too_short")], steps=[Outcome(
            status="failed", reason="Meta rejected the objection text as too short; write a longer template",
        )]),
        # The code step: a field for the code, and no longer the form's text area (its Send button may stay).
        Case(when=[CODE_FIELD], unless=[field("textarea")], steps=[
            EmailCode(target=label("code_field", fallback="code")),
            Click(target=CONFIRM_CODE),
            Branch(purpose="after the emailed code", timeout=wait, patience=4, otherwise=taken_but_unrecognised(wait),
                   cases=[
                       confirmed_case,
                       Case(when=[text("code_refused")], steps=[
                           Click(target=button("new_code"), optional=True, wait=2),
                           EmailCode(target=label("code_field", fallback="code")),
                           Click(target=CONFIRM_CODE),
                           Branch(purpose="after a new emailed code", timeout=wait, patience=4,
                                  otherwise=taken_but_unrecognised(wait), cases=[
                                      confirmed_case, Case(when=[text("code_refused")], steps=[code_not_taken]),
                                  ]),
                       ]),
                   ]),
        ]),
        confirmed_case,
    ])
