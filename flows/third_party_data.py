"""Facebook: Meta's form for personal information from third parties used for AI at Meta
(www.facebook.com/help/contact/510058597920541, shared/meta-flows.md "Other forms in the same mission" [C]).

From the home page, log in (or find the session signed in: an account's earlier request in the same run has logged
in already), open the form, choose the option the account asked for, pass to the owner a security check that may
follow the choice, fill country, full name, email and the prompts, attach the screenshot, send. Meta reviews these
requests instead of fulfilling them: the outcome is `submitted`, and Meta's later email settles it. The research
places the form on facebook.com only, so there is no Instagram flow for this request.
"""

from __future__ import annotations

from pathlib import Path

from automation.config import THIRD_PARTY_OPTIONS, Account
from automation.steps import (Branch, Capture, Case, Check, Click, ExpectGone, FillForm, FormField, Goto, Outcome, Record,
                              Screenshot, Step, Submit, Upload, button, label, role, text)
from automation.wording import Wording
from flows import facebook
from flows import meta_common as meta
from flows.base import Flow
from flows.wording import META

FORM = f"{facebook.HOME}/help/contact/510058597920541"
WORDING = META.combined(Wording.load(Path(__file__).resolve().parent / "third_party" / "wording"))
OPTION_KEYS = {"access": "tp_option_access", "delete": "tp_option_delete", "concern": "tp_option_concern",
               "object": "tp_option_object"}
WAIT = 30
DETAILS = [label("tp_prompts_field"), label("tp_screenshot_field"), label("tp_full_name_field")]
REVIEWED = ("Meta received the request; it reviews such requests and does not fulfil them automatically, so it "
            "stands as submitted until Meta's email answers it (`status --check-mail` looks for it)")


def build(account: Account, objection: str) -> list[Step]:
    data = account.third_party_data
    if data is None:  # the accounts file's loader refuses this request without its table
        raise ValueError(f"account {account.name!r} has no [accounts.third_party_data] table")
    option = role("radio", OPTION_KEYS[data.option])
    return [
        Goto(url=f"{facebook.HOME}/"),
        *meta.login(account, login_url=f"{facebook.HOME}/login/", login_address=r"^https://www\.facebook\.com/login",
                    signed_in_address=facebook.SIGNED_IN, interstitials=[facebook.TRUST_BROWSER]),
        Goto(url=FORM),
        Branch(purpose="the form for information from third parties: its choices", timeout=WAIT, cases=[
            meta.checkpoint(account, then=[Goto(url=FORM)]),
            Case(when=[option], steps=[
                Record(key="form_variant", value="third-party information"),
                Check(target=option, record_as="option", record_value=THIRD_PARTY_OPTIONS[data.option]),
                Click(target=button("tp_next", fallback="submit")),
            ]),
        ]),
        Branch(purpose="after the choice: a security check, or the request's details", timeout=WAIT, cases=[
            meta.checkpoint(account),  # a captcha after the choice is the owner's: with --headed they pass it
            Case(when=DETAILS, steps=[]),
        ]),
        Branch(purpose="the request's details", timeout=WAIT, cases=[Case(when=DETAILS, steps=[])]),
        FillForm(
            purpose="the request about information from third parties",
            fields=[
                FormField(name="country", label="country_field", structure="select", value=account.country,
                          country=True, needed=False),
                FormField(name="full_name", label="tp_full_name_field", structure="text", value=account.display_name),
                FormField(name="email", label="email_field", structure="email", value=account.email),
                FormField(name="prompts", label="tp_prompts_field", structure="textarea", value=data.prompts,
                          shown="the prompts from the accounts file"),
            ],
            later=["tp_screenshot_field"],
            required_marker="required_marker",
            optional_marker="optional_marker",
        ),
        Upload(target=label("tp_screenshot_field", fallback="file"), path=str(data.screenshot),
               record_as="screenshot"),
        Screenshot(name="filled-form"),
        Submit(target=meta.SEND),
        Branch(purpose="after Send", timeout=WAIT, patience=4, otherwise=meta.taken_but_unrecognised(WAIT), cases=[
            Case(when=[text("tp_received")], steps=[
                ExpectGone(target=meta.SEND_SHOWN, timeout=WAIT / 3, reason="the form is still on the page after "
                           "Send, so Meta may not have taken it; nothing is counted as filed: look at the final "
                           "screenshot and run again"),
                Capture(target=text("tp_received"), record_as="confirmation_text"),
                Screenshot(name="confirmation", keep_page=True),
                Outcome(status="submitted", reason=REVIEWED),
            ]),
        ]),
    ]


def routing(country: str) -> tuple[str, bool]:
    return ("no source limits Meta's form for information from third parties to certain regions; Meta's page "
            "decides", True)


def texts(account: Account) -> list[tuple[str, str]]:
    data = account.third_party_data
    if data is None:
        return []
    return [(f"Prompts it sends, and the screenshot it attaches ({data.screenshot})", data.prompts)]


FLOW = Flow(
    id="facebook-third-party-data",
    platform="facebook",
    request="third-party-data",
    title="Facebook: a request about personal information from third parties used for AI at Meta",
    site="Meta",
    hosts=("www.facebook.com",),
    domains=meta.DOMAINS,
    mail_senders=meta.MAIL_SENDERS,
    wording=WORDING,
    build=build,
    objection_text=None,
    routing=routing,
    reviewed=True,
    mail_about="email_about",
    texts=texts,
)
