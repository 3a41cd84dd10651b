"""Each step type on a tiny local page: what it finds, what it records, where it stops."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest

from automation.archive import EvidenceFolder
from automation.runner import Job, Runner
from automation.steps import (Branch, Case, Check, Click, EmailCode, Fill, KeepValue, Outcome, Screenshot, Select,
                              Submit, TypeSecret, label, role, text, url)

CLASSES = lambda: f'class="x{secrets.token_hex(3)}"'  # noqa: E731 - generated class names, as on Meta's pages


class FakeSecrets:
    """Stands in for the keyring in these unit tests only; the end-to-end tests use a real one."""

    def __init__(self, **values):
        self.values = values
        self.asked: list[str] = []

    def get(self, kind):
        self.asked.append(kind)
        return self.values.get(kind)


def make_runner(page, tmp_path, secrets_=None, rehearse=False, code=None):
    job = Job(
        account_name="anna",
        secrets=secrets_ or FakeSecrets(),
        email_code=lambda since, pause: code,
        ask_owner=lambda prompt: None,
        evidence=EvidenceFolder(tmp_path / "archive", "anna", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
        rehearse=rehearse,
    )
    return Runner(page, job)


def clicked(page) -> list[str]:
    return page.evaluate("window.clicked || []")


def test_click_finds_a_div_button_by_role_and_an_optional_click_moves_on(page, tmp_path):
    page.set_content(f"""<div {CLASSES()} role="button" tabindex="0" onclick="(window.clicked=window.clicked||[]).push('login')">
        Log in</div>""")
    runner = make_runner(page, tmp_path)
    runner.execute([
        Click(target=role("button", r"decline optional cookies"), optional=True, wait=0.3),
        Click(target=role("button", r"^\s*log\s?in\s*$")),
    ])
    assert clicked(page) == ["login"]


def test_select_takes_the_name_the_form_uses_and_records_it(page, tmp_path):
    page.set_content(f"""<label for="c9">Country of residence</label><select id="c9" {CLASSES()}>
        <option value="">Select a country</option><option>Czech Republic</option><option>Germany</option></select>""")
    runner = make_runner(page, tmp_path)
    runner.execute([Select(target=label("country"), choices=["Czechia", "Czech Republic"], record_as="country")])
    assert page.get_by_label("Country of residence").input_value() == "Czech Republic"
    assert runner.fields == {"country": "Czech Republic"}


def test_select_fails_clearly_when_the_country_is_not_offered(page, tmp_path):
    page.set_content("""<label for="c">Country</label><select id="c"><option>France</option></select>""")
    result = make_runner(page, tmp_path).run([Select(target=label("country"), choices=["Germany"])])
    assert result.status == "failed" and "offers none of Germany" in result.reason


def test_keep_value_keeps_what_meta_prefilled_and_fills_an_empty_field(page, tmp_path):
    page.set_content("""<label for="a">Email address</label><input id="a" value="meta@example.org">
        <label for="b">Backup email</label><input id="b" value="">""")
    runner = make_runner(page, tmp_path)
    runner.execute([
        KeepValue(target=label("^email"), value="mine@example.org", record_as="email"),
        KeepValue(target=label("backup"), value="mine@example.org", record_as="backup"),
    ])
    assert runner.fields == {"email": "meta@example.org", "backup": "mine@example.org"}
    assert page.get_by_label("Backup email").input_value() == "mine@example.org"


def test_branch_runs_the_first_case_that_shows_and_fails_naming_what_it_looked_for(page, tmp_path):
    page.set_content("<p>This option is only available to people in certain regions.</p>")
    branch = Branch(purpose="form", timeout=1, cases=[
        Case(when=[label("country")], steps=[Outcome(status="failed", reason="wrong case")]),
        Case(when=[text("only available to people in certain regions")],
             steps=[Outcome(status="not_eligible", reason="region")]),
    ])
    assert make_runner(page, tmp_path).run([branch]).status == "not_eligible"

    page.set_content("<p>Something else entirely</p>")
    result = make_runner(page, tmp_path).run([branch])
    assert result.status == "failed"
    assert "showed none of the expected states" in result.reason and "field labelled /country/" in result.reason


def test_branch_matches_an_address(page, tmp_path):
    page.route("https://www.facebook.com/checkpoint/**", lambda route: route.fulfill(body="<p>hello</p>",
                                                                                    content_type="text/html"))
    page.goto("https://www.facebook.com/checkpoint/?next=%2F")
    branch = Branch(purpose="login", timeout=1, cases=[
        Case(when=[url(r"^https://[^/]+/checkpoint/")], steps=[Outcome(status="needs_owner", reason="checkpoint")]),
    ])
    assert make_runner(page, tmp_path).run([branch]).status == "needs_owner"


def test_a_rehearsal_stops_before_send_and_sends_nothing(page, tmp_path):
    page.set_content(f"""<label for="r">Reason</label><textarea id="r"></textarea>
        <button {CLASSES()} onclick="(window.clicked=window.clicked||[]).push('send')">Send</button>""")
    runner = make_runner(page, tmp_path, rehearse=True)
    result = runner.run([
        Fill(target=label("reason"), value="my objection", record_as="reason"),
        Screenshot(name="filled-form"),
        Submit(target=role("button", r"^\s*send\s*$")),
        Outcome(status="confirmed", reason="must not be reached"),
    ])
    assert result.status == "rehearsed"
    assert clicked(page) == []
    assert result.fields == {"reason": "my objection"}
    assert [shot["name"] for shot in runner.job.evidence.screenshots] == ["filled-form"]
    assert (runner.job.evidence.path / "01-filled-form.png").read_bytes().startswith(b"\x89PNG")


def test_secrets_are_read_only_when_typed_and_the_typed_field_is_masked(page, tmp_path):
    page.set_content("""<label for="p">Password</label><input id="p" type="text">
        <label for="c">Code</label><input id="c">""")
    keyring = FakeSecrets(password="pa55-unique", totp="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    runner = make_runner(page, tmp_path, secrets_=keyring)
    runner.execute([Screenshot(name="before")])
    assert keyring.asked == []
    runner.execute([TypeSecret(target=label("password"), secret="password"),
                    TypeSecret(target=label("code"), secret="totp")])
    assert keyring.asked == ["password", "totp"]
    assert page.get_by_label("Password").input_value() == "pa55-unique"
    assert len(page.get_by_label("Code").input_value()) == 6
    runner.execute([Screenshot(name="after")])
    # A field a secret was typed into is painted over: its pixels do not change whatever was typed.
    before = page.get_by_label("Password").screenshot(mask=[page.get_by_label("Password")])
    page.get_by_label("Password").fill("something-else-entirely")
    after = page.get_by_label("Password").screenshot(mask=[page.get_by_label("Password")])
    assert before == after
    assert runner.secret_targets == [label("password"), label("code")]


def test_a_missing_emailed_code_hands_the_account_to_its_owner(page, tmp_path):
    page.set_content("""<label for="c">Confirmation code</label><input id="c">""")
    result = make_runner(page, tmp_path, code=None).run([EmailCode(target=label("code"))])
    assert result.status == "needs_owner" and "code did not arrive" in result.reason


def test_check_ticks_a_radio_by_its_label_and_records_it(page, tmp_path):
    page.set_content("""<fieldset><legend>Is your request about AI at Meta?</legend>
        <input type="radio" name="q" id="y"><label for="y">Yes</label>
        <input type="radio" name="q" id="n"><label for="n">No</label></fieldset>""")
    runner = make_runner(page, tmp_path)
    runner.execute([Check(target=role("radio", r"^\s*yes\s*$"), record_as="about_ai", record_value="Yes")])
    assert page.get_by_label("Yes").is_checked() and not page.get_by_label("No").is_checked()
    assert runner.fields == {"about_ai": "Yes"}


def test_the_receipt_and_screenshots_are_private_files(page, tmp_path):
    page.set_content("<p>ok</p>")
    runner = make_runner(page, tmp_path)
    runner.execute([Screenshot(name="confirmation")])
    receipt = runner.job.evidence.write_receipt({"outcome": "confirmed"})
    assert oct(receipt.stat().st_mode & 0o777) == "0o600"
    assert oct(receipt.parent.stat().st_mode & 0o777) == "0o700"
    body = json.loads(receipt.read_text())
    assert body["screenshots"][0]["file"] == "01-confirmation.png" and len(body["screenshots"][0]["sha256"]) == 64


@pytest.mark.parametrize("status", ["confirmed", "already_objected"])
def test_an_outcome_step_ends_the_flow(page, tmp_path, status):
    page.set_content("<p>x</p>")
    result = make_runner(page, tmp_path).run([Outcome(status=status, reason="r"), Outcome(status="failed", reason="no")])
    assert result.status == status


def test_a_form_whose_intro_sounds_like_a_confirmation_is_never_reported_confirmed(page, tmp_path):
    """Silent false success: Send did nothing, the form is still there, its intro says 'applied going forward'."""
    from automation.config import Account
    from flows.meta_common import objection_form

    page.set_content("""<h1>Exercise your right to object</h1>
        <p>If your request is about AI at Meta, it will be applied going forward.</p>
        <p>Your request will be applied going forward once we have reviewed it.</p>
        <fieldset><legend>Is your request about AI at Meta?</legend>
        <input type="radio" name="q" id="y"><label for="y">Yes</label></fieldset>
        <label for="e">Email address</label><input id="e" value="anna@example.org">
        <label for="r">Tell us more about your request (optional)</label><textarea id="r"></textarea>
        <button onclick="return false">Send</button>""")
    account = Account(name="anna", platform="facebook", login="anna@example.org", email="anna@example.org",
                      country="DE")
    runner = make_runner(page, tmp_path)
    result = runner.run(objection_form(account, "I object. " * 20, wait=3))
    assert result.status == "failed" and "still on the page after Send" in result.reason
