"""Facebook: disconnect the activity other businesses share with Meta, in Accounts Center.

Since July 2026 Accounts Center > Your information and permissions > "Activity from other businesses"; before that
the same place's "Your activity off Meta technologies" (docs/research/meta-flows.md). The flow recognises which of
the two it is on, types the password Meta asks for again (from the keyring, never logged), then does what the
account's `[accounts.disconnect_activity] action` says: "disconnect-future" (Manage future activity > Disconnect
future activity, which also clears the previous activity) or "clear-previous" (Clear previous activity), confirming
Meta's dialog. A state that is already in effect is recognised and left alone (`already_done`); a page it does not
understand stops it before anything that changes the account is clicked (`form_changed`, with a page snapshot).

Its words are in flows/activity/wording/ (one table per language), merged with Meta's shared tables for the login.
"""

from __future__ import annotations

from pathlib import Path

from automation.config import Account
from automation.outcomes import command
from automation.steps import (Branch, Capture, Case, Check, Click, ExpectGone, Goto, Outcome, Record, Screenshot,
                              Step, Submit, Target, TypeSecret, button, label, link, role, text)
from automation.wording import Wording
from flows import meta_common as meta
from flows.base import Flow
from flows.facebook import HOME, SIGNED_IN, TRUST_BROWSER
from flows.wording import META

ACCOUNTS_CENTER = "https://accountscenter.facebook.com"
ACTIONS = ("disconnect-future", "clear-previous")
DEFAULT_ACTION = "disconnect-future"
FOLDER = Path(__file__).resolve().parent / "activity" / "wording"


def _merged(shared: Wording, own: Wording) -> Wording:
    """The flow's own tables with Meta's shared ones (login, two-factor, checkpoints) beside them: one key, one owner."""
    overlap = set(shared.tables[shared.reference]) & set(own.tables[own.reference])
    if overlap:
        raise ValueError(f"{FOLDER}: keys Meta's shared tables already have: {', '.join(sorted(overlap))}")
    languages = sorted(set(shared.tables) | set(own.tables))
    tables = {language: {**shared.tables.get(language, {}), **own.tables.get(language, {})} for language in languages}
    return Wording(tables, {**shared.modes, **own.modes}, shared.reference)


OWN_WORDING = Wording.load(FOLDER)
WORDING = _merged(META, OWN_WORDING)


def action_of(account: Account) -> str:
    """What the account asked for; "disconnect-future" when its accounts file has no [accounts.disconnect_activity]."""
    return account.disconnect_activity.action if account.disconnect_activity else DEFAULT_ACTION


def either(key: str, then: list[Step], first: tuple[Step, ...] = ()) -> list[Case]:
    """A control Meta shows as a button or as a link: a case for each, clicking whichever shows (after `first`),
    then `then`."""
    return [Case(when=[kind(key)], steps=[*first, Click(target=kind(key)), *then]) for kind in (button, link)]


def not_understood(where: str) -> list[Step]:
    return [Screenshot(name="page-not-understood"), Outcome(
        status="form_changed", reason=f"{where}: Meta's page shows nothing the tool knows; nothing that changes the "
        "account was clicked")]


def build(account: Account, objection: str) -> list[Step]:
    action = action_of(account)
    return [
        Goto(url=f"{HOME}/"),
        *meta.login(account, login_url=f"{HOME}/login/", login_address=r"^https://www\.facebook\.com/login",
                    signed_in_address=SIGNED_IN, interstitials=[TRUST_BROWSER]),
        Record(key="action", value=action),
        Goto(url=f"{ACCOUNTS_CENTER}/"),
        Branch(purpose="Accounts Center: \"Your information and permissions\"", timeout=15, cases=[
            *either("info_permissions_link", []),
            meta.checkpoint(account),
        ], otherwise=not_understood("Accounts Center")),
        Branch(purpose="which generation of the activity page Meta shows", timeout=15, cases=[
            Case(when=[link("activity_2026_link")], steps=[Record(key="form_variant", value="2026"),
                                                           Click(target=link("activity_2026_link"))]),
            Case(when=[link("activity_older_link")], steps=[Record(key="form_variant", value="older"),
                                                            Click(target=link("activity_older_link"))]),
        ], otherwise=not_understood("Your information and permissions")),
        password_again(account),
        *(disconnect_future() if action == "disconnect-future" else clear_previous()),
    ]


ON_ACTIVITY_PAGE: list[Target] = [text("disconnected"), text("cleared"), button("manage_future"),
                                  link("manage_future"), button("clear_previous"), link("clear_previous")]


def password_again(account: Account) -> Branch:
    """Meta asks for the password before it shows the activity page (or not, when it was typed a moment ago)."""
    on_page = Case(when=ON_ACTIVITY_PAGE, steps=[])
    wrong = Outcome(status="failed", reason="Meta says the password typed again for Accounts Center is wrong; store "
                    f"the right one with `{command('credentials', account.name)}`")
    return Branch(purpose="Meta asks for the password again", timeout=20, cases=[
        Case(when=[text("reenter_password"), meta.PASSWORD], unless=ON_ACTIVITY_PAGE, steps=[
            TypeSecret(target=label("password_field", fallback="password"), secret="password"),
            Click(target=button("continue_button", fallback="submit")),
            Branch(purpose="after the password", timeout=20, cases=[
                Case(when=[text("wrong_reentered_password"), text("wrong_password")], steps=[wrong]),
                on_page,
                meta.checkpoint(account),
            ], otherwise=not_understood("after the password")),
        ]),
        on_page,
        meta.checkpoint(account),
    ], otherwise=not_understood("the activity page"))


def already(why: str) -> list[Step]:
    return [Capture(record_as="page_said"), Screenshot(name="already-done"),
            Outcome(status="already_done", reason=f"{why}: nothing was done again")]


DISCONNECTED_ALREADY = already("Meta shows future activity from other businesses already disconnected (which "
                               "cleared the previous activity too)")


def confirm(dialog_button: str, shows: str, done: str) -> list[Step]:
    """Meta's dialog: screenshot, the confirming click (a rehearsal stops before it), then the page's new state."""
    return [Branch(purpose="Meta's confirmation dialog", timeout=15, cases=[
        Case(when=[button(dialog_button)], steps=[
            Screenshot(name="confirm-dialog"),
            Submit(target=button(dialog_button)),
            Branch(purpose="after confirming", timeout=30, patience=4, cases=[
                Case(when=[text(shows)], steps=[
                    ExpectGone(target=button(dialog_button), timeout=10, reason="Meta's dialog is still open after "
                               "the confirming click; nothing is counted as done: look at the final screenshot"),
                    Capture(target=text(shows), record_as="confirmation_text"),
                    Screenshot(name="after", keep_page=True),
                    Outcome(status="done", reason=done),
                ]),
            ], otherwise=[
                Capture(record_as="page_said"),
                Screenshot(name="after", keep_page=True),
                Outcome(status="submitted", reason="the confirming click was made, but Meta's page afterwards is "
                        "worded in a way the tool does not know; what it said is in the receipt, and the next run "
                        "looks at the page again"),
            ]),
        ]),
    ], otherwise=not_understood("Meta's confirmation dialog"))]


BEFORE = (Screenshot(name="before"),)  # the activity page as it was, before anything is clicked on it


def disconnect_future() -> list[Step]:
    dialog = confirm("confirm_disconnect", "disconnected", "Meta shows future activity from other businesses "
                     "disconnected, and with it the previous activity cleared")
    return [Branch(purpose="the activity page: is future activity still connected?", timeout=15, cases=[
        Case(when=[text("disconnected")], steps=DISCONNECTED_ALREADY),
        *either("manage_future", first=BEFORE, then=[Branch(
            purpose="Manage future activity", timeout=15, cases=[
                Case(when=[text("disconnected")], steps=DISCONNECTED_ALREADY),
                *either("disconnect_future", dialog),
                Case(when=[role("radio", "disconnect_future")], steps=[
                    Check(target=role("radio", "disconnect_future")),
                    Click(target=button("continue_button", fallback="submit")), *dialog]),
            ], otherwise=not_understood("Manage future activity"))]),
    ], otherwise=not_understood("the activity page"))]


def clear_previous() -> list[Step]:
    dialog = confirm("confirm_clear", "cleared", "Meta shows the previous activity from other businesses cleared "
                     "(future activity stays connected)")
    return [Branch(purpose="the activity page: is there previous activity to clear?", timeout=15, cases=[
        Case(when=[text("disconnected")], steps=DISCONNECTED_ALREADY),
        Case(when=[text("cleared")], steps=already("Meta shows no previous activity from other businesses to clear")),
        *either("clear_previous", first=BEFORE, then=dialog),
    ], otherwise=not_understood("the activity page"))]


WHAT = {
    "disconnect-future": "Manage future activity > Disconnect future activity, confirming Meta's dialog: the activity "
                         "other businesses share is no longer connected to the account, and the previous activity is "
                         "cleared with it",
    "clear-previous": "Clear previous activity, confirming Meta's dialog: the activity other businesses shared so far "
                      "is cleared; future activity stays connected",
}


def texts(account: Account) -> list[tuple[str, str]]:
    """What a dry run shows for this request: nothing is typed into a form, the action is clicked."""
    action = action_of(account)
    return [(f"What it does (disconnect_activity.action = \"{action}\")", WHAT[action])]


FLOW = Flow(
    id="facebook-disconnect-activity",
    platform="facebook",
    title="Facebook: disconnect the activity other businesses share with Meta",
    site="Meta",
    hosts=("www.facebook.com", "accountscenter.facebook.com"),
    domains=meta.DOMAINS,
    mail_senders=meta.MAIL_SENDERS,
    wording=WORDING,
    build=build,
    objection_text=None,  # nothing is typed: the action is clicked
    request="disconnect-activity",
    texts=texts,
)
