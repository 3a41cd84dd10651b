"""The mock of Meta's Instagram hosts (www.instagram.com, help.instagram.com, privacycenter.instagram.com), driven as
our tool drives them: a browser whose requests to those hosts are served from MOCK_URL/<host>/... by the tool's own
mirror routing, plus plain HTTP where enough.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest

from mock_support import RunningMock, mirrored_page, raw_request
from fixtures.mock_meta import ConfigError
from fixtures.mock_meta.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
IG = "https://www.instagram.com"
PRIVACY = "https://privacycenter.instagram.com"
FB = "https://www.facebook.com"
FORM = "https://help.instagram.com/contact/233964459562201"
FORM_PATH = "/contact/233964459562201"
LOGIN_TO_FORM = IG + "/accounts/login/?next=https%3A%2F%2Fhelp.instagram.com%2Fcontact%2F233964459562201"
COOKIE_TITLE = "Allow the use of cookies from Instagram on this browser?"
SECRET = pyotp.random_base32()
REASON = ("My photos and captions are personal. Using them to train AI models affects my privacy and that of the "
          "people in my pictures, which I never agreed to when I posted them.")
LINKED_TEXT = ("An objection for this account was already submitted from a linked account in Accounts Center. "
               "If you've already objected, you don't need to submit another request.")

PASSWORDS = {
    "anna.demo": "pw-anna-Secret1", "ben_ig": "pw-ben-Secret2", "cleo.ig": "pw-cleo-Secret3",
    "dev.us": "pw-dev-Secret4", "eva.done": "pw-eva-Secret5", "finn@example.org": "pw-finnfb-Secret6",
    "finn.ig": "pw-finnig-Secret7", "gina.ig": "pw-ginaig-Secret8", "gina@example.org": "pw-ginafb-Secret9",
    "hugo.ig": "pw-hugo-Secret10", "kai.ig": "pw-kai-Secret11", "lena.ig": "pw-lena-Secret12",
    "mo.ig": "pw-mo-Secret13", "nia.ig": "pw-nia-Secret14",
}
ACCOUNTS = f"""
[site]
cookie_dialog = true
code_ttl_seconds = 3600
{{decline}}

[[account]]
service = "instagram"
login = "anna.demo"
password = "{PASSWORDS['anna.demo']}"
email = "anna@example.org"
name = "Anna Demo"

[[account]]
service = "instagram"
login = "ben_ig"
password = "{PASSWORDS['ben_ig']}"
email = "ben@example.org"
name = "Ben Berg"
totp_secret = "{SECRET}"
save_login_prompt = false
notifications_prompt = false

[[account]]
service = "instagram"
login = "cleo.ig"
password = "{PASSWORDS['cleo.ig']}"
email = "cleo@example.org"
name = "Cleo Corin"
form_variant = "2025"
region = "FR"

[[account]]
service = "instagram"
login = "dev.us"
password = "{PASSWORDS['dev.us']}"
email = "dev@example.org"
name = "Dev Dunn"
region = "US"

[[account]]
service = "instagram"
login = "eva.done"
password = "{PASSWORDS['eva.done']}"
email = "eva@example.org"
name = "Eva Engel"
already_objected = true

[[account]]
login = "finn@example.org"
password = "{PASSWORDS['finn@example.org']}"
email = "finn@example.org"
name = "Finn Fox"
form_variant = "2025"

[[account]]
service = "instagram"
login = "finn.ig"
password = "{PASSWORDS['finn.ig']}"
email = "finn@example.org"
name = "Finn Fox"
linked_to = "finn@example.org"

[[account]]
service = "instagram"
login = "gina.ig"
password = "{PASSWORDS['gina.ig']}"
email = "gina@example.org"
name = "Gina Gale"
form_variant = "2025"

[[account]]
login = "gina@example.org"
password = "{PASSWORDS['gina@example.org']}"
email = "gina@example.org"
name = "Gina Gale"
linked_to = "gina.ig"

[[account]]
service = "instagram"
login = "hugo.ig"
password = "{PASSWORDS['hugo.ig']}"
email = "hugo@example.org"
name = "Hugo Hahn"
checkpoint = "identity"

[[account]]
service = "instagram"
login = "kai.ig"
password = "{PASSWORDS['kai.ig']}"
email = "kai@example.org"
name = "Kai Kern"

[[account]]
service = "instagram"
login = "lena.ig"
password = "{PASSWORDS['lena.ig']}"
email = "lena@example.org"
name = "Lena Lund"
checkpoint = "human"
save_login_prompt = false

[[account]]
service = "instagram"
login = "mo.ig"
password = "{PASSWORDS['mo.ig']}"
email = "mo@example.org"
name = "Mo Maas"
checkpoint = "locked"

[[account]]
service = "instagram"
login = "nia.ig"
password = "{PASSWORDS['nia.ig']}"
email = "nia@example.org"
name = "Nia Noor"
checkpoint = "automated"
"""


def started(tmp: Path, decline: str | None) -> RunningMock:
    accounts = tmp / "accounts.toml"
    accounts.write_text(ACCOUNTS.replace("{decline}", f'instagram_cookie_decline = "{decline}"' if decline else ""))
    return RunningMock(accounts, tmp / "state")


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    running = started(tmp_path_factory.mktemp("mock-instagram"), decline=None)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mock_old_wording(tmp_path_factory):
    running = started(tmp_path_factory.mktemp("mock-instagram-old"), decline="Only allow essential cookies")
    yield running
    running.stop()


# -- a browser behind the tool's own mirror ---------------------------------------------------------------------------


def decline_cookies(page, label: str = "Decline optional cookies"):
    page.get_by_label("Password").wait_for()
    dialog = page.get_by_role("dialog", name=COOKIE_TITLE)
    dialog.get_by_role("button", name=label, exact=True).click()
    dialog.wait_for(state="detached")


def log_in(page, login: str, typed: str | None = None, password: str | None = None):
    """From an Instagram login page with the cookie dialog on it: decline, then log in."""
    decline_cookies(page)
    page.get_by_label("Phone number, username, or email").fill(typed or login)
    page.get_by_label("Password").fill(password or PASSWORDS[login])
    page.get_by_role("button", name="Log in").click()


def facebook_log_in(page, login: str):
    page.get_by_label("Password").wait_for()
    dialog = page.get_by_role("dialog", name="Allow the use of cookies from Facebook on this browser?")
    dialog.get_by_role("button", name="Decline optional cookies").click()
    dialog.wait_for(state="detached")
    page.get_by_label("Email address or phone number").fill(login)
    page.get_by_label("Password").fill(PASSWORDS[login])
    page.get_by_role("button", name="Log in").click()


def log_in_past_save_info(page, login: str):
    log_in(page, login)
    page.get_by_role("heading", name="Save your login info?").wait_for()
    page.get_by_role("button", name="Not now", exact=True).click()


def text_of(page) -> str:
    return re.sub(r"\s+", " ", page.locator("body").inner_text())


# -- cookie dialog, login, prompts ------------------------------------------------------------------------------------


def test_cookie_dialog_login_by_username_save_info_and_notifications(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(IG + "/")
    page.wait_for_url(IG + "/accounts/login/")
    dialog = page.get_by_role("dialog", name=COOKIE_TITLE)
    dialog.wait_for()
    assert dialog.get_by_role("button").all_inner_texts() == ["Decline optional cookies", "Allow all cookies"]
    login_button = page.get_by_role("button", name="Log in")
    assert login_button.evaluate("e => e.tagName") == "BUTTON"
    with pytest.raises(Exception, match="intercepts pointer events|Timeout"):
        login_button.click(timeout=1500)  # the overlay takes the click
    log_in(page, "anna.demo")
    choice = mock.events("cookie_choice")[-1]
    assert choice["choice"] == "essential" and choice["service"] == "instagram"

    page.get_by_role("heading", name="Save your login info?").wait_for()
    assert page.url == IG + "/accounts/onetap/?next=%2F"
    page.get_by_role("button", name="Save info").click()

    notifications = page.get_by_role("dialog", name="Turn on Notifications")
    notifications.wait_for()
    assert page.url == IG + "/"
    assert "Know right away when people follow you or like and comment on your photos." in notifications.inner_text()
    with pytest.raises(Exception, match="intercepts pointer events|Timeout"):
        page.get_by_role("link", name="Settings and privacy").click(timeout=1500)  # modal: the page is covered
    notifications.get_by_role("button", name="Not Now", exact=True).click()
    notifications.wait_for(state="detached")
    page.get_by_role("heading", name="anna.demo").wait_for()
    page.reload()
    page.get_by_role("heading", name="anna.demo").wait_for()
    assert page.get_by_role("dialog").count() == 0  # dismissed for this session

    cookies = {c["name"]: c for c in context.cookies()}
    for name in ("sessionid", "ds_user_id"):
        assert cookies[name]["domain"] == ".instagram.com" and cookies[name]["path"] == "/"
        assert cookies[name]["httpOnly"] and cookies[name]["sameSite"] == "Lax"
    (login,) = mock.events("login", "anna.demo")
    assert login["service"] == "instagram" and login["second_factor"] is False
    assert mock.events("save_login_info", "anna.demo")[-1]["choice"] == "save"
    assert mock.events("notifications_prompt", "anna.demo")[-1]["choice"] == "not_now"
    context.close()


def test_older_decline_wording_and_login_by_email(browser, mock_old_wording):
    context, page = mirrored_page(browser, mock_old_wording.url)
    page.goto(IG + "/accounts/login/")
    dialog = page.get_by_role("dialog", name=COOKIE_TITLE)
    dialog.wait_for()
    assert dialog.get_by_role("button").all_inner_texts() == ["Only allow essential cookies", "Allow all cookies"]
    decline_cookies(page, "Only allow essential cookies")
    page.get_by_label("Phone number, username, or email").fill("anna@example.org")
    page.get_by_label("Password").fill(PASSWORDS["anna.demo"])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Not now", exact=True).click()
    page.get_by_role("dialog", name="Turn on Notifications").get_by_role("button", name="Turn On").click()
    page.get_by_role("heading", name="anna.demo").wait_for()
    assert mock_old_wording.events("login", "anna.demo")[-1]["service"] == "instagram"
    assert mock_old_wording.events("notifications_prompt", "anna.demo")[-1]["choice"] == "on"
    context.close()


def test_wrong_password_and_unknown_username(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(IG + "/accounts/login/")
    log_in(page, "kai.ig", password="not-the-password")
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == (
        "Sorry, your password was incorrect. Please double-check your password.")
    failed = mock.events("login_failed", "kai.ig")[-1]
    assert failed["reason"] == "wrong_password" and failed["service"] == "instagram"

    page.get_by_label("Phone number, username, or email").fill("nobody.here")
    page.get_by_label("Password").fill("whatever-Secret0")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("The username you entered doesn't belong to an account.").wait_for()
    assert page.get_by_role("alert").inner_text() == (
        "The username you entered doesn't belong to an account. Please check your username and try again.")
    assert mock.events("login_failed", "nobody.here")[-1]["reason"] == "unknown_login"
    assert "Secret" not in (mock.state / "events.jsonl").read_text()
    context.close()


def test_totp_wrong_then_right_without_save_info_or_notifications(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(IG + "/accounts/settings/")
    page.wait_for_url(IG + "/accounts/login/?next=%2Faccounts%2Fsettings%2F")
    log_in(page, "ben_ig")
    page.get_by_role("heading", name="Enter security code").wait_for()
    assert page.url == IG + "/accounts/login/two_factor?next=%2Faccounts%2Fsettings%2F"
    assert "Enter the 6-digit code generated by your authentication app." in text_of(page)
    wrong = f"{(int(pyotp.TOTP(SECRET).now()) + 500000) % 1000000:06d}"
    page.get_by_label("Security code").fill(wrong)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == "Please check the security code and try again."

    page.get_by_label("Security code").fill(pyotp.TOTP(SECRET).now())
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Settings and privacy").wait_for()  # no "Save your login info?" step
    assert page.url == IG + "/accounts/settings/"
    page.goto(IG + "/")
    page.get_by_role("heading", name="ben_ig").wait_for()
    assert page.get_by_role("dialog").count() == 0  # notifications_prompt = false

    kinds = [e["event"] for e in mock.events(login="ben_ig")]
    assert kinds[-3:] == ["totp_failed", "totp_ok", "login"]
    assert mock.events("login", "ben_ig")[-1]["second_factor"] is True
    assert not mock.events("save_login_info", "ben_ig")
    context.close()


# -- the .instagram.com session on help.instagram.com -----------------------------------------------------------------


def test_the_session_cookie_reaches_help_instagram_com(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(FORM)  # logged out: to www.instagram.com's login, with the form as next
    page.wait_for_url(LOGIN_TO_FORM)
    log_in(page, "kai.ig")
    page.get_by_role("heading", name="Save your login info?").wait_for()
    assert page.url == IG + "/accounts/onetap/?next=https%3A%2F%2Fhelp.instagram.com%2Fcontact%2F233964459562201"
    page.get_by_role("button", name="Not now", exact=True).click()
    page.get_by_role("heading", name="Object to your information being used for AI at Meta").wait_for()
    assert page.url == FORM
    assert page.get_by_label("Email address").input_value() == "kai@example.org"
    assert mock.events("form_viewed", "kai.ig")[-1]["service"] == "instagram"
    help_requests = [r for r in mock.lines("requests.jsonl") if r["host"] == "help.instagram.com"]
    assert [r["path"] for r in help_requests[-2:]] == [FORM_PATH, FORM_PATH]

    mock.control("expire-sessions")  # the cookie stays, the session behind it is gone
    page.goto(FORM)
    page.wait_for_url(LOGIN_TO_FORM)
    page.get_by_label("Phone number, username, or email").wait_for()
    context.close()


# -- reaching and filing the form -------------------------------------------------------------------------------------


def test_objection_2024_via_settings_about_and_the_policy_box(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(IG + "/accounts/login/")
    log_in_past_save_info(page, "anna.demo")
    page.get_by_role("dialog", name="Turn on Notifications").get_by_role("button", name="Not Now").click()
    page.get_by_role("link", name="Settings and privacy").click()
    page.get_by_role("heading", name="Settings and privacy").wait_for()
    page.get_by_role("link", name="About", exact=True).click()
    page.get_by_role("heading", name="About", exact=True).wait_for()
    assert page.get_by_role("link", name="Terms of Use").is_visible()
    page.get_by_role("link", name="Privacy policy", exact=True).click()
    page.get_by_role("heading", name="Privacy Policy", exact=True).wait_for()
    assert page.url == PRIVACY + "/policy/"
    assert page.get_by_role("navigation", name="Privacy Center").get_by_text("anna.demo").is_visible()
    box = page.get_by_role("complementary", name="Learn more about your right to object")
    assert "You have the right to object to your information being used for AI at Meta." in box.inner_text()
    box.get_by_role("link", name="Learn more about your right to object").click()

    page.get_by_role("heading", name="Object to your information being used for AI at Meta").wait_for()
    assert page.url == FORM
    page.get_by_label("Country of residence").select_option(label="Austria")
    page.get_by_label("Please tell us how this processing impacts you.").fill("Too short.")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("alert").wait_for()
    assert "Please provide more information" in page.get_by_role("alert").inner_text()
    page.get_by_label("Please tell us how this processing impacts you.").fill(REASON)
    page.get_by_role("button", name="Send").click()
    page.get_by_label("Confirmation code").wait_for()
    assert mock.submissions("anna.demo") == []
    (code,) = mock.codes("anna@example.org")
    mail = mock.mails("anna@example.org")[0]
    assert mail["From"] == "Instagram <security@mail.instagram.com>" and mail["To"] == "anna@example.org"
    assert "The Instagram team" in mail.get_body(("plain",)).get_content()

    page.get_by_label("Confirmation code").fill(f"{(int(code) + 1) % 1000000:06d}")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == "The code you entered is incorrect."
    page.get_by_label("Confirmation code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Thanks for your request").wait_for()
    assert "We've received your objection." in page.get_by_role("status").inner_text()

    (filed,) = mock.submissions("anna.demo")
    assert filed["host"] == "help.instagram.com" and filed["variant"] == "2024" and filed["form"] == FORM_PATH
    assert filed["email"] == "anna@example.org"
    assert filed["fields"] == {"country": "AT", "email": "anna@example.org", "reason": REASON, "additional_info": ""}
    submitted = mock.events("submitted", "anna.demo")[-1]
    assert submitted["service"] == "instagram" and submitted["form"] == FORM_PATH
    received = [m for m in mock.mails("anna@example.org") if m["Subject"] == "We've received your objection"]
    assert received[0]["From"] == "Instagram <security@mail.instagram.com>"
    assert "your information from Instagram" in received[0].get_body(("plain",)).get_content()

    page.goto(FORM)
    assert "You've already objected" in page.get_by_role("status").inner_text()
    context.close()


def test_objection_2025_via_the_privacy_center_object_link(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(PRIVACY + "/")  # readable logged out
    page.get_by_role("heading", name="Privacy Center", exact=True).wait_for()
    assert page.get_by_role("link", name="Log in").get_attribute("href") == (
        IG + "/accounts/login/?next=https%3A%2F%2Fprivacycenter.instagram.com%2F")
    page.goto(IG + "/accounts/login/?" + urlencode({"next": PRIVACY + "/"}))
    log_in_past_save_info(page, "cleo.ig")
    page.wait_for_url(PRIVACY + "/")
    topics = page.get_by_role("region", name="Privacy topics")
    topics.get_by_role("link", name="AI at Meta").click()
    page.get_by_role("heading", name="AI at Meta").wait_for()
    assert page.url == PRIVACY + "/privacy/genai/"
    assert "You have the right to object to your information being used for these purposes." in text_of(page)
    page.get_by_role("link", name="object", exact=True).click()

    page.get_by_role("heading", name="Exercise your right to object").wait_for()
    assert page.url == FORM
    group = page.get_by_role("group", name="Is your request about AI at Meta?")
    group.get_by_label("Yes").check()
    assert page.get_by_label("Email address").input_value() == "cleo@example.org"
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == (
        "Your request will be applied going forward. You'll receive an email with the details.")
    (filed,) = mock.submissions("cleo.ig")
    assert filed["host"] == "help.instagram.com" and filed["variant"] == "2025" and filed["form"] == FORM_PATH
    assert filed["fields"]["about_ai"] == "yes" and filed["email"] == "cleo@example.org"
    assert mock.codes("cleo@example.org") == set()
    (mail,) = mock.mails("cleo@example.org")
    assert mail["Subject"] == "We've received your objection"
    assert mail["From"] == "Instagram <security@mail.instagram.com>"
    context.close()


def test_region_and_already_objected_pages(browser, mock):
    for login, expected, event in (
        ("dev.us", "This option is only available to people in certain regions.", "region_blocked"),
        ("eva.done", "You've already objected to your information being used for AI at Meta. "
                     "We'll continue to honour your objection.", "already_objected_shown"),
    ):
        context, page = mirrored_page(browser, mock.url)
        page.goto(FORM)
        log_in_past_save_info(page, login)
        page.get_by_role("status").wait_for()
        assert page.url == FORM
        assert page.get_by_role("status").inner_text() == expected
        assert page.locator("form").count() == 0
        assert mock.events(event, login)[-1]["service"] == "instagram"
        context.close()
    assert mock.events("already_objected_shown", "eva.done")[-1].get("linked") is None


def test_linked_accounts_in_accounts_center(browser, mock):
    # Instagram finn.ig is linked to Facebook finn@example.org: its form is there until Facebook's objection is filed.
    ig_context, ig_page = mirrored_page(browser, mock.url)
    ig_page.goto(FORM)
    log_in_past_save_info(ig_page, "finn.ig")
    ig_page.get_by_role("heading", name="Object to your information being used for AI at Meta").wait_for()

    fb_context, fb_page = mirrored_page(browser, mock.url)
    fb_page.goto(FB + "/help/contact/6359191084165019")
    facebook_log_in(fb_page, "finn@example.org")
    fb_page.get_by_role("group", name="Is your request about AI at Meta?").get_by_label("Yes").check()
    fb_page.get_by_role("button", name="Send").click()
    fb_page.get_by_text("Your request will be applied going forward.").wait_for()
    assert mock.submissions("finn@example.org")[0]["host"] == "www.facebook.com"
    fb_context.close()

    ig_page.goto(FORM)
    ig_page.get_by_role("status").wait_for()
    assert ig_page.get_by_role("status").inner_text() == LINKED_TEXT
    assert ig_page.locator("form").count() == 0
    shown = mock.events("already_objected_shown", "finn.ig")[-1]
    assert shown["linked"] is True and shown["linked_login"] == "finn@example.org"
    assert shown["linked_service"] == "facebook" and shown["service"] == "instagram"
    assert mock.submissions("finn.ig") == []
    ig_context.close()

    # And the other way round: Facebook gina@example.org is linked to Instagram gina.ig, which files first.
    context, page = mirrored_page(browser, mock.url)
    page.goto(FORM)
    log_in_past_save_info(page, "gina.ig")
    page.get_by_role("group", name="Is your request about AI at Meta?").get_by_label("Yes").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Your request will be applied going forward.").wait_for()
    page.goto(FB + "/help/contact/712876720715583")
    facebook_log_in(page, "gina@example.org")
    page.get_by_role("status").wait_for()
    assert page.url == FB + "/help/contact/712876720715583"
    assert page.get_by_role("status").inner_text() == LINKED_TEXT
    shown = mock.events("already_objected_shown", "gina@example.org")[-1]
    assert shown["linked"] is True and shown["linked_login"] == "gina.ig" and "service" not in shown
    assert mock.submissions("gina@example.org") == []
    context.close()


# -- challenges -------------------------------------------------------------------------------------------------------


def test_challenge_holds_until_solved(browser, mock):
    context, page = mirrored_page(browser, mock.url)
    page.goto(IG + "/accounts/settings/")
    log_in(page, "hugo.ig")
    page.get_by_role("heading", name="Help us confirm it's you").wait_for()
    assert page.url == IG + "/challenge/?next=%2Faccounts%2Fsettings%2F"
    with page.expect_request(lambda r: r.method == "POST" and r.url == IG + "/challenge/"):
        page.get_by_role("button", name="Continue").click()  # nobody gets through by clicking
    page.wait_for_url(IG + "/challenge/?next=%2Faccounts%2Fsettings%2F")
    page.get_by_role("heading", name="Help us confirm it's you").wait_for()
    assert not [c for c in context.cookies() if c["name"] == "sessionid"]
    page.goto(FORM)  # not logged in anywhere on instagram.com yet
    page.wait_for_url(LOGIN_TO_FORM)
    checkpoint = mock.events("checkpoint", "hugo.ig")[-1]
    assert checkpoint["kind"] == "identity" and checkpoint["service"] == "instagram"
    assert not mock.events("login", "hugo.ig")

    assert mock.control("solve-checkpoints")["affected"] >= 1
    page.goto(IG + "/challenge/")
    page.get_by_role("heading", name="Save your login info?").wait_for()
    page.get_by_role("button", name="Not now", exact=True).click()
    page.get_by_role("heading", name="Settings and privacy").wait_for()
    assert page.url == IG + "/accounts/settings/"
    assert mock.events("login", "hugo.ig")
    context.close()


def test_every_challenge_kind_and_a_foreign_next_by_plain_http(mock):
    expected = {"lena.ig": ("Confirm that you're human", "Enter the characters you see"),
                "mo.ig": ("Your account has been locked", "locked it"),
                "nia.ig": ("We suspect automated behavior", "Dismiss")}
    for login, (heading, extra) in expected.items():
        body = urlencode({"username": login, "password": PASSWORDS[login], "next": "https://evil.example.com/x"})
        status, headers, _ = raw_request(mock.url + "/www.instagram.com/accounts/login/", "POST", body.encode(),
                                         {"Content-Type": "application/x-www-form-urlencoded"})
        found = dict((name.lower(), value) for name, value in headers)
        assert status == 302 and found["location"] == IG + "/challenge/?next=%2F"  # an off-Instagram next is dropped
        cookie = found["set-cookie"].split(";")[0]
        assert cookie.startswith("ig_pending=")
        for method in ("GET", "POST"):
            status, headers, page = raw_request(mock.url + "/www.instagram.com/challenge/", method, b"",
                                                {"Cookie": cookie})
            if method == "POST":
                assert status == 302 and dict(headers)["Location"] == IG + "/challenge/?next=%2F"
            else:
                assert status == 200 and "<h1" in page and heading.replace("'", "&#x27;") in page and extra in page


# -- the accounts file and `python -m` ---------------------------------------------------------------------------------


SAME_LOGIN = [  # one login on both services
    {"login": "same@example.org", "password": "p", "email": "same@example.org", "name": "S"},
    {"login": "same@example.org", "password": "p", "email": "same@example.org", "name": "S", "service": "instagram"},
]


@pytest.mark.parametrize("extra, message", [
    ({"service": "instagram", "linked_to": "nobody.here"}, "'nobody.here' is not the login of another account"),
    ({"service": "instagram", "linked_to": "same@example.org"}, "is the login of more than one account"),
    ({"service": "instagram", "trust_prompt": False}, "'trust_prompt' applies to facebook accounts only"),
    ({"save_login_prompt": False}, "'save_login_prompt' applies to instagram accounts only"),
    ({"service": "tiktok"}, "'tiktok' is not one of ['facebook', 'instagram']"),
])
def test_accounts_file_errors(extra, message):
    account = {"login": "x.ig", "password": "p", "email": "x@example.org", "name": "X", **extra}
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config({"account": [*SAME_LOGIN, account]})


def test_accounts_file_links_and_the_decline_label():
    with pytest.raises(ConfigError, match="instagram_cookie_decline"):
        parse_config({"site": {"instagram_cookie_decline": "Reject optional cookies"}})
    linked = {**SAME_LOGIN[1], "login": "y.ig", "linked_to": "facebook:same@example.org"}
    chained = {**SAME_LOGIN[1], "login": "z.ig", "linked_to": "y.ig"}
    config = parse_config({"account": [*SAME_LOGIN, linked, chained]})
    facebook, instagram, y, z = config.accounts
    assert config.linked_accounts(instagram) == ()
    assert {a.login for a in config.linked_accounts(facebook)} == {"y.ig", "z.ig"}  # one Accounts Center
    assert {a.login for a in config.linked_accounts(z)} == {"same@example.org", "y.ig"}
    assert config.account_by_login_or_email("Y.IG", "instagram") is y
    assert config.account_by_login_or_email("same@example.org", "instagram") is instagram
    assert config.account_by_login_or_email("y.ig", "facebook") is None


def test_python_m_serves_a_mixed_accounts_file(tmp_path):
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(ACCOUNTS.replace("{decline}", ""))
    state = tmp_path / "state"
    process = subprocess.Popen([sys.executable, "-m", "fixtures.mock_meta", "--accounts", str(accounts), "--state",
                                str(state)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert re.fullmatch(r"MOCK_URL=http://127\.0\.0\.1:\d+", line), line
        url = line.split("=", 1)[1]
        status, _, page = raw_request(url + "/www.instagram.com/accounts/login/")
        assert status == 200 and "Phone number, username, or email" in page
        status, _, page = raw_request(url + "/www.facebook.com/login/")
        assert status == 200 and "Email address or phone number" in page
        status, _, page = raw_request(url + "/privacycenter.instagram.com/privacy/genai/")
        assert status == 200 and '<a class="' in page and f'href="{FORM}">object</a>' in page
        status, headers, _ = raw_request(url + "/help.instagram.com" + FORM_PATH)
        assert status == 302 and dict(headers)["Location"] == LOGIN_TO_FORM
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
