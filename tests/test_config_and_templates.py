"""The accounts file and the objection text: good input loads, bad input is refused with its place named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from automation.config import load_accounts
from automation.errors import ConfigError
from automation.templates import MINIMUM_LENGTH, render_objection
from flows import platforms
from flows.wording import expected_language, languages, objection_text

GOOD = """\
[defaults]
country = "DE"

[[accounts]]
name = "anna-facebook"
platform = "facebook"
login = "anna@example.org"
email = "anna@example.org"
full_name = "Anna Example"
maildir = "mail/anna"

[[accounts]]
name = "shop"
platform = "facebook"
login = "+4915112345678"
email = "shop@example.org"
country = "ie"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text)
    return path


def test_a_good_file_loads_with_defaults_and_paths_relative_to_it(tmp_path):
    accounts = load_accounts(write(tmp_path, GOOD))
    anna, shop = accounts.accounts
    assert (anna.country, shop.country) == ("DE", "IE")
    assert anna.maildir == (tmp_path / "mail" / "anna").resolve()
    assert shop.country_names[0] == "Ireland"
    assert [a.name for a in accounts.select(["shop"])] == ["shop"]


@pytest.mark.parametrize("change, expected", [
    (('email = "shop@example.org"', 'email = "shop-at-example"'), r"accounts.toml:16: account 'shop': field 'email' is not an email"),
    (('platform = "facebook"\nlogin = "+49', 'platform = "myspace"\nlogin = "+49'), r"accounts.toml:14: account 'shop': field 'platform' must be one of facebook, instagram"),
    (('country = "ie"', 'country = "XX"'), r"accounts.toml:17: account 'shop': field 'country' 'XX' is not an ISO 3166 country code"),
    (('country = "ie"', 'contry = "IE"'), r"accounts.toml:17: account 'shop': unknown field 'contry'"),
    (('login = "+4915112345678"\n', ''), r"accounts.toml:12: account 'shop': field 'login' is required"),
])
def test_a_bad_account_names_the_file_line_account_and_field(tmp_path, change, expected):
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError, match=expected):
        load_accounts(write(tmp_path, GOOD.replace(old, new)), platforms=platforms())


def test_the_platforms_are_the_callers_the_engine_knows_none_of_its_own(tmp_path):
    with pytest.raises(ConfigError, match=r"accounts.toml:6: account 'anna-facebook': field 'platform' must be one of toy"):
        load_accounts(write(tmp_path, GOOD), platforms=["toy"])
    unchecked = load_accounts(write(tmp_path, GOOD.replace('"facebook"', '"myspace"')))  # the registry refuses it later
    assert {account.platform for account in unchecked.accounts} == {"myspace"}


def test_broken_toml_and_a_missing_file_say_where_and_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match=r"accounts.toml: not valid TOML: .*line 3"):
        load_accounts(write(tmp_path, '[defaults]\ncountry = "DE"\n[[accounts]\n'))
    with pytest.raises(ConfigError) as missing:
        load_accounts(tmp_path / "nope.toml")
    assert "accounts file not found" in str(missing.value) and "--config" in str(missing.value)


def test_an_unknown_account_name_lists_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="no account named 'bob'") as error:
        load_accounts(write(tmp_path, GOOD)).select(["bob"])
    assert "anna-facebook, shop" in str(error.value)


def test_the_default_objection_cites_article_21_and_fills_every_placeholder(tmp_path):
    anna = load_accounts(write(tmp_path, GOOD)).accounts[0]
    text = render_objection(anna, objection_text("en"), "en", today=dt.date(2026, 11, 23))
    assert "Article 21(1)" in text and "AI at Meta" in text
    assert "anna@example.org" in text and "Germany" in text and "Anna Example, 2026-11-23" in text
    assert "{" not in text and len(text) >= MINIMUM_LENGTH


@pytest.mark.parametrize("language, article, country", [
    ("de", "Art. 21 Abs. 1", "Deutschland"), ("fr", "article 21", "Allemagne"), ("it", "21", "Germania"),
    ("es", "21", "Alemania"), ("nl", "21", "Duitsland"), ("pl", "21", "Niemcy"),
])
def test_the_built_in_objection_is_written_in_the_accounts_language_with_the_country_named_in_it(
        tmp_path, language, article, country):
    anna = load_accounts(write(tmp_path, GOOD)).accounts[0]
    text = render_objection(anna, objection_text(language), language, today=dt.date(2026, 11, 23))
    assert article in text and country in text and "Anna Example" in text and "anna@example.org" in text
    assert "Article 21(1)" not in text and "{" not in text


def test_an_accounts_language_defaults_to_its_countrys_and_a_language_without_tables_is_refused(tmp_path):
    assert expected_language(None, "AT") == "de" and expected_language(None, "BE") == "nl"
    assert expected_language(None, "SE") == "en", "no Swedish tables yet: English"
    assert expected_language("fr", "DE") == "fr"
    path = write(tmp_path, GOOD.replace('country = "DE"', 'country = "DE"\nlanguage = "sv"', 1))
    with pytest.raises(ConfigError, match=r"accounts.toml:\d+: account 'anna-facebook': field 'language' 'sv' has no "
                       "wording tables yet") as error:
        load_accounts(path, languages=languages())
    assert "de, en, es, fr, it, nl, pl" in str(error.value)
    path = write(tmp_path, GOOD.replace('country = "DE"', 'country = "DE"\nlanguage = "german"', 1))
    with pytest.raises(ConfigError, match="is not an ISO 639-1 language code"):
        load_accounts(path, languages=languages())


def test_a_template_with_an_unknown_placeholder_is_refused_before_anything_runs(tmp_path):
    (tmp_path / "mine.txt").write_text("I object. " * 30 + "Signed {nmae}")
    path = write(tmp_path, GOOD.replace('maildir = "mail/anna"', 'template = "mine.txt"'))
    anna = load_accounts(path).accounts[0]
    with pytest.raises(ConfigError, match=r"uses unknown placeholder\(s\) \{nmae\}") as error:
        render_objection(anna, "", "en")
    assert "{name}" in str(error.value)


def test_a_user_template_is_used_and_a_too_short_one_refused(tmp_path):
    (tmp_path / "mine.txt").write_text("I, {name}, object to AI training on my data from {country}. " * 4)
    anna = load_accounts(write(tmp_path, GOOD.replace('maildir = "mail/anna"', 'template = "mine.txt"'))).accounts[0]
    assert render_objection(anna, "", "en").startswith("I, Anna Example, object to AI training on my data from Germany.")
    (tmp_path / "mine.txt").write_text("No AI please, {name}.")
    with pytest.raises(ConfigError, match="characters long"):
        render_objection(anna, "", "en")


def test_a_template_the_system_cannot_read_names_the_kind_of_error_when_it_gives_no_description(tmp_path, monkeypatch):
    (tmp_path / "mine.txt").write_text("I object. " * 30)
    anna = load_accounts(write(tmp_path, GOOD.replace('maildir = "mail/anna"', 'template = "mine.txt"'))).accounts[0]

    def failed(self):
        raise OSError()  # an OS error that carries no errno and no description

    monkeypatch.setattr(Path, "read_bytes", failed)
    with pytest.raises(ConfigError) as error:
        render_objection(anna, "", "en")
    assert str(error.value).startswith(f"account 'anna-facebook': cannot read template {tmp_path / 'mine.txt'}: OSError\n")
