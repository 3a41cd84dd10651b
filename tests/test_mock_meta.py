"""The mock of Meta (fixtures/mock_meta), driven as our tool drives it: a browser whose requests to
https://www.facebook.com/... are served from MOCK_URL/www.facebook.com/... by a mirror, plus plain HTTP where enough.
"""

from __future__ import annotations

import html
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pyotp
import pytest

from mock_support import RunningMock, mirrored_page, raw_request
from fixtures.mock_meta import MockMeta

ROOT = Path(__file__).resolve().parent.parent
FB = "https://www.facebook.com"
FORM_2024 = "/help/contact/712876720715583"
FORM_2025 = "/help/contact/6359191084165019"
SECRET_B = pyotp.random_base32()
SECRET_C = pyotp.random_base32()
REASON = ("My posts and photos are personal. Using them to train AI models affects my privacy and my family's "
          "privacy, and I never expected this use when I shared them.")

ACCOUNTS = f"""
[site]
login_control = "{{control}}"
cookie_dialog = {{dialog}}
code_ttl_seconds = 3600

[[account]]
login = "anna@example.org"
password = "pw-anna-Secret1"
email = "anna@example.org"
name = "Anna Example"

[[account]]
login = "bert@example.org"
password = "pw-bert-Secret2"
email = "bert@example.org"
name = "Bert Beispiel"
totp_secret = "{SECRET_B}"

[[account]]
login = "+4915100000003"
password = "pw-carla-Secret3"
email = "carla@example.org"
name = "Carla Cruz"
totp_secret = "{SECRET_C}"
twofa_route = "notifications"
reject_first_codes = 1
trust_prompt = false

[[account]]
login = "dora@example.org"
password = "pw-dora-Secret4"
email = "dora@example.org"
name = "Dora Dahl"
form_variant = "2025"
region = "se"

[[account]]
login = "emil@example.org"
password = "pw-emil-Secret5"
email = "emil@example.org"
name = "Emil Evans"
region = "US"

[[account]]
login = "fay@example.org"
password = "pw-fay-Secret6"
email = "fay@example.org"
name = "Fay Fischer"
already_objected = true

[[account]]
login = "gus@example.org"
password = "pw-gus-Secret7"
email = "gus@example.org"
name = "Gus Gray"
checkpoint = "automated"

[[account]]
login = "hana@example.org"
password = "pw-hana-Secret8"
email = "hana@example.org"
name = "Hana Holm"
form_variant = "2025"

[[account]]
login = "ivan@example.org"
password = "pw-ivan-Secret9"
email = "ivan@example.org"
name = "Ivan Ivanov"
region = "IE"
"""
PASSWORDS = {
    "anna@example.org": "pw-anna-Secret1", "bert@example.org": "pw-bert-Secret2", "+4915100000003": "pw-carla-Secret3",
    "dora@example.org": "pw-dora-Secret4", "emil@example.org": "pw-emil-Secret5", "fay@example.org": "pw-fay-Secret6",
    "gus@example.org": "pw-gus-Secret7", "hana@example.org": "pw-hana-Secret8", "ivan@example.org": "pw-ivan-Secret9",
}


def write_accounts(path: Path, control: str = "button", dialog: bool = False) -> Path:
    path.write_text(ACCOUNTS.replace("{control}", control).replace("{dialog}", "true" if dialog else "false"))
    return path


def started(tmp: Path, control: str, dialog: bool) -> RunningMock:
    return RunningMock(write_accounts(tmp / "accounts.toml", control, dialog), tmp / "state")


@pytest.fixture(scope="module")
def mock_button(tmp_path_factory):
    running = started(tmp_path_factory.mktemp("mock-button"), "button", dialog=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mock_div(tmp_path_factory):
    running = started(tmp_path_factory.mktemp("mock-div"), "div", dialog=True)
    yield running
    running.stop()


# -- plain HTTP, as the mirror would send it ------------------------------------------------------------------------


class Client:
    """A cookie-keeping client for www.facebook.com through the mock; redirects are followed on the real host."""

    def __init__(self, mock_url: str):
        self.mock_url = mock_url
        self.cookies: dict[str, str] = {}

    def request(self, path: str, data: dict | None = None, follow: bool = True):
        method, body, headers = "GET", None, {}
        if data is not None:
            method, body = "POST", urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        while True:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            status, response_headers, text = raw_request(f"{self.mock_url}/www.facebook.com{path}", method, body,
                                                         headers)
            for name, value in response_headers:
                if name.lower() == "set-cookie":
                    # host-only, or the session's .facebook.com (which Accounts Center's host shares)
                    assert ("domain=" not in value.lower() or "domain=.facebook.com;" in value.lower()) and "Path=/" in value
                    cookie_name, _, rest = value.partition("=")
                    self.cookies[cookie_name] = rest.split(";")[0]
            location = dict((k.lower(), v) for k, v in response_headers).get("location")
            if not (follow and location and 300 <= status < 400):
                return status, location, text
            target = urljoin(FB + path, location)
            assert target.startswith(FB + "/"), f"redirect off the real host: {location}"
            path = target[len(FB):]
            method, body, headers = "GET", None, {}

    def get(self, path: str, follow: bool = True):
        return self.request(path, None, follow)

    def post(self, path: str, data: dict, follow: bool = True):
        return self.request(path, data, follow)

    def login(self, login: str, next_path: str = "/"):
        return self.post("/login/", {"email": login, "pass": PASSWORDS[login], "next": next_path})


def visible_text(document: str) -> str:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", document, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(text))


# -- a browser behind a mirror ----------------------------------------------------------------------------------------


def browser_login(page, login: str):
    page.get_by_label("Email address or phone number").fill(login)
    page.get_by_label("Password").fill(PASSWORDS[login])
    page.get_by_role("button", name="Log in").click()


# -- login ----------------------------------------------------------------------------------------------------------------


def test_login_with_a_button_and_a_wrong_password_message(browser, mock_button):
    context, page = mirrored_page(browser, mock_button.url)
    page.goto(FB + "/")
    assert page.locator("button", has_text="Log in").count() == 1
    page.get_by_label("Email address or phone number").fill("anna@example.org")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == "The password that you've entered is incorrect."
    assert mock_button.events("login_failed", "anna@example.org")[-1]["reason"] == "wrong_password"

    browser_login(page, "anna@example.org")
    page.get_by_role("link", name="Settings & privacy").wait_for()
    assert page.url == FB + "/"
    assert "Anna Example" in page.content()
    session = [c for c in context.cookies() if c["name"] == "xs"][0]
    assert session["domain"] == ".facebook.com" and session["httpOnly"] and session["path"] == "/"
    context.close()


def test_login_with_a_div_control_by_enter_after_the_cookie_dialog(browser, mock_div):
    context, page = mirrored_page(browser, mock_div.url)
    page.goto(FB + "/login/")
    dialog = page.get_by_role("dialog", name="Allow the use of cookies from Facebook on this browser?")
    assert dialog.is_visible()
    control = page.get_by_role("button", name="Log in")
    assert control.evaluate("e => e.tagName") == "DIV"
    with pytest.raises(Exception, match="intercepts pointer events|Timeout"):
        control.click(timeout=1500)  # the overlay takes the click
    dialog.get_by_role("button", name="Decline optional cookies").click()
    dialog.wait_for(state="detached")
    assert mock_div.events("cookie_choice")[-1]["choice"] == "essential"

    page.get_by_label("Email address or phone number").fill("anna@example.org")
    page.get_by_label("Password").fill(PASSWORDS["anna@example.org"])
    page.get_by_label("Password").press("Enter")
    page.get_by_role("link", name="Settings & privacy").wait_for()
    assert mock_div.events("login", "anna@example.org")
    context.close()


def test_unknown_login_and_records_without_passwords(mock_button):
    client = Client(mock_button.url)
    status, _, page = client.post("/login/", {"email": "nobody@example.org", "pass": "whatever-Secret9"})
    assert status == 200
    assert "The email address or mobile number you entered isn't connected to an account." in visible_text(page)
    client.login("emil@example.org")
    for name in ("requests.jsonl", "events.jsonl"):
        text = (mock_button.state / name).read_text()
        assert "Secret" not in text and "whatever" not in text
    assert all({"time", "method", "host", "path"} <= set(r) for r in mock_button.lines("requests.jsonl"))


# -- two-factor ---------------------------------------------------------------------------------------------------------


def test_totp_wrong_then_right_code_and_the_trust_step(browser, mock_button):
    context, page = mirrored_page(browser, mock_button.url)
    page.goto(FB + "/settings/")
    browser_login(page, "bert@example.org")
    page.get_by_role("heading", name="Go to your authentication app").wait_for()
    assert page.url == FB + "/two_step_verification/two_factor/"
    assert "Enter the 6-digit code for this account" in page.content()
    wrong = f"{(int(pyotp.TOTP(SECRET_B).now()) + 500000) % 1000000:06d}"
    page.get_by_label("Code").fill(wrong)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("alert").wait_for()
    assert "This code doesn't work" in page.get_by_role("alert").inner_text()

    page.get_by_label("Code").fill(pyotp.TOTP(SECRET_B).now())
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Trust this device?").wait_for()
    page.get_by_role("button", name="Don't save").click()
    page.get_by_role("heading", name="Settings & privacy").wait_for()
    assert page.url == FB + "/settings/"
    kinds = [e["event"] for e in mock_button.events(login="bert@example.org")]
    assert kinds[-3:] == ["totp_failed", "totp_ok", "login"]
    context.close()


def test_totp_by_the_notifications_route_with_a_boundary_code_rejected_once(browser, mock_button):
    context, page = mirrored_page(browser, mock_button.url)
    page.goto(FB + "/login/")
    browser_login(page, "+4915100000003")
    page.get_by_role("heading", name="Check your notifications on another device").wait_for()
    page.get_by_role("link", name="Try another way").click()
    page.get_by_role("heading", name="Choose a way to confirm that it's you").wait_for()
    page.get_by_label("Authentication app").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Go to your authentication app").wait_for()
    for attempt in range(2):  # reject_first_codes = 1: the first right code is refused, the next one accepted
        page.get_by_label("Code").fill(pyotp.TOTP(SECRET_C).now())
        page.get_by_role("button", name="Continue").click()
        if attempt == 0:
            page.get_by_role("alert").wait_for()
    page.get_by_role("link", name="Settings & privacy").wait_for()  # trust_prompt = false: straight in
    failed = mock_button.events("totp_failed", "+4915100000003")
    assert len(failed) == 1 and failed[0]["simulated"] is True
    context.close()


# -- the objection forms ---------------------------------------------------------------------------------------------


def test_objection_2024_end_to_end_with_wrong_and_expired_codes(browser, mock_button):
    context, page = mirrored_page(browser, mock_button.url)
    page.goto(FB + "/")
    browser_login(page, "anna@example.org")
    page.get_by_role("link", name="Settings & privacy").click()
    page.get_by_role("link", name="Privacy Centre").click()
    section = page.get_by_role("region", name="Generative AI at Meta")
    assert "You have the right to object to your information being used for these purposes." in section.inner_text()
    section.get_by_role("link", name="object", exact=True).click()

    page.get_by_role("heading", name="Object to your information being used for AI at Meta").wait_for()
    assert page.url == FB + FORM_2024
    assert page.get_by_label("Email address").input_value() == "anna@example.org"
    page.get_by_label("Country of residence").select_option(label="Germany")
    page.get_by_label("Please tell us how this processing impacts you.").fill("Too short.")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("alert").wait_for()
    assert "Please provide more information" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Country of residence").input_value() == "DE"  # values kept
    assert mock_button.codes("anna@example.org") == set()

    page.get_by_label("Please tell us how this processing impacts you.").fill(REASON)
    page.get_by_label("Additional information (optional)").fill("Please confirm in writing.")
    page.get_by_role("button", name="Send").click()
    page.get_by_label("Confirmation code").wait_for()
    assert "We've sent a 6-digit code to anna@example.org. Enter it below to confirm your request." in page.content()
    assert mock_button.submissions("anna@example.org") == []  # Send alone files nothing
    (first,) = mock_button.codes("anna@example.org")
    mail = mock_button.mails("anna@example.org")[0]
    assert mail["From"] == "Facebook <security@facebookmail.com>" and mail["To"] == "anna@example.org"
    assert "This code expires in 1 hour" in mail.get_body(("plain",)).get_content()

    page.get_by_label("Confirmation code").fill(f"{(int(first) + 1) % 1000000:06d}")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == "The code you entered is incorrect."

    mock_button.control("expire-codes")
    page.get_by_label("Confirmation code").fill(first)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_text("This code has expired. Request a new code.").wait_for()

    page.get_by_role("button", name="Send new code").click()
    page.get_by_role("status").wait_for()
    (second,) = mock_button.codes("anna@example.org") - {first}
    page.get_by_label("Confirmation code").fill(second)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Thanks for your request").wait_for()
    assert "We've received your objection." in page.get_by_role("status").inner_text()

    (filed,) = mock_button.submissions("anna@example.org")
    assert filed["variant"] == "2024" and filed["form"] == FORM_2024 and filed["host"] == "www.facebook.com"
    assert filed["fields"] == {"country": "DE", "email": "anna@example.org", "reason": REASON,
                               "additional_info": "Please confirm in writing."}
    kinds = [e["event"] for e in mock_button.events(login="anna@example.org")]
    for kind in ("form_viewed", "form_rejected", "code_sent", "code_failed", "code_expired", "submitted"):
        assert kind in kinds
    received = [m for m in mock_button.mails("anna@example.org") if m["Subject"] == "We've received your objection"]
    assert "If you've already objected, you don't need to submit another request." in (
        received[0].get_body(("plain",)).get_content())

    page.goto(FB + FORM_2024)  # counts as objected from now on
    assert "You've already objected" in page.get_by_role("status").inner_text()
    context.close()


def test_objection_2025_is_recorded_at_once(browser, mock_button):
    context, page = mirrored_page(browser, mock_button.url)
    page.goto(FB + FORM_2024)  # logged out: to the login, back to the form, and on to this account's variant
    browser_login(page, "dora@example.org")
    page.get_by_role("heading", name="Exercise your right to object").wait_for()
    assert page.url == FB + FORM_2025
    group = page.get_by_role("group", name="Is your request about AI at Meta?")
    group.get_by_label("No").check()
    assert page.get_by_text("This form is only for requests about AI at Meta.").is_visible()
    assert not page.get_by_role("button", name="Send").is_visible()
    group.get_by_label("Yes").check()
    assert page.get_by_label("Email address").input_value() == "dora@example.org"
    page.get_by_label("Please tell us how this processing impacts you. (Optional)").fill("No AI training on my posts, please.")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == (
        "Your request will be applied going forward. You'll receive an email with the details.")
    (filed,) = mock_button.submissions("dora@example.org")
    assert filed["variant"] == "2025" and filed["fields"]["about_ai"] == "yes"
    assert filed["fields"]["reason"] == "No AI training on my posts, please."
    assert mock_button.codes("dora@example.org") == set()
    assert [m["Subject"] for m in mock_button.mails("dora@example.org")] == ["We've received your objection"]
    context.close()


def test_region_and_already_objected_pages(mock_button):
    client = Client(mock_button.url)
    client.login("emil@example.org", FORM_2024)
    status, _, page = client.get(FORM_2024)
    assert status == 200 and "This option is only available to people in certain regions." in page
    assert "<form" not in page
    assert mock_button.events("region_blocked", "emil@example.org")[-1]["region"] == "US"

    client = Client(mock_button.url)
    _, _, page = client.login("fay@example.org", FORM_2024)
    assert 'role="status"' in page
    assert ("You've already objected to your information being used for AI at Meta. "
            "We'll continue to honour your objection.") in visible_text(page)
    assert "<form" not in page and mock_button.events("already_objected_shown", "fay@example.org")


def test_2024_form_rejects_a_missing_country_and_needs_a_session(mock_button):
    client = Client(mock_button.url)
    status, location, _ = client.get(FORM_2024, follow=False)
    assert status == 302 and location == FB + "/login/?next=%2Fhelp%2Fcontact%2F712876720715583"
    client.login("ivan@example.org")
    _, _, page = client.post(FORM_2024, {"step": "send", "country": "", "email": "ivan@example.org", "reason": REASON})
    assert "Please select your country of residence." in page and REASON in visible_text(page)
    assert mock_button.events("form_rejected", "ivan@example.org")[-1]["reason"] == "country_missing"
    status, location, _ = client.post(FORM_2024, {"step": "confirm", "code": "123456"}, follow=False)
    assert status == 302 and location == FB + FORM_2024  # no code pending
    assert mock_button.submissions("ivan@example.org") == []

    mock_button.control("expire-sessions")
    status, location, _ = client.get("/privacy/center/", follow=False)
    assert status == 302 and location.startswith(FB + "/login/?next=")


def test_class_names_and_ids_differ_between_two_fetches(mock_button):
    pages = [Client(mock_button.url).get("/login/")[2] for _ in range(2)]
    classes = [set(re.findall(r'class="([^"]+)"', p)) for p in pages]
    ids = [set(re.findall(r'\bid="([^"]+)"', p)) for p in pages]
    assert classes[0] and not classes[0] & classes[1]
    assert ids[0] and not ids[0] & ids[1]
    assert visible_text(pages[0]) == visible_text(pages[1])
    label_for = re.search(r'<label[^>]*for="([^"]+)"[^>]*>Password</label>', pages[0]).group(1)
    assert re.search(rf'<input[^>]*id="{label_for}"[^>]*type="password"', pages[0])


def test_checkpoint_holds_until_solved(mock_button):
    client = Client(mock_button.url)
    status, location, _ = client.post("/login/", {"email": "gus@example.org", "pass": PASSWORDS["gus@example.org"],
                                                  "next": "/settings/"}, follow=False)
    assert status == 302 and location.startswith(FB + "/checkpoint/?next=")
    _, _, page = client.get("/checkpoint/")
    assert "We suspect automated behavior" in page
    _, _, page = client.post("/checkpoint/", {})  # "Dismiss" leads back to the same checkpoint
    assert "We suspect automated behavior" in page
    assert mock_button.events("checkpoint", "gus@example.org")[-1]["kind"] == "automated"
    mock_button.control("solve-checkpoints")
    _, _, page = client.get("/checkpoint/")
    assert "Settings &amp; privacy" in page and "Privacy Centre" in page


def test_unknown_hosts_and_paths(mock_button):
    status, headers, _ = raw_request(mock_button.url + "/www.example.com/")
    assert status == 404
    status, _, page = raw_request(mock_button.url + "/www.facebook.com/no/such/page/")
    assert status == 404 and "This content isn't available" in visible_text(page)
    status, _, body = raw_request(mock_button.url + "/__mock__/state")
    state = json.loads(body)
    assert status == 200 and set(state) == {"submissions", "events", "request_count"}
    assert state["request_count"] == len(mock_button.lines("requests.jsonl"))


def test_a_restarted_mock_remembers_what_was_filed(tmp_path):
    accounts = write_accounts(tmp_path / "accounts.toml")
    with MockMeta(accounts, tmp_path / "state") as first:
        client = Client(first.url)
        client.login("hana@example.org")
        _, _, page = client.post(FORM_2025, {"about_ai": "yes", "email": "hana@example.org", "reason": ""})
        assert "Your request will be applied going forward." in page
    with MockMeta(accounts, tmp_path / "state") as second:
        client = Client(second.url)
        _, _, page = client.login("hana@example.org", FORM_2025)
        assert "You've already objected" in visible_text(page)
        assert (tmp_path / "state" / "url").read_text() == second.url


# -- running it -------------------------------------------------------------------------------------------------------


def test_a_non_loopback_host_is_refused(tmp_path):
    accounts = write_accounts(tmp_path / "accounts.toml")
    result = subprocess.run([sys.executable, "-m", "fixtures.mock_meta", "--accounts", str(accounts), "--state",
                             str(tmp_path / "state"), "--host", "0.0.0.0"], cwd=ROOT, capture_output=True, text=True,
                            timeout=20)
    assert result.returncode == 2 and "loopback" in result.stderr and "MOCK_URL" not in result.stdout
    with pytest.raises(ValueError, match="loopback"):
        MockMeta(accounts, tmp_path / "state", host="192.0.2.1")


def test_python_m_prints_the_url_answers_and_stops_cleanly(tmp_path):
    accounts = write_accounts(tmp_path / "accounts.toml")
    state = tmp_path / "state"
    process = subprocess.Popen([sys.executable, "-m", "fixtures.mock_meta", "--accounts", str(accounts), "--state",
                                str(state), "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        line = process.stdout.readline().strip()
        assert re.fullmatch(r"MOCK_URL=http://127\.0\.0\.1:\d+", line), line
        url = line.split("=", 1)[1]
        assert (state / "url").read_text() == url
        status, _, page = raw_request(url + "/www.facebook.com/login/")
        assert status == 200 and "Email address or phone number" in page and '<html lang="en">' in page
        assert [r["path"] for r in map(json.loads, (state / "requests.jsonl").read_text().splitlines())] == ["/login/"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert process.stdout.read() == ""
