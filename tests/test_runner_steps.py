"""Each step type on a tiny local page: what it finds, what it records, where it stops.

The pages and the wording here are a toy site's, not Meta's: the engine is tested on its own.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest

from automation.archive import EvidenceFolder
from automation.runner import Job, Runner
from automation.steps import (Branch, Case, Check, Click, EmailCode, Fill, FillForm, FormField, Outcome, Screenshot,
                              Submit, TypeSecret, button, field, label, role, text, url)
from automation.wording import Phrasings, Wording

CLASSES = lambda: f'class="x{secrets.token_hex(3)}"'  # noqa: E731 - generated class names, as on Meta's pages

TOY = Wording(
    tables={
        "en": {"decline": Phrasings(("Decline optional cookies",)), "log_in": Phrasings(("Log in",)),
               "send": Phrasings(("Send",)), "country": Phrasings(("Country",)), "email": Phrasings(("Email",)),
               "reason": Phrasings(("Reason",)), "extra": Phrasings(("Anything else",)),
               "password": Phrasings(("Password",)), "code": Phrasings(("Code",)),
               "region": Phrasings(("only available in certain regions",)), "yes": Phrasings(("Yes",)),
               "required": Phrasings(("(Required)",)), "optional": Phrasings(("(Optional)",)),
               "done": Phrasings(("Thanks, we got it",))},
        "de": {"send": Phrasings(("Senden",)), "country": Phrasings(("Land",)), "email": Phrasings(("E-Mail",)),
               "reason": Phrasings(("Begründung",)), "region": Phrasings(("nur in bestimmten Regionen",)),
               "yes": Phrasings(("Ja",))},
    },
    modes={"decline": "whole", "log_in": "whole", "send": "whole", "yes": "whole"},
)


class FakeSecrets:
    """Stands in for the keyring in these unit tests only; the end-to-end tests use a real one."""

    def __init__(self, **values):
        self.values = values
        self.asked: list[str] = []

    def get(self, kind):
        self.asked.append(kind)
        return self.values.get(kind)


def make_runner(page, tmp_path, secrets_=None, rehearse=False, code=None, language="en"):
    job = Job(
        account_name="anna",
        secrets=secrets_ or FakeSecrets(),
        email_code=lambda since, pause: code,
        ask_owner=lambda prompt: None,
        evidence=EvidenceFolder(tmp_path / "archive", "anna", "toy-flow",
                                dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
        wording=TOY,
        language=language,
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
        Click(target=button("decline"), optional=True, wait=0.3),
        Click(target=button("log_in")),
    ])
    assert clicked(page) == ["login"]


def form(*fields: FormField) -> FillForm:
    return FillForm(purpose="the toy form", fields=list(fields), known=["extra"], required_marker="required",
                    optional_marker="optional")


COUNTRY = FormField(name="country", label="country", structure="select", value="CZ", country=True, needed=False)
EMAIL = FormField(name="email", label="email", structure="email", value="mine@example.org")
REASON = FormField(name="reason", label="reason", structure="textarea", value="my objection")


def test_a_form_is_filled_by_label_in_the_page_language_with_the_country_named_in_it(page, tmp_path):
    page.set_content(f"""<html lang="de-DE"><body>
        <label for="c9">Land des Wohnsitzes</label><select id="c9" {CLASSES()}><option value="">Auswählen</option>
        <option value="FR">Frankreich</option><option value="CZ">Tschechien</option></select>
        <label for="e1">E-Mail-Adresse</label><input id="e1" type="email" value="meta@example.org">
        <label for="r1">Begründung (Erforderlich)</label><textarea id="r1" required></textarea></body></html>""")
    runner = make_runner(page, tmp_path, language="de")
    result = runner.run([form(COUNTRY, EMAIL, REASON), Outcome(status="confirmed", reason="filled")])
    assert result.status == "confirmed", result.reason
    assert page.locator("select").input_value() == "CZ"
    # The accounts file's email replaces what the form was pre-filled with.
    assert page.locator("input").input_value() == "mine@example.org"
    assert page.locator("textarea").input_value() == "my objection"
    assert runner.fields == {"country": "Tschechien", "email": "mine@example.org", "reason": "my objection"}
    found = json.loads(result.notes["fields_found_by"])
    assert found["country"] == 'by its label "Land des Wohnsitzes" (de)' and "(de)" in found["reason"]
    assert result.notes["page_language"] == "de"


def test_a_label_in_another_language_than_the_page_still_finds_the_field(page, tmp_path):
    page.set_content("""<html lang="fr"><body><label for="e">Email</label><input id="e" type="text">
        <label for="r">Reason</label><textarea id="r"></textarea></body></html>""")
    runner = make_runner(page, tmp_path, language="fr")
    runner.execute([form(EMAIL, REASON)])
    assert runner.found_by["email"] == 'by its label "Email" (en)'


def test_fields_whose_labels_match_no_table_are_found_by_what_they_are(page, tmp_path):
    page.set_content("""<label for="c">Where do you live?</label><select id="c"><option>Germany</option>
        <option>Czechia</option></select><label for="e">How can we reach you?</label><input id="e" type="email">
        <label for="r">In your own words</label><textarea id="r" required></textarea>""")
    runner = make_runner(page, tmp_path)
    result = runner.run([form(COUNTRY, EMAIL, REASON), Outcome(status="confirmed", reason="filled")])
    assert result.status == "confirmed", result.reason
    assert runner.fields == {"country": "Czechia", "email": "mine@example.org", "reason": "my objection"}
    assert runner.found_by == {"country": "as the form's only drop-down list (its label matched no wording table)",
                               "email": "as the form's only e-mail field (its label matched no wording table)",
                               "reason": "as the form's only text area (its label matched no wording table)"}


def test_two_unlabelled_text_areas_are_never_guessed_between(page, tmp_path):
    page.set_content("""<label for="e">Email</label><input id="e" type="email">
        <label for="a">First thoughts</label><textarea id="a"></textarea>
        <label for="b">Second thoughts</label><textarea id="b"></textarea>""")
    result = make_runner(page, tmp_path).run([form(EMAIL, REASON)])
    assert result.status == "form_changed"
    assert "2 text areas is the reason, and the tool does not guess" in result.reason
    assert page.locator("#a").input_value() == "" and page.locator("#b").input_value() == ""
    assert page.locator("#e").input_value() == "", "nothing is filled when the form is not understood"


def test_a_recognised_optional_box_is_left_out_of_the_structural_fallback(page, tmp_path):
    page.set_content("""<label for="r">In your own words (Required)</label><textarea id="r"></textarea>
        <label for="x">Anything else? (Optional)</label><textarea id="x"></textarea>
        <label for="e">Email</label><input id="e" type="email">""")
    runner = make_runner(page, tmp_path)
    runner.execute([form(EMAIL, REASON)])
    assert page.locator("#r").input_value() == "my objection" and page.locator("#x").input_value() == ""


def test_an_unknown_required_field_stops_before_anything_is_filled_and_leaves_a_snapshot(page, tmp_path):
    page.set_content("""<html lang="en"><title>Objection</title><h1>Tell us</h1>
        <label for="e">Email</label><input id="e" type="email" value="prefilled@example.org">
        <label for="r">Reason</label><textarea id="r"></textarea>
        <label for="d">Date of birth (Required)</label><input id="d" type="text">
        <input type="checkbox" id="k" required><label for="k">I am the account holder</label>
        <label for="p">Password</label><input id="p" type="password">
        <button>Send</button></html>""")
    runner = make_runner(page, tmp_path, secrets_=FakeSecrets(password="s3cret-Typed-9"))
    runner.execute([TypeSecret(target=label("password"), secret="password")])
    result = runner.run([form(EMAIL, REASON), Outcome(status="confirmed", reason="must not be reached")])
    assert result.status == "form_changed"
    assert 'a required text field "Date of birth (Required)"' in result.reason
    assert 'a required checkbox "I am the account holder"' in result.reason
    assert "page-snapshot.json" in result.reason
    assert page.locator("textarea").input_value() == ""
    snapshot = json.loads((runner.job.evidence.path / "page-snapshot.json").read_text())
    assert snapshot["title"] == "Objection" and snapshot["headings"] == ["Tell us"] and snapshot["language"] == "en"
    assert {"name": "Date of birth (Required)", "type": "text"}.items() <= next(
        c for c in snapshot["controls"] if c["name"].startswith("Date")).items()
    assert "Send" in snapshot["buttons"]
    raw = (runner.job.evidence.path / "page-snapshot.json").read_text()
    assert "prefilled@example.org" not in raw and "s3cret-Typed-9" not in raw


def test_the_country_list_without_the_country_stops_as_a_changed_form(page, tmp_path):
    page.set_content("""<label for="c">Country</label><select id="c"><option>France</option></select>
        <label for="r">Reason</label><textarea id="r"></textarea><label for="e">Email</label><input id="e" type="email">""")
    result = make_runner(page, tmp_path).run([form(COUNTRY, EMAIL, REASON)])
    assert result.status == "form_changed" and "does not offer Czechia" in result.reason


def test_branch_runs_the_first_case_that_shows_and_fails_naming_what_it_looked_for(page, tmp_path):
    page.set_content("<p>This option is only available in certain regions.</p>")
    branch = Branch(purpose="form", timeout=1, cases=[
        Case(when=[label("country")], steps=[Outcome(status="failed", reason="wrong case")]),
        Case(when=[text("region")], steps=[Outcome(status="not_eligible", reason="region")]),
    ])
    assert make_runner(page, tmp_path).run([branch]).status == "not_eligible"
    page.set_content('<html lang="de"><p>Diese Option ist nur in bestimmten Regionen verfügbar.</p></html>')
    assert make_runner(page, tmp_path).run([branch]).status == "not_eligible"

    page.set_content("<p>Something else entirely</p>")
    result = make_runner(page, tmp_path).run([branch])
    assert result.status == "failed"
    assert "showed none of the states the tool knows" in result.reason
    assert 'the field labelled "Country"' in result.reason and 'text saying "only available' in result.reason
    assert "page-snapshot.json" in result.reason


def test_a_settled_page_that_shows_no_known_state_ends_the_wait_early(page, tmp_path):
    page.set_content("<h1>Something new</h1>")
    branch = Branch(purpose="a page", timeout=600, patience=0.5,
                    cases=[Case(when=[text("region")], steps=[Outcome(status="not_eligible", reason="region")])])
    result = make_runner(page, tmp_path).run([branch])  # a ten-minute timeout that must not be waited out
    assert result.status == "failed" and "once it had settled" in result.reason


def test_unless_and_settled_cases(page, tmp_path):
    """The signed-in rule: a sign only counts without a login form, and the address only once the page settled."""
    page.set_content("""<label for="p">Password</label><input id="p" type="password"><a href="#">Home</a>""")
    branch = Branch(purpose="signed in", timeout=5, patience=0.3, cases=[
        Case(when=[url(r"^about:", "any address")], unless=[field("password")], settled=True,
             steps=[Outcome(status="confirmed", reason="signed in")]),
    ])
    assert make_runner(page, tmp_path).run([branch]).status == "failed"
    page.set_content("""<a href="#">Home</a>""")
    assert make_runner(page, tmp_path).run([branch]).status == "confirmed"


def test_a_button_without_known_wording_is_found_as_the_only_submit_button(page, tmp_path):
    page.set_content("""<form onsubmit="window.clicked=['sent']; return false"><textarea></textarea>
        <button type="submit">Abschicken!</button></form>""")
    runner = make_runner(page, tmp_path)
    runner.execute([Click(target=button("send", fallback="submit"))])
    assert clicked(page) == ["sent"]


def test_branch_matches_an_address(page, tmp_path):
    page.route("https://www.facebook.com/checkpoint/**", lambda route: route.fulfill(body="<p>hello</p>",
                                                                                    content_type="text/html"))
    page.goto("https://www.facebook.com/checkpoint/?next=%2F")
    branch = Branch(purpose="login", timeout=1, cases=[
        Case(when=[url(r"^https://[^/]+/checkpoint/", "a checkpoint")],
             steps=[Outcome(status="needs_owner", reason="checkpoint")]),
    ])
    assert make_runner(page, tmp_path).run([branch]).status == "needs_owner"


def test_a_rehearsal_stops_before_send_and_sends_nothing(page, tmp_path):
    page.set_content(f"""<label for="r">Reason</label><textarea id="r"></textarea>
        <button {CLASSES()} onclick="(window.clicked=window.clicked||[]).push('send')">Send</button>""")
    runner = make_runner(page, tmp_path, rehearse=True)
    result = runner.run([
        Fill(target=label("reason"), value="my objection", record_as="reason"),
        Screenshot(name="filled-form"),
        Submit(target=button("send")),
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
    assert [field.get_attribute("id") for field in runner.secret_fields] == ["p", "c"]


def test_a_missing_emailed_code_hands_the_account_to_its_owner(page, tmp_path):
    page.set_content("""<label for="c">Confirmation code</label><input id="c">""")
    result = make_runner(page, tmp_path, code=None).run([EmailCode(target=label("code"))])
    assert result.status == "needs_owner" and "code did not arrive" in result.reason


def test_check_ticks_a_radio_by_its_label_and_records_it(page, tmp_path):
    page.set_content("""<fieldset><legend>Is your request about AI at Meta?</legend>
        <input type="radio" name="q" id="y"><label for="y">Yes</label>
        <input type="radio" name="q" id="n"><label for="n">No</label></fieldset>""")
    runner = make_runner(page, tmp_path)
    runner.execute([Check(target=role("radio", "yes"), record_as="about_ai", record_value="Yes")])
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
    from flows.wording import META

    runner = make_runner(page, tmp_path)
    runner.job.wording = META
    result = runner.run(objection_form(account, "I object. " * 20, wait=3))
    assert result.status == "failed" and "still on the page after Send" in result.reason


def test_a_refused_2fa_code_is_followed_by_the_next_windows_code_from_the_jobs_clock(page, tmp_path):
    """After a refused code the runner types a code from a later time window, never the same one again: with the
    job's clock moved on by one window per look, it has a new code at once instead of half a minute later."""
    import pyotp

    page.set_content("""<label for="c">Code</label><input id="c">""")
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    start = 1_800_000_000.0  # the start of a 30-second window
    looks = iter(start + 10 * step for step in range(100))  # each look at the clock: ten seconds later
    runner = make_runner(page, tmp_path, secrets_=FakeSecrets(totp=secret))
    runner.job.clock = lambda: next(looks)
    runner.execute([TypeSecret(target=label("code"), secret="totp")])
    first = page.get_by_label("Code").input_value()
    assert first == pyotp.TOTP(secret).at(start)
    runner.execute([TypeSecret(target=label("code"), secret="totp", fresh=True)])
    second = page.get_by_label("Code").input_value()
    assert second != first and second == pyotp.TOTP(secret).at(start + 30)
