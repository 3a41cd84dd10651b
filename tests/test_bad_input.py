"""Bad input, as a new user would write it: each case gives a clear error that names its file (and line where there is
one), exit code 2 from the CLI, no traceback, and nothing filed. Many cases are generated (Hypothesis): arbitrary
accounts files, near-valid ones, bytes that are not UTF-8, templates built from braces and placeholders, mirror URLs.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from automation.config import AccountsFile, is_loopback, load_accounts, parse_mirror
from automation.errors import ConfigError, ExitCode
from automation.templates import MINIMUM_LENGTH, render_objection
from flows import platforms
from flows.wording import expected_language, languages, objection_text
from e2e_support import ANNA_ACCOUNT

ROOT = Path(__file__).resolve().parent.parent
# No example database in the work tree; a failure prints the example that reproduces it. FUZZ_EXAMPLES: fewer for
# scripts/mutation.sh, more for a long hunt.
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

ACCOUNT = ANNA_ACCOUNT
MAILBOX = '[accounts.mailbox]\nhost = "imap.example.org"\nuser = "anna@example.org"\n'
LONG = "I object under Article 21(1) GDPR to the processing of my personal data for training AI at Meta. " * 2


def write(folder: Path, content: str | bytes, name: str = "accounts.toml") -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def load(path: Path) -> AccountsFile:
    return load_accounts(path, languages=languages(), platforms=platforms())


def refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as error:
        load(path)
    assert str(path) in str(error.value), "the error names the file"
    return error.value


# -- accounts files: each mistake named, with its file and line ----------------------------------------------------

LOCATED = {
    # case: (file content, line the error names or None, what the message says)
    "a name that climbs out of its folder": (ACCOUNT.replace('"anna"', '"../x"'), 2, r"field 'name' '\.\./x' must be"),
    "a name with a slash": (ACCOUNT.replace('"anna"', '"a/b"'), 2, r"field 'name' 'a/b' must be .*no '/'"),
    "a name with a backslash": (ACCOUNT.replace('"anna"', '"a\\\\b"'), 2, r"field 'name' .* must be"),
    "a name with a space": (ACCOUNT.replace('"anna"', '"anna smith"'), 2, r"field 'name' 'anna smith' must be"),
    "an empty name": (ACCOUNT.replace('"anna"', '""'), 2, r"field 'name' '' must be"),
    "a name of 65 characters": (ACCOUNT.replace('"anna"', '"' + "a" * 65 + '"'), 2, r"field 'name' .* must be 1 to 64"),
    "an email of spaces": (ACCOUNT.replace('email = "anna@example.org"', 'email = "   "'), 5, "is not an email address"),
    "an email of a tab": (ACCOUNT.replace('email = "anna@example.org"', 'email = "\\t"'), 5, "is not an email address"),
    "an email with a space around": (ACCOUNT.replace('email = "anna@example.org"', 'email = " anna@example.org"'), 5,
                                     "is not an email address"),
    "a login of spaces": (ACCOUNT.replace('login = "anna@example.org"', 'login = "   "'), 4,
                          "field 'login' is empty or only white space"),
    "a full name of spaces": (ACCOUNT + 'full_name = "  "\n', 7, "field 'full_name' is empty or only white space"),
    "platform a number": (ACCOUNT.replace('"facebook"', "3"), 3, "field 'platform' must be one of facebook, instagram"),
    "country a list": (ACCOUNT.replace('"DE"', '["DE"]'), 6, "field 'country' Input should be a valid string"),
    "country unknown": (ACCOUNT.replace('"DE"', '"EU"'), 6, "'EU' is not an ISO 3166 country code"),
    "language xx": (ACCOUNT + 'language = "xx"\n', 7, "'xx' is not an ISO 639-1 language code"),
    "language without tables": (ACCOUNT + 'language = "sv"\n', 7, "'sv' has no wording tables yet"),
    "language a number": (ACCOUNT + "language = 7\n", 7, "field 'language' Input should be a valid string"),
    "template a number": (ACCOUNT + "template = 3\n", 7, "field 'template'"),
    "template from an unknown user's home": (ACCOUNT + 'template = "~no-such-user-x/t.txt"\n', 7,
                                             "field 'template' is not a usable path"),
    "maildir with a NUL": (ACCOUNT + 'maildir = "mail\\u0000box"\n', 7, "field 'maildir' is not a usable path"),
    "mailbox port 0": (ACCOUNT + MAILBOX + "port = 0\n", 10, "field 'mailbox.port' Input should be greater than 0"),
    "mailbox port 70000": (ACCOUNT + MAILBOX + "port = 70000\n", 10, "field 'mailbox.port' Input should be less than"),
    "mailbox port a fraction": (ACCOUNT + MAILBOX + "port = 993.5\n", 10, "field 'mailbox.port'"),
    "mailbox tls ssl": (ACCOUNT + MAILBOX + 'tls = "ssl"\n', 10,
                        "field 'mailbox.tls' must be one of implicit, starttls, plain"),
    "mailbox plain to a remote host": (ACCOUNT + MAILBOX + 'tls = "plain"\n', 7,
                                       'tls = "plain" would send the mailbox password unencrypted to imap.example.org'),
    "mailbox without user": (ACCOUNT + '[accounts.mailbox]\nhost = "imap.example.org"\n', 7,
                             r"field 'mailbox.user' is required\n  hint: add user = .* to its \[accounts.mailbox\]"),
    "mailbox without host, inline": (ACCOUNT + 'mailbox = { user = "anna" }\n', 7, "field 'mailbox.host' is required"),
    "mailbox a string": (ACCOUNT + 'mailbox = "imap.example.org"\n', 7, "field 'mailbox'"),
    "mailbox with a password in it": (ACCOUNT + MAILBOX + 'password = "hunter2-secret"\n', 10,
                                      r"unknown field 'mailbox.password'\n  hint: secrets never go in this file.*"
                                      "credentials set anna"),
    "a field misspelt": (ACCOUNT + 'contry = "DE"\n', 7, "unknown field 'contry'"),
    "accounts as one table": ('[accounts]\nname = "anna"\nplatform = "facebook"\n', 1,
                              r"'accounts' is a single table\n  hint: .*\[\[accounts\]\]"),
    "accounts a list of numbers": ("accounts = [1, 2]\n", None, "account #1 is a number, not a table"),
    "accounts a list of strings": ('accounts = ["anna"]\n', None, "account #1 is a string, not a table"),
    "no accounts": ('[defaults]\ncountry = "DE"\n', None, r"no \[\[accounts\]\] entries"),
    "defaults a list": ("defaults = [1]\n" + ACCOUNT, None, r"\[defaults\] must be a table"),
    "settings a number": ("settings = 3\n" + ACCOUNT, None, r"\[settings\] must be a table"),
    "settings code wait 0": (ACCOUNT + "[settings]\ncode_wait_seconds = 0\n", None,
                             r"\[settings\] field 'code_wait_seconds': Input should be greater than 0"),
    "settings unknown key": (ACCOUNT + "[settings]\nconcurrency = 4\n", None, r"\[settings\] field 'concurrency'"),
    "an unknown top-level key": ("verbose = true\n" + ACCOUNT, None, "unknown table or key 'verbose'"),
    "a name used twice": (ACCOUNT + ACCOUNT, None, "account name used twice: anna"),
    "broken TOML": (ACCOUNT.replace('country = "DE"', 'country = "DE'), None, "not valid TOML"),
}


@pytest.mark.parametrize("case", LOCATED)
def test_a_mistake_in_the_accounts_file_is_named_with_its_file_and_line(tmp_path, case):
    content, line, says = LOCATED[case]
    path = write(tmp_path, content)
    error = refused(path)
    text = str(error)
    if line is not None:
        assert text.startswith(f"{path}:{line}: "), text
    assert re.search(says, text), text
    assert "hunter2-secret" not in text  # a secret put in the file by mistake is never repeated


NOT_UTF8 = {
    "Latin-1 (an old editor's default)": (ACCOUNT + "full_name = \"Jürgen Müller\"\n").encode("latin-1"),
    "Windows-1252 quotes": (ACCOUNT + "full_name = “Anna”\n").encode("cp1252"),
    "UTF-16 (Notepad's 'Unicode')": ACCOUNT.encode("utf-16"),
    "binary (a picture saved under the wrong name)": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(64),
    "binary (a zip)": b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x00\x00",
}


@pytest.mark.parametrize("case", NOT_UTF8)
def test_an_accounts_file_that_is_not_utf8_says_so_and_how_to_fix_it(tmp_path, case):
    path = write(tmp_path, NOT_UTF8[case])
    text = str(refused(path))
    assert re.match(re.escape(str(path)) + r":\d+: the accounts file is (not UTF-8 text|a binary file, not text|UTF-16 text, not UTF-8)", text)
    assert "hint: save it as UTF-8" in text and "UnicodeDecodeError" not in text


def test_the_line_of_the_first_byte_that_is_not_utf8_is_named(tmp_path):
    path = write(tmp_path, (ACCOUNT + "full_name = \"Jürgen\"\n").encode("latin-1"))
    assert str(refused(path)).startswith(f"{path}:7: the accounts file is not UTF-8 text (byte ")


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path):
    [anna] = load(write(tmp_path, "\ufeff".encode() + (ACCOUNT + 'full_name = "Jürgen"\n').encode())).accounts
    assert anna.full_name == "Jürgen"


# -- templates: never rendered when they are not exactly what the user meant ------------------------------------------


def account_with_template(tmp_path: Path, template: str | bytes):
    (tmp_path / "mine.txt").write_bytes(template if isinstance(template, bytes) else template.encode("utf-8"))
    return load(write(tmp_path, ACCOUNT + 'full_name = "Anna Example"\ntemplate = "mine.txt"\n')).accounts[0]


TEMPLATES = {
    "a stray opening brace": (LONG + "Signed {name", r"expected '\}' before end of string", "{{"),
    "a stray closing brace": (LONG + "Signed name}", r"Single '\}' encountered", "{{"),
    "a lone brace": (LONG + "{ ", r"(expected '\}'|unknown placeholder)", "{{"),
    "an empty placeholder": (LONG + "Signed {}", r"positional placeholder\(s\) \{\}", "{name}"),
    "a numbered placeholder": (LONG + "Signed {0}", r"positional placeholder\(s\) \{0\}", "{name}"),
    "a width": (LONG + "Signed {name:>10}", r"format spec or conversion in \{name:>10\}", "no ':' or '!'"),
    "a date format": (LONG + "On {date:%Y}", r"format spec or conversion in \{date:%Y\}", "no ':' or '!'"),
    "a repr conversion": (LONG + "Signed {name!r}", r"format spec or conversion in \{name!r\}", "no ':' or '!'"),
    "a conversion and a spec": (LONG + "{name!s:^30}", r"format spec or conversion in \{name!s:\^30\}", "{name}"),
    "a nested placeholder": (LONG + "{name:{date}}", r"format spec or conversion in \{name:\{date\}\}", "{name}"),
    "an attribute": (LONG + "{name.upper}", r"unknown placeholder\(s\) \{name.upper\}", "{name}"),
    "an index": (LONG + "{name[0]}", r"unknown placeholder\(s\) \{name\[0\]\}", "{name}"),
    "a misspelt placeholder": (LONG + "{Name}", r"unknown placeholder\(s\) \{Name\}", "{name}"),
}


@pytest.mark.parametrize("case", TEMPLATES)
def test_a_template_with_a_brace_mistake_is_refused_with_a_hint_never_rendered(tmp_path, case):
    template, says, hint = TEMPLATES[case]
    anna = account_with_template(tmp_path, template)
    with pytest.raises(ConfigError) as error:
        render_objection(anna, "", "en")
    text = str(error.value)
    assert text.startswith("account 'anna': ") and str(tmp_path / "mine.txt") in text
    assert re.search(says, text), text
    assert "hint:" in text and hint in text.partition("hint:")[2], text
    assert "Anna Example" not in text  # nothing was filled in


@pytest.mark.parametrize("content, says", [
    ((LONG + "Jürgen Müller").encode("latin-1"), "not UTF-8 text"),
    (LONG.encode("utf-16"), "UTF-16 text, not UTF-8"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200) + b"\xff", "a binary file, not text"),
])
def test_a_template_that_is_not_utf8_names_its_file_and_says_to_save_it_as_utf8(tmp_path, content, says):
    anna = account_with_template(tmp_path, content)
    with pytest.raises(ConfigError) as error:
        render_objection(anna, "", "en")
    text = str(error.value)
    assert f"template {tmp_path / 'mine.txt'}:" in text and says in text and "hint: save it as UTF-8" in text


def test_a_template_that_is_missing_or_a_folder_names_the_path(tmp_path):
    anna = account_with_template(tmp_path, LONG)
    (tmp_path / "mine.txt").unlink()
    with pytest.raises(ConfigError, match=r"cannot read template .*mine.txt: No such file"):
        render_objection(anna, "", "en")
    (tmp_path / "mine.txt").mkdir()
    with pytest.raises(ConfigError, match=r"cannot read template .*mine.txt: Is a directory"):
        render_objection(anna, "", "en")


def test_a_good_template_with_literal_braces_and_a_byte_order_mark_renders(tmp_path):
    anna = account_with_template(tmp_path, "\ufeff" + LONG + "{{not a placeholder}} {name}, {date}")
    text = render_objection(anna, "", "en", today=dt.date(2026, 11, 23))
    assert text.endswith("{not a placeholder} Anna Example, 2026-11-23") and not text.startswith("\ufeff")


# -- generated accounts files ---------------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{" + ", ".join(f"{toml_string(key)} = {toml_value(item)}" for key, item in value.items()) + "}"


def toml_document(document: dict, as_tables: bool) -> str:
    """TOML text for a document; with `as_tables`, accounts are written [[accounts]] and their mailbox
    [accounts.mailbox], the way people write them, so that line numbers can be looked up."""
    lines = []
    for key, value in document.items():
        if as_tables and key == "accounts" and isinstance(value, list) and all(isinstance(v, dict) for v in value):
            continue
        lines.append(f"{toml_string(key)} = {toml_value(value)}")
    accounts = document.get("accounts")
    if as_tables and isinstance(accounts, list) and all(isinstance(v, dict) for v in accounts):
        for entry in accounts:
            lines.append("[[accounts]]")
            inner = entry.get("mailbox") if isinstance(entry.get("mailbox"), dict) else None
            lines += [f"{key} = {toml_value(item)}" if re.fullmatch(r"[A-Za-z0-9_-]+", key)
                      else f"{toml_string(key)} = {toml_value(item)}"
                      for key, item in entry.items() if not (key == "mailbox" and inner is not None)]
            if inner is not None:
                lines.append("[accounts.mailbox]")
                lines += [f"{toml_string(key)} = {toml_value(item)}" for key, item in inner.items()]
    return "\n".join(lines) + "\n"


scalars = st.one_of(
    st.text(max_size=12), st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.sampled_from(["", " ", "DE", "facebook", "en"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)
anything_toml = st.dictionaries(st.one_of(st.sampled_from(["accounts", "defaults", "settings"]), st.text(max_size=8)),
                                values, max_size=4)

FIELDS = {
    "name": st.one_of(st.sampled_from(["anna", "bob-2", "../x", "a/b", "", " anna", "a" * 65]),
                      st.text(alphabet=string.ascii_letters + string.digits + "._-/ ", max_size=10)),
    "platform": st.sampled_from(["facebook", "instagram", "Facebook", "myspace", ""]),
    "login": st.one_of(st.sampled_from(["anna@example.org", "+4915112345678", " ", ""]), st.text(max_size=6)),
    "email": st.one_of(st.sampled_from(["anna@example.org", "   ", "anna@", "a@b.c", "anna @example.org"]),
                       st.text(max_size=10)),
    "country": st.one_of(st.sampled_from(["DE", "de", "IE", "XX", "EU", "", "DEU"]), st.text(max_size=3)),
    "language": st.sampled_from(["de", "en", "fr", "xx", "sv", "DE", "", "german"]),
    "full_name": st.sampled_from(["Anna Example", "", "  ", "Jürgen {name}"]),
    "template": st.sampled_from(["mine.txt", "missing.txt", ".", "~no-such-user-x/t.txt", "a\x00b", ""]),
    "maildir": st.sampled_from(["mail/anna", "~/Mail", "", "a\x00b"]),
    "contry": st.just("DE"),
}
MAILBOX_FIELDS = {
    "host": st.sampled_from(["imap.example.org", "127.0.0.1", "localhost", "", "::1"]),
    "user": st.sampled_from(["anna@example.org", ""]),
    "port": st.one_of(st.integers(min_value=-5, max_value=70000), st.sampled_from([0, 993, 65535, 65536])),
    "tls": st.sampled_from(["implicit", "starttls", "plain", "ssl", "TLS", ""]),
    "folder": st.sampled_from(["INBOX", "Meta", ""]),
    "password": st.just("hunter2-secret"),
}


def some_of(fields: dict) -> st.SearchStrategy[dict]:
    """A table holding a random selection of `fields`, each value from its own strategy or of a random type."""
    return st.fixed_dictionaries({}, optional={key: st.one_of(strategy, strategy, strategy, values)
                                               for key, strategy in fields.items()})


near_valid_account = st.builds(
    lambda base, mailbox: {**base, **({"mailbox": mailbox} if mailbox is not None else {})},
    st.fixed_dictionaries({"name": FIELDS["name"], "platform": FIELDS["platform"], "login": FIELDS["login"],
                           "email": FIELDS["email"], "country": FIELDS["country"]}).flatmap(
        lambda required: some_of(FIELDS).map(lambda extra: {**required, **extra})),
    st.one_of(st.none(), some_of(MAILBOX_FIELDS), values),
)
near_valid_file = st.fixed_dictionaries(
    {"accounts": st.lists(near_valid_account, min_size=1, max_size=3)},
    optional={"defaults": st.one_of(some_of(FIELDS), values), "settings": st.one_of(
        st.fixed_dictionaries({}, optional={"code_wait_seconds": st.one_of(st.floats(), values),
                                            "chromium": st.sampled_from(["/usr/bin/chromium", ""])}), values)},
)


def loads_or_refuses_with_the_path(path: Path, content: str | bytes) -> AccountsFile | None:
    write(path.parent, content, path.name)
    try:
        return load(path)
    except ConfigError as error:
        assert str(path) in str(error), str(error)
        return None


@FUZZ
@given(document=anything_toml, as_tables=st.booleans())
def test_any_toml_document_loads_or_is_refused_naming_the_file(tmp_path_factory, document, as_tables):
    text = toml_document(document, as_tables)
    tomllib.loads(text)  # the generator writes valid TOML: the tool must cope with whatever it means
    folder = tmp_path_factory.mktemp("any")
    loads_or_refuses_with_the_path(folder / "accounts.toml", text)


@FUZZ
@given(document=near_valid_file, as_tables=st.booleans())
@example(document={"accounts": [{"name": "anna", "platform": "facebook", "login": "a", "email": "a@b.c",
                                 "country": "DE", "mailbox": {"host": "h", "user": "u", "password": "hunter2-secret"}}]},
         as_tables=True)
def test_a_near_valid_accounts_file_loads_or_is_refused_and_its_objections_render_or_are_refused(
        tmp_path_factory, document, as_tables):
    folder = tmp_path_factory.mktemp("near")
    (folder / "mine.txt").write_text(LONG + "{name}, {country}, {date}")
    text = toml_document(document, as_tables)
    tomllib.loads(text)
    loaded = loads_or_refuses_with_the_path(folder / "accounts.toml", text)
    if loaded is None:
        return
    for account in loaded.accounts:
        language = expected_language(account.language, account.country)
        try:
            objection = render_objection(account, objection_text(language) if account.template is None else "",
                                         language)
        except ConfigError as error:
            assert f"account {account.name!r}" in str(error)
            continue
        assert len(objection) >= MINIMUM_LENGTH and account.display_name in objection


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_load_or_are_refused_naming_the_file(tmp_path_factory, content):
    loads_or_refuses_with_the_path(tmp_path_factory.mktemp("bytes") / "accounts.toml", content)


@FUZZ
@given(name=st.text(min_size=1, max_size=12).filter(lambda text: any(ord(char) > 127 for char in text)),
       encoding=st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-be", "cp437", "shift_jis"]))
def test_a_file_saved_in_another_encoding_is_refused_as_not_utf8(tmp_path_factory, name, encoding):
    try:
        content = (ACCOUNT + f"full_name = {toml_string(name)}\n").encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    try:
        content.decode("utf-8")
        assume(False)  # the same bytes happen to be UTF-8 too: nothing to refuse
    except UnicodeDecodeError:
        pass
    path = write(tmp_path_factory.mktemp("enc"), content)
    text = str(refused(path))
    assert "UTF-8" in text and "hint: save it as UTF-8" in text


# -- generated templates: either exactly the user's text with its placeholders filled, or refused -------------------

TOKENS = ["{", "}", "{{", "}}", "{name}", "{account}", "{country}", "{date}", "{}", "{0}", "{1}", "{name:>10}",
          "{name!r}", "{date:%Y}", "{nmae}", "{name.x}", "{name[0]}", "{ name }", ":", "!", "name", " ", "x", "\n", "é"]
VALUES = {"name": "Anna Example", "account": "anna@example.org", "country": "Germany", "date": "2026-11-23"}


def expected_rendering(template: str) -> str | None:
    """What a template must render to, by the rules the README gives; None where it must be refused."""
    out, position = [], 0
    for found in re.finditer(r"\{\{|\}\}|\{(name|account|country|date)\}|[{}]", template):
        out.append(template[position:found.start()])
        token = found.group(0)
        if token in ("{{", "}}"):
            out.append(token[0])
        elif found.group(1):
            out.append(VALUES[found.group(1)])
        else:
            return None
        position = found.end()
    return "".join(out) + template[position:]


@FUZZ
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=12))
@example(tokens=["{name:>10}"])
@example(tokens=["{name!r}"])
@example(tokens=["{{", "{name}", "}}"])
def test_a_generated_template_renders_exactly_or_is_refused(tmp_path_factory, tokens):
    folder = tmp_path_factory.mktemp("tpl")
    template = LONG + "".join(tokens)
    (folder / "mine.txt").write_text(template, encoding="utf-8")
    account = load(write(folder, ACCOUNT + 'full_name = "Anna Example"\ntemplate = "mine.txt"\n')).accounts[0]
    expected = expected_rendering(template)
    try:
        rendered = render_objection(account, "", "en", today=dt.date(2026, 11, 23))
    except ConfigError as error:
        assert expected is None, f"refused a good template: {error}"
        assert str(folder / "mine.txt") in str(error) and "hint:" in str(error)
        return
    assert expected is not None, f"rendered a template it should have refused: {rendered!r}"
    assert rendered == expected.strip()


# -- --mirror ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "https://localhost:8443/", "http://[::1]:9000/base",
                                 "http://127.0.0.5", "HTTP://LOCALHOST:1", " http://127.0.0.1:8080 "])
def test_a_loopback_mirror_is_accepted(url):
    assert parse_mirror(url) == url.strip()


@pytest.mark.parametrize("url, says", [
    ("not a url", "is not an http:// or https:// URL"),
    ("", "is not an http:// or https:// URL"),
    ("127.0.0.1:8080", "is not an http:// or https:// URL"),
    ("ftp://127.0.0.1/", "is not an http:// or https:// URL"),
    ("file:///etc/passwd", "is not an http:// or https:// URL"),
    ("javascript:alert(1)", "is not an http:// or https:// URL"),
    ("http://", "is not an http:// or https:// URL"),
    ("http://example.org", "must be on this machine"),
    ("https://www.facebook.com", "must be on this machine"),
    ("http://127.0.0.1.evil.example:8080", "must be on this machine"),
    ("http://localhost.example.org", "must be on this machine"),
    ("http://10.0.0.1:8080", "must be on this machine"),
    ("http://0.0.0.0:8080", "must be on this machine"),
    ("http://:8080", "must be on this machine"),
    ("http://evil.example#@127.0.0.1", "must be on this machine|no query or fragment"),
    ("http://user:pw@127.0.0.1:8080", "takes no user name or password"),
    ("http://127.0.0.1:8080/?x=1", "takes no query or fragment"),
    ("http://127.0.0.1:8080/#top", "takes no query or fragment"),
    ("http://127.0.0.1:99999", "is not a valid URL"),
    ("http://127.0.0.1:port", "is not a valid URL"),
    ("http://127.0.0.1:0", "port 0"),
])
def test_a_mirror_that_is_not_a_loopback_http_url_is_refused(url, says):
    with pytest.raises(ConfigError) as error:
        parse_mirror(url)
    text = str(error.value)
    assert text.startswith(f"--mirror {url!r}") and re.search(says, text) and "hint:" in text, text


@FUZZ
@given(url=st.one_of(st.text(max_size=40), st.builds(
    "{}://{}{}{}".format, st.sampled_from(["http", "https", "ftp", "HTTP", ""]),
    st.sampled_from(["127.0.0.1", "localhost", "[::1]", "example.org", "127.0.0.1.nip.io", "u@127.0.0.1", ""]),
    st.sampled_from(["", ":8080", ":0", ":65536", ":x"]), st.sampled_from(["", "/", "/base", "?q", "#f"]))))
def test_any_mirror_value_is_a_loopback_http_url_or_refused_naming_mirror(url):
    from urllib.parse import urlsplit

    try:
        accepted = parse_mirror(url)
    except ConfigError as error:
        assert str(error).startswith("--mirror ")
        return
    parts = urlsplit(accepted)
    assert parts.scheme.lower() in ("http", "https") and is_loopback(parts.hostname)
    assert not parts.query and not parts.fragment and parts.username is None


# -- the real CLI: exit 2, "Error:", no traceback, nothing written ------------------------------------------------

CLI_CASES = {
    "accounts file in Latin-1": (ACCOUNT + 'full_name = "Jürgen"\n').encode("latin-1"),
    "accounts file binary": b"\x89PNG\r\n\x1a\n" + bytes(40),
    "accounts a list of numbers": b"accounts = [1, 2]\n",
    "a name with a slash": ACCOUNT.replace('"anna"', '"a/b"').encode(),
    "mailbox tls ssl": (ACCOUNT + MAILBOX + 'tls = "ssl"\n').encode(),
    "a template with a format spec": (ACCOUNT + 'template = "mine.txt"\n').encode(),
    "a template in Latin-1": (ACCOUNT + 'template = "latin.txt"\n').encode(),
    "a template path from an unknown user's home": (ACCOUNT + 'template = "~no-such-user-x/t.txt"\n').encode(),
}


def cli_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("XDG_", "DBUS_", "SUBMIT_OBJECTIONS_", "PYTEST_"))}
    return {**env, "HOME": str(home), "PYTHONPATH": str(ROOT)}


def test_bad_input_through_the_cli_exits_2_with_an_error_and_no_traceback_and_files_nothing(tmp_path):
    started = {}
    for number, (case, content) in enumerate(CLI_CASES.items()):
        folder = tmp_path / f"case-{number}"
        (folder / "home").mkdir(parents=True)
        (folder / "mine.txt").write_text(LONG + "{name:>10}")
        (folder / "latin.txt").write_bytes((LONG + "Müller").encode("latin-1"))
        config = write(folder, content)
        args = ["--config", str(config), "--dry-run"]
        if number % 3 == 2:  # a real run, too: it must stop before any browser, keyring or archive
            args = ["--config", str(config), "--archive", str(folder / "archive"), "--mirror", "http://127.0.0.1:9"]
        started[case] = (folder, config, subprocess.Popen(
            [sys.executable, "-m", "cli", *args], cwd=ROOT, env=cli_env(folder / "home"), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for case, (folder, config, process) in started.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == ExitCode.CONFIG == 2, f"{case}: {process.returncode}\n{out}\n{err}"
        assert "Error:" in err and "Traceback" not in out + err, f"{case}:\n{err}"
        assert str(config) in err or str(folder / "mine.txt") in err or str(folder / "latin.txt") in err, err
        written = [path for path in (folder / "home").rglob("*") if path.is_file()]
        assert written == [] and not (folder / "archive").exists(), f"{case}: wrote {written}"


# -- the exact words of the template errors (each phrase is what the user reads; see tests/MUTANTS.md) -------------

PLACEHOLDER_LIST = "{name}, {account}, {country}, {date}"


def refusal(account, builtin: str = "") -> str:
    with pytest.raises(ConfigError) as error:
        render_objection(account, builtin, "en", today=dt.date(2026, 11, 23))
    return str(error.value)


def test_the_template_errors_say_exactly_what_to_do(tmp_path):
    anna = account_with_template(tmp_path, LONG + "{0} {} {1}")
    mine = tmp_path / "mine.txt"
    assert refusal(anna) == (f"account 'anna': {mine} uses positional placeholder(s) {{0}}, {{1}}, {{}}\n"
                             f"  hint: name what goes there: {PLACEHOLDER_LIST}; write a literal brace as {{{{ or }}}}")
    (mine).write_text(LONG + "{name!r} {date:%Y}")
    assert refusal(anna) == (f"account 'anna': {mine} uses a format spec or conversion in {{date:%Y}}, {{name!r}}\n"
                             f"  hint: placeholders take no ':' or '!' part: write {PLACEHOLDER_LIST} as they are; "
                             "write a literal brace as {{ or }}")
    (mine).write_text(LONG + "{nmae} {acount}")
    assert refusal(anna) == (f"account 'anna': {mine} uses unknown placeholder(s) {{acount}}, {{nmae}}\n"
                             f"  hint: placeholders you can use: {PLACEHOLDER_LIST}")
    (mine).write_text(LONG + "}")
    assert refusal(anna) == (f"account 'anna': {mine}: Single '}}' encountered in format string\n"
                             "  hint: write a literal brace as {{ or }}")
    (mine).write_bytes((LONG + "Jürgen").encode("latin-1"))
    assert refusal(anna) == (f"account 'anna': template {mine}:1 is not UTF-8 text (byte {len(LONG) + 2} is not "
                             "UTF-8)\n  hint: save it as UTF-8 (in most editors: Save as..., encoding UTF-8)")
    mine.unlink()
    assert refusal(anna) == (f"account 'anna': cannot read template {mine}: No such file or directory\n"
                             "  hint: fix the path in the accounts file's 'template' field, or remove it to use the "
                             "built-in text")


def test_the_minimum_length_is_exactly_the_minimum_and_the_built_in_text_is_named_as_such(tmp_path):
    anna = account_with_template(tmp_path, "x" * MINIMUM_LENGTH)
    assert render_objection(anna, "", "en") == "x" * MINIMUM_LENGTH
    (tmp_path / "mine.txt").write_text("x" * (MINIMUM_LENGTH - 1))
    assert refusal(anna) == (f"account 'anna': the objection from {tmp_path / 'mine.txt'} is {MINIMUM_LENGTH - 1} "
                             f"characters long\n  hint: the site rejects short reasons: write at least "
                             f"{MINIMUM_LENGTH} characters")
    with pytest.raises(ConfigError, match=f"hint: Meta rejects short reasons: write at least {MINIMUM_LENGTH} "):
        render_objection(anna, "", "en", site="Meta")  # the flow's site, as the CLI passes it
    [plain] = load(write(tmp_path, ACCOUNT)).accounts
    assert refusal(plain, "Too short, {name}.") == ("account 'anna': the objection from the built-in template is 16 "
                                                     "characters long\n  hint: the site rejects short reasons: write at "
                                                     f"least {MINIMUM_LENGTH} characters")
    assert refusal(plain, LONG + "{oops}").startswith("account 'anna': the built-in template uses unknown placeholder")


@pytest.mark.parametrize("mirror, says", [
    ("not a url", "is not an http:// or https:// URL"),
    ("http://example.org:8080", "the mirror must be on this machine"),
    ("ftp://127.0.0.1:21", "is not an http:// or https:// URL"),
])
def test_a_mirror_that_is_no_local_test_server_is_refused_by_the_cli_before_anything_runs(tmp_path, mirror, says):
    config = write(tmp_path, ACCOUNT.encode())
    (tmp_path / "home").mkdir()
    done = subprocess.run([sys.executable, "-m", "cli", "--config", str(config), "--archive", str(tmp_path / "archive"),
                           "--mirror", mirror], cwd=ROOT, env=cli_env(tmp_path / "home"), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"Error: --mirror {mirror!r}" in done.stderr and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "archive").exists()
