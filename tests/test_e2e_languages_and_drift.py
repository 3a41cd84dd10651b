"""Meta as it really is: pages in the account's language, the 2026 way to the form, forms whose wording or fields
changed, Instagram's churning login fields, and a signed-in page shown at the login address.

The real CLI in a subprocess, a real keyring, Debian's Chromium, and the mock of Meta (whose wording is written from
the research, not from the tool's tables). Each test asserts what the mock recorded as filed (or not), what the
archive holds, and what the user was told.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e_support import Person, table_row

pytestmark = pytest.mark.e2e

OBJECTION_OPENS = {"de": "Ich widerspreche gemäß Art. 21", "fr": "Je m'oppose, en vertu de l'article 21",
                   "it": "Mi oppongo, ai sensi dell'articolo 21", "en": "I object, under Article 21(1)"}
REGION = {"de": "DE", "fr": "FR", "it": "IT", "en": "IE"}


def person(language: str, platform: str, variant: str, **options) -> Person:
    short = {"facebook": "fb", "instagram": "ig"}[platform]
    return Person(f"{language}-{short}-{variant[2:]}", region=REGION[language], language=language, platform=platform,
                  form_variant=variant, **options)


@pytest.mark.slow
def test_objections_are_filed_in_german_french_and_italian_on_both_platforms_and_both_forms(world):
    people = [
        # German accounts leave `language` out: Germany's language is the default.
        *(person("de", platform, variant, declare_language=False) for platform in ("facebook", "instagram")
          for variant in ("2024", "2025")),
        *(person("fr", platform, variant, form_asks_country=variant == "2025") for platform in ("facebook", "instagram")
          for variant in ("2024", "2025")),
        *(person("it", platform, variant, email_prefill="other" if variant == "2025" else "account")
          for platform in ("facebook", "instagram") for variant in ("2024", "2025")),
    ]
    run = world(people)
    done = run.run("--concurrency", "3", timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr

    for someone in people:
        language = someone.language
        assert table_row(done.stdout, someone.name)[2] == "confirmed", done.stdout
        [filed] = run.mock.submissions(someone.login)
        assert filed["language"] == language and filed["variant"] == someone.form_variant
        meaning = filed["meaning"]
        # The accounts file's email, also where Meta pre-filled another address.
        assert meaning["email"] == someone.login
        assert meaning["reason"].startswith(OBJECTION_OPENS[language]), meaning["reason"][:80]
        asks_country = someone.form_variant == "2024" or someone.form_asks_country
        assert meaning["country"] == (REGION[language] if asks_country else "")

        [receipt] = run.receipts(someone.name)
        assert receipt["outcome"] == "confirmed" and receipt["sent"] is True
        assert receipt["language"] == {"expected": language, "page": language}
        found = receipt["fields_found_by"]
        assert set(found) == ({"country", "email", "reason"} if asks_country else {"email", "reason"})
        assert all(how.startswith("by its label") for how in found.values()), found
        assert receipt["fields"]["reason"].replace("\r\n", "\n") == meaning["reason"].replace("\r\n", "\n")
        if asks_country:
            assert receipt["fields"]["country"] == {"de": "Deutschland", "fr": "France", "it": "Italia"}[language]


@pytest.mark.slow
def test_the_2026_way_through_other_policies_and_the_product_chooser(world):
    people = [person("de", "facebook", "2024", totp=True), person("it", "instagram", "2025")]
    run = world(people, privacy_center="2026")
    done = run.run()
    assert done.returncode == 0, done.stdout + done.stderr
    for someone in people:
        [filed] = run.mock.submissions(someone.login)
        assert filed["language"] == someone.language
        assert run.receipts(someone.name)[0]["outcome"] == "confirmed"
    assert {event["login"] for event in run.mock.events("chooser_choice")} == {p.login for p in people}


@pytest.mark.slow
def test_a_reworded_or_reordered_form_is_filled_by_meaning_and_an_unknown_required_field_stops_before_filling(world):
    reworded = Person("reworded", region="IE", form_variant="2024", drift="reworded")
    reordered = Person("reordered", region="FR", language="fr", platform="instagram", form_variant="2025",
                       form_asks_country=True, drift="reordered")
    extra = Person("extra", region="IT", language="it", form_variant="2024", drift="extra_required")
    extra_ig = Person("extraig", region="DE", language="de", platform="instagram", form_variant="2025",
                      drift="extra_required", totp=True)
    run = world([reworded, reordered, extra, extra_ig])
    done = run.run(timeout=300)

    assert done.returncode == 5, done.stdout + done.stderr  # a form changed; nothing else failed
    for someone in (reworded, reordered):
        assert table_row(done.stdout, someone.name)[2] == "confirmed", done.stdout
        [filed] = run.mock.submissions(someone.login)
        assert filed["drift"] == someone.drift and filed["meaning"]["email"] == someone.login
    [receipt] = run.receipts("reworded")
    assert receipt["fields_found_by"] == {
        "country": "as the form's only drop-down list (its label matched no wording table)",
        "email": "as the form's only e-mail field (its label matched no wording table)",
        "reason": "as the form's only text area (its label matched no wording table)",
    }
    assert run.mock.submissions(reworded.login)[0]["meaning"]["country"] == "IE"

    for someone in (extra, extra_ig):
        assert "form changed, nothing sent" in done.stdout.split(f"{someone.name} ")[1].splitlines()[0]
        assert run.mock.submissions(someone.login) == []
        [receipt] = run.receipts(someone.name)
        assert receipt["outcome"] == "form_changed" and receipt["sent"] is False
        # Only the 2025 form's "Yes" that reveals its fields was ticked: none of the objection was filled.
        assert set(receipt["fields"]) <= {"about_ai_at_meta"}
        folder = Path(table_row(done.stdout, someone.name)[-1])
        snapshot = json.loads((folder / "page-snapshot.json").read_text())
        names = " ".join(control["name"] for control in snapshot["controls"])
        assert any(word in names for word in ("Data di nascita", "Geburtsdatum")), names
        raw = (folder / "page-snapshot.json").read_text()
        assert someone.password not in raw and someone.login not in raw
        assert "page-snapshot.json" in done.stdout and "nothing was filled or sent" in done.stdout.lower()
    assert run.verify().returncode == 0


@pytest.mark.slow
def test_saved_sessions_shown_signed_in_at_the_login_address_need_no_second_login(world):
    people = [person("de", "facebook", "2025"), person("it", "instagram", "2025")]
    run = world(people, signed_in_at_login="show")
    first = run.run("--rehearse")
    assert first.returncode == 0, first.stdout + first.stderr
    logins = len(run.mock.events("login"))
    assert logins == 2

    second = run.run("--rehearse")
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(run.mock.events("login")) == logins, "no login on the second run"
    assert [run.receipts(p.name)[-1]["logged_in_with"] for p in people] == ["saved session"] * 2


@pytest.mark.parametrize("fields", ["email", "unnamed"])
def test_instagram_login_fields_are_found_whatever_they_are_named(world, fields):
    user = person("fr", "instagram", "2025")
    checked = Person("checked", platform="instagram", region="NL", checkpoint="unusual_login")
    run = world([user, checked], instagram_login_fields=fields,
                instagram_cookie_allow="Allow essential and optional cookies")
    done = run.run()
    assert done.returncode == 3, done.stdout + done.stderr  # "This Was Me" is the owner's to answer
    assert len(run.mock.submissions(user.login)) == 1
    assert table_row(done.stdout, "checked")[2:4] == ["needs", "the"]
    assert run.mock.submissions(checked.login) == []
    assert {event.get("choice") for event in run.mock.events("cookie_choice")} == {"essential"}


def test_the_dry_run_says_which_language_it_expects_and_shows_the_text_in_it(world):
    anna = Person("anna", region="AT", language="de", declare_language=False)
    run = world([anna])
    done = run.run("--dry-run")
    assert done.returncode == 0, done.stderr
    assert "Language expected: German (de)" in done.stdout
    assert '"Senden" ("Send")' in done.stdout
    assert "| Ich widerspreche gemäß Art. 21" in done.stdout and "Österreich" in done.stdout
    assert run.mock.requests() == []
