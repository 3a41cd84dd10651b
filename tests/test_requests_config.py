"""The accounts file's `requests` and their tables: each mistake is a located error (file, line, account, field) with
how to fix it, before any browser starts. In-process, as a run loads the file, with the real flow registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.config import load_accounts
from automation.errors import ConfigError
from flows import flow_for, platforms, requests_by_platform
from flows.wording import languages

ANNA = '''[[accounts]]
name = "anna"
platform = "{platform}"
login = "anna@example.org"
email = "anna@example.org"
country = "DE"
'''


def load(tmp_path: Path, text: str):
    path = tmp_path / "accounts.toml"
    path.write_text(text)
    return path, load_accounts(path, languages=languages(), platforms=platforms(), requests=requests_by_platform())


def error_for(tmp_path: Path, text: str) -> tuple[Path, ConfigError]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return tmp_path / "accounts.toml", caught.value


def third_party(screenshot: str = "answer.png", option: str = "concern") -> str:
    return (f'[accounts.third_party_data]\noption = "{option}"\nprompts = "What do you know about Anna Example?"\n'
            f'screenshot = "{screenshot}"\n')


def test_without_requests_an_account_files_the_ai_objection_only(tmp_path):
    _, accounts = load(tmp_path, ANNA.format(platform="facebook"))
    [anna] = accounts.accounts
    assert anna.requests == ["ai-objection"] and anna.third_party_data is None and anna.disconnect_activity is None


def test_a_third_party_request_with_its_table_loads_with_the_screenshot_beside_the_file(tmp_path):
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "answer.png").write_bytes(b"\x89PNG\r\n\x1a\n fake")
    _, accounts = load(tmp_path, ANNA.format(platform="facebook") + 'requests = ["ai-objection", "third-party-data"]\n'
                       + third_party("evidence/answer.png"))
    [anna] = accounts.accounts
    assert anna.requests == ["ai-objection", "third-party-data"]
    assert anna.third_party_data.option == "concern"
    assert anna.third_party_data.screenshot == (tmp_path / "evidence" / "answer.png").resolve()


def test_an_unknown_request_name_is_located_and_lists_the_known_ones(tmp_path):
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["ai-objection", "thirdparty"]\n')
    assert str(error).splitlines()[0] == (
        f"{path}:7: account 'anna': field 'requests' names 'thirdparty', which is no request the tool knows "
        "(requests: ai-objection, third-party-data, disconnect-activity)")


def test_a_request_named_twice_is_located(tmp_path):
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["ai-objection", "ai-objection"]\n')
    assert f"{path}:7: account 'anna': field 'requests' names 'ai-objection' twice" in str(error)


def test_a_request_the_platform_has_no_flow_for_names_what_it_offers(tmp_path):
    (tmp_path / "answer.png").write_bytes(b"png")
    path, error = error_for(tmp_path, ANNA.format(platform="instagram")
                            + 'requests = ["ai-objection", "third-party-data"]\n' + third_party())
    assert error.message == (f"{path}:7: account 'anna': field 'requests' names 'third-party-data', which instagram "
                             "has no flow for")
    assert error.hint.startswith("instagram offers: ai-objection;")
    with pytest.raises(ConfigError) as caught:  # the registry says the same when asked directly
        flow_for("instagram", "third-party-data")
    assert "instagram has no flow for the request 'third-party-data'" in str(caught.value)


def test_a_third_party_request_without_its_table_says_what_to_add(tmp_path):
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["third-party-data"]\n')
    assert error.message == (f"{path}:7: account 'anna': field 'requests' names \"third-party-data\" but the account "
                             "has no [accounts.third_party_data] table")
    assert "option (one of access, delete, concern, object), prompts" in error.hint and "screenshot" in error.hint


def test_a_missing_screenshot_file_is_located_at_its_line(tmp_path):
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["third-party-data"]\n'
                            + third_party("gone/answer.png"))
    assert error.message == (f"{path}:11: account 'anna': field 'third_party_data.screenshot': no such file: "
                             f"{(tmp_path / 'gone' / 'answer.png').resolve()}")
    assert "screenshot of the AI's response" in error.hint and "relative to this file" in error.hint


def test_a_screenshot_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / "shots").mkdir()
    _, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["third-party-data"]\n'
                         + third_party("shots"))
    assert "field 'third_party_data.screenshot': not a file" in error.message


def test_an_option_meta_does_not_offer_is_located_with_the_choices(tmp_path):
    (tmp_path / "answer.png").write_bytes(b"png")
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["third-party-data"]\n'
                            + third_party(option="erase"))
    assert error.message == (f"{path}:9: account 'anna': field 'third_party_data.option' must be one of access, "
                             "delete, concern, object")


def test_a_table_without_its_request_is_a_mistake_not_silence(tmp_path):
    (tmp_path / "answer.png").write_bytes(b"png")
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + third_party())
    assert error.message == (f"{path}:7: account 'anna': [accounts.third_party_data] is given but 'requests' does not "
                             "name \"third-party-data\"")
    assert error.hint == "add \"third-party-data\" to requests = [...], or remove the table"


def test_an_unknown_field_in_the_third_party_table_lists_the_allowed_ones(tmp_path):
    (tmp_path / "answer.png").write_bytes(b"png")
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["third-party-data"]\n'
                            + third_party() + 'prompt_text = "x"\n')
    assert error.message == f"{path}:12: account 'anna': unknown field 'third_party_data.prompt_text'"
    assert error.hint == "allowed fields of [accounts.third_party_data]: option, prompts, screenshot"


def test_a_missing_prompts_field_says_where_to_add_it(tmp_path):
    (tmp_path / "answer.png").write_bytes(b"png")
    path, error = error_for(tmp_path, ANNA.format(platform="facebook") + 'requests = ["third-party-data"]\n'
                            '[accounts.third_party_data]\noption = "delete"\nscreenshot = "answer.png"\n')
    assert error.message == f"{path}:8: account 'anna': field 'third_party_data.prompts' is required"
    assert error.hint == 'add prompts = "..." to its [accounts.third_party_data] table'


def test_the_third_party_tables_have_every_key_in_seven_languages_and_quote_the_research():
    """The third-party flow's own wording folder: complete per language, in en.toml's order, and each `research`
    phrasing a quote of docs/research/meta-flows.md (as test_wording_tables holds the objection flows' tables)."""
    import tomllib

    from test_wording_tables import META_FLOWS, _fold

    folder = Path(__file__).resolve().parents[1] / "flows" / "third_party" / "wording"
    raw = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.toml")}
    assert sorted(raw) == sorted(("en", "de", "fr", "it", "es", "nl", "pl"))
    for language, table in raw.items():
        assert list(table) == list(raw["en"]), f"{language}.toml: keys not as in en.toml"
        assert all(entry.get("research") or entry.get("ours") for entry in table.values()), language
    notes = _fold(META_FLOWS.read_text(encoding="utf-8"))
    unquoted = [phrase for table in raw.values() for entry in table.values() for phrase in entry.get("research", [])
                if _fold(phrase) not in notes]
    assert unquoted == []


@pytest.mark.parametrize("language", ("en", "de", "fr", "it", "es", "nl", "pl"))
def test_each_option_of_the_third_party_form_is_told_apart_in_every_language(language):
    """On the mock's choice page in each language, each option's wording key matches its own choice and no other,
    whether the page's language is matched first or every language's phrasings (what the runner tries, in turn)."""
    from fixtures.mock_meta.third_party import OPTIONS, TEXTS
    from flows.third_party_data import OPTION_KEYS, WORDING

    labels = {option: TEXTS[language][option] for option in OPTIONS}
    for option, key in OPTION_KEYS.items():
        for pattern in WORDING.patterns(key, language)[:1] + [WORDING.pattern(key)]:
            matched = [name for name, text in labels.items() if pattern.search(text)]
            assert matched == [option], f"{language}: {key} matches {matched}"


@pytest.mark.parametrize("language", ("en", "de", "fr", "it", "es", "nl", "pl"))
def test_the_third_party_tables_read_the_mocks_labels_confirmation_and_emails_in_every_language(language):
    """The flow's tables against the mock's independent wording, language by language: each field's label, the
    confirmation (and not the form's own intro), and the verdict of Meta's two possible emails."""
    from email.message import EmailMessage

    from automation.mailcodes import is_about, verdict
    from fixtures.mock_meta.third_party import TEXTS
    from flows.third_party_data import WORDING

    t = TEXTS[language]
    labels = {"tp_full_name_field": "full_name", "tp_prompts_field": "prompts", "tp_screenshot_field": "screenshot"}
    for key, own in labels.items():
        pattern = WORDING.patterns(key, language)[0]
        assert [name for name in labels.values() if pattern.search(t[name])] == [own], f"{language}: {key}"
    assert WORDING.matches("tp_received", t["thanks"]) and not WORDING.matches("tp_received", t["intro"])
    for kind, expected in (("completed", "honoured"), ("declined", "refused")):
        mail = EmailMessage()
        mail["Subject"] = t["mail_subject"]
        mail.set_content(t[f"mail_{kind}"].format(first_name="Tia"))
        assert verdict(mail, WORDING) == expected, f"{language}: the {kind} email"
        assert is_about(mail, WORDING, "email_about")
