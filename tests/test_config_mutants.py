"""The accounts file's errors word for word: the file and line each names, the account, and the hint that says what to
do. Each case here was written for a mutant of automation/config.py that the looser tests let live (scripts/mutation.sh,
tests/MUTANTS.md): a hint that could say anything, a line that could be off by one, a label that could name the wrong
account. Fast: no browser, no CLI.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from automation.config import load_accounts, parse_mirror, read_text_file
from automation.errors import ConfigError
from flows import platforms
from flows.wording import languages
from e2e_support import ANNA_ACCOUNT

ACCOUNT = ANNA_ACCOUNT
BOB = ACCOUNT.replace('"anna"', '"bob"').replace("anna@", "bob@")
MIRROR_HINT = ("a mirror is a test server on this machine, such as http://127.0.0.1:8080; leave --mirror out to "
               "use the real site")
ACCOUNT_FIELDS = "name, platform, login, email, country, language, full_name, template, maildir, mailbox, requests, third_party_data, disconnect_activity, linked_to"
SECRETS_HINT = ("  hint: secrets never go in this file: remove it and run `submit-objections credentials set anna`, "
                "which keeps it in the keyring")
NOT_A_TABLE_HINT = "  hint: write each account as an [[accounts]] table with name, platform, login, ..."


def write(folder: Path, content: str | bytes) -> Path:
    path = folder / "accounts.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def error_for(path: Path) -> str:
    with pytest.raises(ConfigError) as error:
        load_accounts(path, languages=languages(), platforms=platforms())
    return str(error.value)


# Each case: the file, and the whole error the user reads ({path} is the file's path). With a line number where there is
# one; with the hint on its own line after "hint:".
EXACT = {
    # the file as a whole
    "broken TOML": ('[[accounts]]\nname = "anna\n',
                    "{path}: not valid TOML: {toml}\n  hint: fix the line it names"),
    "unknown top-level keys, all of them named": (
        "verbose = true\nzeal = 1\n" + ACCOUNT,
        "{path}: unknown table or key 'verbose', 'zeal'\n"
        "  hint: the file has [defaults], [settings] and [[accounts]] entries only"),
    "accounts as one table, further down": ('# my accounts\n\n[ accounts ]\nname = "anna"\n',
                                            "{path}:3: 'accounts' is a single table\n  hint: write each account as an "
                                            "[[accounts]] table (two brackets), one per account"),
    "accounts as one inline table on the first line": (
        'accounts = { name = "anna" }\n',
        "{path}:1: 'accounts' is a single table\n"
        "  hint: write each account as an [[accounts]] table (two brackets), one per account"),
    "no accounts": ('[defaults]\ncountry = "DE"\n',
                    "{path}: no [[accounts]] entries\n  hint: add one [[accounts]] table per account"),
    "accounts an empty list": ('accounts = []\n',
                               "{path}: no [[accounts]] entries\n  hint: add one [[accounts]] table per account"),
    "defaults a list": ("defaults = [1]\n" + ACCOUNT, "{path}: [defaults] must be a table"),
    "settings a number": ("settings = 3\n" + ACCOUNT, "{path}: [settings] must be a table\n"
                                                      "  hint: write it as a [settings] table"),
    "settings unknown key": (ACCOUNT + "[settings]\nconcurrency = 4\n",
                             "{path}: [settings] field 'concurrency': Extra inputs are not permitted"),
    "two names used twice": (ACCOUNT + BOB + ACCOUNT + BOB,
                             "{path}: account name used twice: anna, bob\n  hint: give each account its own name"),
    # an account that is not a table, said in words
    "an account that is true": ("accounts = [true]\n", "{path}: account #1 is true or false, not a table\n"
                               + NOT_A_TABLE_HINT),
    "an account that is a fraction": ("accounts = [1.5]\n", "{path}: account #1 is a number, not a table\n"
                                     + NOT_A_TABLE_HINT),
    "an account that is a list": ("accounts = [[1]]\n", "{path}: account #1 is a list, not a table\n"
                                 + NOT_A_TABLE_HINT),
    "an account that is a date": ("accounts = [1979-05-27]\n", "{path}: account #1 is a value, not a table\n"
                                 + NOT_A_TABLE_HINT),
    "the second account a string": ('accounts = [{ name = "anna", platform = "facebook", login = "a", email = "a@b.c", '
                                    'country = "DE" }, "bob"]\n',
                                    "{path}: account #2 is a string, not a table\n" + NOT_A_TABLE_HINT),
    # paths
    "a template path from an unknown user's home": (ACCOUNT + 'template = "~no-such-user-x/t.txt"\n',
                                                    "{path}:7: account 'anna': field 'template' is not a usable path "
                                                    "(Could not determine home directory.)\n"
                                                    "  hint: write a plain file path, relative to this file"),
    "a bad path in the second account, whose name is no string": (
        ACCOUNT + ACCOUNT.replace('"anna"', "7") + 'maildir = "mail\\u0000box"\n',
        "{path}:13: account #2: field 'maildir' is not a usable path (embedded null byte)\n"
        "  hint: write a plain file path, relative to this file"),
    "a bad path in an account written inline": (
        'accounts = [{ name = "anna", template = "~no-such-user-x/t.txt" }]\n',
        "{path}: account 'anna': field 'template' is not a usable path (Could not determine home directory.)\n"
        "  hint: write a plain file path, relative to this file"),
    # platform
    "the second account's platform, its name no string": (
        ACCOUNT + ACCOUNT.replace('"anna"', "7").replace('"facebook"', '"myspace"'),
        "{path}:9: account #2: field 'platform' must be one of facebook, instagram"),
    # fields: unknown, secret, missing, wrong
    "a field misspelt": (ACCOUNT + 'contry = "DE"\n',
                         "{path}:7: account 'anna': unknown field 'contry'\n  hint: allowed fields: " + ACCOUNT_FIELDS),
    "a field misspelt in the mailbox": (ACCOUNT + '[accounts.mailbox]\nhost = "h"\nuser = "u"\nfoldr = "INBOX"\n',
                                        "{path}:10: account 'anna': unknown field 'mailbox.foldr'\n"
                                        "  hint: allowed fields of [accounts.mailbox]: host, port, tls, user, folder"),
    "a password in the account itself": (ACCOUNT + 'password = "hunter2-secret"\n',
                                         "{path}:7: account 'anna': unknown field 'password'\n" + SECRETS_HINT),
    "a passwd in the mailbox": (ACCOUNT + '[accounts.mailbox]\nhost = "h"\nuser = "u"\npasswd = "hunter2-secret"\n',
                                "{path}:10: account 'anna': unknown field 'mailbox.passwd'\n" + SECRETS_HINT),
    "a 2FA secret": (ACCOUNT + 'two_factor_secret = "JBSWY3DPEHPK3PXP"\n',
                     "{path}:7: account 'anna': unknown field 'two_factor_secret'\n" + SECRETS_HINT),
    "a TOTP seed in an account named in [defaults]": (
        '[defaults]\nname = "anna"\n' + ACCOUNT.replace('name = "anna"\n', "") + 'TOTP = "JBSWY3DP"\n',
        "{path}:8: account #1: unknown field 'TOTP'\n" + SECRETS_HINT.replace("set anna", "set NAME")),
    "a login left out": (ACCOUNT.replace('login = "anna@example.org"\n', ""),
                         "{path}:1: account 'anna': field 'login' is required\n"
                         "  hint: add login = \"...\" to this account"),
    "the mailbox's user left out": (ACCOUNT + '[accounts.mailbox]\nhost = "imap.example.org"\n',
                                    "{path}:7: account 'anna': field 'mailbox.user' is required\n"
                                    "  hint: add user = \"...\" to its [accounts.mailbox] table"),
    "a name that is a number, in the second account": (
        ACCOUNT + ACCOUNT.replace('"anna"', "7"), "{path}:8: account #2: field 'name' Input should be a valid string"),
    "a field wrong in an account written inline": (
        'accounts = [{ name = "anna", platform = "facebook", login = "a", email = "nope", country = "DE" }]\n',
        "{path}: account 'anna': field 'email' is not an email address (expected something like name@example.org)"),
    "a field missing in an account written inline": (
        'accounts = [{ name = "anna", platform = "facebook", email = "a@b.c", country = "DE" }]\n',
        "{path}: account 'anna': field 'login' is required\n  hint: add login = \"...\" to this account"),
    "tls misspelt": (ACCOUNT + '[accounts.mailbox]\nhost = "h"\nuser = "u"\ntls = "ssl"\n',
                     "{path}:10: account 'anna': field 'mailbox.tls' must be one of implicit, starttls, plain"),
    # the line of a field in the mailbox table
    "the mailbox's first key wrong": (ACCOUNT + '[accounts.mailbox]\nport = 0\nhost = "h"\nuser = "u"\n',
                                      "{path}:8: account 'anna': field 'mailbox.port' Input should be greater than 0"),
    "a mailbox table written with spaces": (ACCOUNT + '[ accounts.mailbox ]\nhost = "h"\nuser = "u"\nport = 0\n',
                                            "{path}:10: account 'anna': field 'mailbox.port' Input should be greater "
                                            "than 0"),
    "an inline mailbox wrong, the next account's mailbox a table": (
        ACCOUNT + 'mailbox = { host = "h" }\n' + BOB + '[accounts.mailbox]\nhost = "h"\nuser = "u"\n',
        "{path}:7: account 'anna': field 'mailbox.user' is required\n"
        "  hint: add user = \"...\" to its [accounts.mailbox] table"),
    "a mailbox key missing, a table after the mailbox holding one of that name": (
        ACCOUNT + '[accounts.mailbox]\nhost = "h"\n[accounts.extra]\nuser = "u"\n',
        "{path}:7: account 'anna': field 'mailbox.user' is required\n"
        "  hint: add user = \"...\" to its [accounts.mailbox] table"),
    "an inline mailbox wrong, the account before's mailbox a table": (
        ACCOUNT + '[accounts.mailbox]\nhost = "h"\nuser = "u"\n' + BOB + 'mailbox = { host = "h" }\n',
        "{path}:16: account 'bob': field 'mailbox.user' is required\n"
        "  hint: add user = \"...\" to its [accounts.mailbox] table"),
}


@pytest.mark.parametrize("case", EXACT)
def test_each_mistake_in_the_accounts_file_reads_exactly(tmp_path, case):
    content, expected = EXACT[case]
    path = write(tmp_path, content)
    text = error_for(path)
    toml = text.partition("not valid TOML: ")[2].partition("\n")[0]  # tomllib's own words, with its line number
    assert text == expected.format(path=path, toml=toml)
    assert "hunter2-secret" not in text


def test_a_missing_accounts_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_accounts(tmp_path / "accounts.toml")
    assert str(error.value) == (f"accounts file not found: {tmp_path / 'accounts.toml'}\n"
                                "  hint: run `submit-objections init` to write one (at a terminal it asks for each "
                                "account), or name another with --config (see README, 'The accounts file')")


def test_an_accounts_file_that_cannot_be_read_says_why_and_what_to_check(tmp_path, monkeypatch):
    path = write(tmp_path, ACCOUNT)

    def denied(self):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)  # as for a user without the right to read it (tests run as root)
    with pytest.raises(ConfigError) as error:
        load_accounts(path)
    assert str(error.value) == (f"{path}: cannot read the accounts file: Permission denied\n"
                                "  hint: check the path and the file's permissions")

    def failed(self):
        raise OSError()  # an OS error without a description

    monkeypatch.setattr(Path, "read_bytes", failed)
    with pytest.raises(ConfigError) as error:
        read_text_file(path, "accounts file")
    assert str(error.value).startswith(f"{path}: cannot read the accounts file: OSError\n")


def test_a_file_that_is_not_utf8_names_the_line_and_byte(tmp_path):
    path = write(tmp_path, (ACCOUNT + 'full_name = "Jürgen"\n').encode("latin-1"))
    byte = len(ACCOUNT) + len('full_name = "J') + 1
    assert error_for(path) == (f"{path}:7: the accounts file is not UTF-8 text (byte {byte} is not UTF-8)\n"
                               "  hint: save it as UTF-8 (in most editors: Save as..., encoding UTF-8)")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_of_either_byte_order_is_named_as_utf16(tmp_path, encoding):
    path = write(tmp_path, "\ufeff".encode(encoding) + ACCOUNT.encode(encoding))
    assert error_for(path) == (f"{path}:1: the accounts file is UTF-16 text, not UTF-8 (byte 1 is not UTF-8)\n"
                               "  hint: save it as UTF-8 (in most editors: Save as..., encoding UTF-8)")


def test_the_settings_are_loaded(tmp_path):
    loaded = load_accounts(write(tmp_path, ACCOUNT + "[settings]\ncode_wait_seconds = 30\n"))
    assert loaded.settings.code_wait_seconds == 30


def test_an_absolute_path_is_used_as_written(tmp_path):
    (tmp_path / "real-mail").mkdir()
    (tmp_path / "mail").symlink_to(tmp_path / "real-mail")
    [anna] = load_accounts(write(tmp_path, ACCOUNT + f'maildir = "{tmp_path / "mail"}"\n')).accounts
    assert anna.maildir == tmp_path / "mail", "the path the user named, not where a symlink leads"
    [anna] = load_accounts(write(tmp_path, ACCOUNT + 'maildir = "mail"\n')).accounts
    assert anna.maildir == tmp_path / "real-mail", "a relative path is made absolute from the accounts file's folder"


def test_selecting_accounts_by_name(tmp_path):
    loaded = load_accounts(write(tmp_path, ACCOUNT + BOB))
    assert loaded.select([]) == loaded.select(()) == loaded.accounts, "no --account: every account"
    assert [account.name for account in loaded.select(["bob", "anna"])] == ["bob", "anna"]
    assert loaded.get("bob").login == "bob@example.org"
    with pytest.raises(ConfigError) as error:
        loaded.select(["eve", "anna", "zed"])
    assert str(error.value) == (f"{loaded.path}: no account named 'eve', 'zed'\n"
                                "  hint: accounts in this file: anna, bob")
    with pytest.raises(ConfigError, match="no account named 'eve'"):
        loaded.get("eve")


# -- --mirror -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, message", [
    ("http://anna@127.0.0.1:8080",
     "--mirror 'http://anna@127.0.0.1:8080': a mirror URL takes no user name or password"),
    ("http://127.0.0.1:8080/?", "--mirror 'http://127.0.0.1:8080/?': a mirror URL takes no query or fragment"),
    ("http://127.0.0.1:8080/#", "--mirror 'http://127.0.0.1:8080/#': a mirror URL takes no query or fragment"),
    ("http://:8080", "--mirror 'http://:8080': the mirror must be on this machine (localhost, 127.0.0.1 or ::1), not "
                     "an empty host"),
    ("http://example.org", "--mirror 'http://example.org': the mirror must be on this machine (localhost, 127.0.0.1 "
                           "or ::1), not example.org"),
])
def test_a_mirror_refused_says_exactly_why_and_what_a_mirror_is(url, message):
    with pytest.raises(ConfigError) as error:
        parse_mirror(url)
    assert str(error.value) == f"{message}\n  hint: {MIRROR_HINT}"


@pytest.mark.parametrize("value", [None, 8080, b"http://127.0.0.1:8080"])
def test_a_mirror_that_is_no_text_is_refused_as_any_other_bad_value(value):
    with pytest.raises(ConfigError) as error:
        parse_mirror(value)
    assert str(error.value) == f"--mirror {value!r} is not an http:// or https:// URL\n  hint: {MIRROR_HINT}"

