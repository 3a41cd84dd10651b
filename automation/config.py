"""The accounts file: TOML in, validated pydantic models out, errors that name the file, line, account and field.

    [defaults]                 # optional: any account field, used where an account leaves it out
    country = "DE"

    [[accounts]]
    name = "anna"              # your own label: used in the keyring, the archive and the table
    platform = "..."           # one of the platforms a flow is registered for (the caller passes them in)
    login = "anna@example.org" # what you type into the site's login field
    email = "anna@example.org" # the account's email address (the site sends its codes there)
    country = "DE"             # country of residence, ISO 3166 code
    language = "de"            # optional: the language the site shows this account's pages in (default: the country's)
    full_name = "Anna Example" # optional: signs the objection
    template = "my-text.txt"   # optional: your own objection text (relative to this file)
    maildir = "~/Mail/anna"    # optional: a local Maildir where the site's emails arrive
    [accounts.mailbox]         # optional, instead: the mailbox over IMAP (password: `credentials set NAME`)
    host = "imap.example.org"
    user = "anna@example.org"  # tls = "implicit" (993, default) | "starttls" (143) | "plain" (loopback only)
    requests = ["ai-objection", "third-party-data"]  # optional: what to file (default: the AI objection only)
    [accounts.third_party_data]  # with "third-party-data": which of the site's choices, the prompts, a screenshot
    option = "object"          # access | delete | concern | object
    prompts = "..."            # the prompts that made the AI answer with information about you
    screenshot = "answer.png"  # a screenshot of that answer (relative to this file)
    [accounts.disconnect_activity]  # optional, with "disconnect-activity"
    action = "disconnect-future"    # or "clear-previous"

The README's "The accounts file" has the example with real platforms. Passwords and 2FA secrets never go in this
file: `submit-objections credentials set NAME` keeps them in the keyring.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
import urllib.parse
from pathlib import Path
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from automation.countries import country_names
from automation.errors import ConfigError
from automation.languages import language_name
from automation.outcomes import command

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

NAME_RULE = "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit (no '/' or spaces)"
UTF8_HINT = "save it as UTF-8 (in most editors: Save as..., encoding UTF-8)"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name such as 127.example.org is not an address, let alone a loopback one
        return False


def read_text_file(path: Path, what: str) -> str:
    """A file the user wrote, as text: UTF-8 (a byte-order mark is allowed); any other encoding, a binary file or
    an unreadable one is a ConfigError naming the file (and the line of the first byte that is not UTF-8)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the {what}: {error.strerror or type(error).__name__}",
                          hint="check the path and the file's permissions") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, kind = not_utf8(data, error)
        raise ConfigError(f"{path}:{line}: the {what} is {kind} (byte {error.start + 1} is not UTF-8)",
                          hint=UTF8_HINT) from None


def not_utf8(data: bytes, error: UnicodeDecodeError) -> tuple[int, str]:
    """The line of the first byte that is not UTF-8, and what the file seems to be instead."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return 1, "UTF-16 text, not UTF-8"
    line = data[:error.start].count(b"\n") + 1
    return line, "a binary file, not text" if b"\0" in data else "not UTF-8 text"


def parse_mirror(value: str) -> str:
    """The --mirror URL: http:// or https:// to a loopback host only (a mirror serves the site's pages for tests and
    demos; it is never a remote server). Anything else is a ConfigError naming --mirror."""
    hint = ("a mirror is a test server on this machine, such as http://127.0.0.1:8080; leave --mirror out to use the "
            "real site")
    text = value.strip() if isinstance(value, str) else ""
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ConfigError(f"--mirror {value!r} is not a valid URL ({error})", hint=hint) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--mirror {value!r} is not an http:// or https:// URL", hint=hint)
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"--mirror {value!r}: a mirror URL takes no user name or password", hint=hint)
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ConfigError(f"--mirror {value!r}: a mirror URL takes no query or fragment", hint=hint)
    if not parts.hostname or not is_loopback(parts.hostname):
        raise ConfigError(f"--mirror {value!r}: the mirror must be on this machine (localhost, 127.0.0.1 or ::1), "
                          f"not {parts.hostname or 'an empty host'}", hint=hint)
    if port == 0:
        raise ConfigError(f"--mirror {value!r}: port 0 is not a port to connect to", hint=hint)
    return text


class Mailbox(BaseModel):
    """Where the site's emails to the account arrive, read over IMAP; its password lives in the keyring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, gt=0, lt=65536)
    tls: Literal["implicit", "starttls", "plain"] = "implicit"
    user: str = Field(min_length=1)
    folder: str = "INBOX"

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> "Mailbox":
        if self.tls == "plain" and not is_loopback(self.host):
            raise ValueError(f"tls = \"plain\" would send the mailbox password unencrypted to {self.host}; "
                             "use \"implicit\" (port 993) or \"starttls\" (port 143)")
        return self


# The requests an account may name, in words; which of them a platform offers is the caller's (its flow registry).
REQUESTS = {
    "ai-objection": "object to the use of your information for AI (GDPR Art. 21)",
    "third-party-data": "a request about information from third parties used for AI",
    "disconnect-activity": "disconnect the activity other businesses share",
}
# Each request's own table of options in the accounts file, when it has one.
REQUEST_TABLES = {"third-party-data": "third_party_data", "disconnect-activity": "disconnect_activity"}
THIRD_PARTY_OPTIONS = {
    "access": "access, download or correct the information",
    "delete": "delete the information",
    "concern": "a concern about a response from an AI model",
    "object": "object to or restrict the processing",
}


class ThirdPartyData(BaseModel):
    """[accounts.third_party_data]: what the request about information from third parties asks, and its evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    option: Literal["access", "delete", "concern", "object"]
    prompts: str = Field(min_length=1)  # the prompts that produced the AI's response
    screenshot: Path  # a screenshot of the response (relative paths: to the accounts file)

    @field_validator("prompts")
    @classmethod
    def _prompts(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty or only white space")
        return value.strip()


class DisconnectActivity(BaseModel):
    """[accounts.disconnect_activity]: what to do with the activity other businesses share."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["disconnect-future", "clear-previous"] = "disconnect-future"


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    platform: str = Field(min_length=1)
    login: str = Field(min_length=1)
    email: str
    country: str
    language: str | None = None
    full_name: str | None = None
    template: Path | None = None
    maildir: Path | None = None
    mailbox: Mailbox | None = None
    requests: list[str] = ["ai-objection"]
    third_party_data: ThirdPartyData | None = None
    disconnect_activity: DisconnectActivity | None = None
    linked_to: str | None = None  # another account of this file in the same Accounts Centre (the site's term)

    @field_validator("requests")
    @classmethod
    def _requests(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("is empty; name at least one request, for example [\"ai-objection\"]")
        unknown = [name for name in value if name not in REQUESTS]
        if unknown:
            raise ValueError(f"names {', '.join(map(repr, unknown))}, which is no request the tool knows (requests: "
                             f"{', '.join(REQUESTS)})")
        twice = sorted({name for name in value if value.count(name) > 1})
        if twice:
            raise ValueError(f"names {', '.join(map(repr, twice))} twice; name each request once")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:  # it names the account's folders and keyring entries
        if not re.fullmatch(NAME_PATTERN, value) or value != value.strip():
            raise ValueError(f"{value!r} {NAME_RULE}")
        return value

    @field_validator("login", "full_name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty or only white space")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_PATTERN.match(value):
            raise ValueError("is not an email address (expected something like name@example.org)")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{value!r} is not an ISO 3166 country code (for example DE, FR, GB, IE)")
        return code

    @field_validator("language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.strip().lower()
        if len(code) != 2 or language_name(code) is None:
            raise ValueError(f"{value!r} is not an ISO 639-1 language code (for example de, fr, it, es, nl, pl, en)")
        return code

    @property
    def display_name(self) -> str:
        return self.full_name or self.name

    @property
    def country_names(self) -> list[str]:
        return list(country_names(self.country))


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    chromium: Path | None = None
    code_wait_seconds: float = Field(default=180, gt=0)


class AccountsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    accounts: list[Account]
    settings: Settings = Settings()

    def select(self, names: tuple[str, ...] | list[str]) -> list[Account]:
        if not names:
            return list(self.accounts)
        known = {account.name: account for account in self.accounts}
        missing = [name for name in names if name not in known]
        if missing:
            raise ConfigError(
                f"{self.path}: no account named {', '.join(map(repr, missing))}",
                hint=f"accounts in this file: {', '.join(known) or '(none)'}",
            )
        return [known[name] for name in names]

    def get(self, name: str) -> Account:
        return self.select([name])[0]

    def linked_with(self, name: str) -> list[Account]:
        """The other accounts of this file linked to `name` (`linked_to`, followed both ways and on through each
        linked account): the accounts one request in a shared account centre may cover, in file order."""
        if not any(account.linked_to for account in self.accounts):
            return []  # asked of every account of a file that links none: not a walk through the file each time
        group, frontier = {name}, [name]
        while frontier:
            current = frontier.pop()
            for account in self.accounts:
                neighbours = {account.linked_to} if account.name == current else set()
                if account.linked_to == current:
                    neighbours.add(account.name)
                for other in neighbours - {None} - group:
                    group.add(other)
                    frontier.append(other)
        return [account for account in self.accounts if account.name in group and account.name != name]


def load_accounts(path: Path, languages: list[str] | None = None, platforms: list[str] | None = None,
                  requests: dict[str, list[str]] | None = None) -> AccountsFile:
    """`languages`: the languages an account may name (those the flows have wording and texts for); `platforms`: the
    platforms a flow is registered for, which the caller takes from its registry (this module knows none). With
    None, any platform passes here, and the caller's registry refuses one it has no flow for. `requests`: per
    platform, the requests a flow is registered for (None: any request the tool knows passes here)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"accounts file not found: {path}",
            hint="run `submit-objections init` to write one (at a terminal it asks for each account), or name another "
            "with --config (see README, 'The accounts file')",
        )
    text = read_text_file(path, "accounts file")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}", hint="fix the line it names") from None

    unknown = set(raw) - {"defaults", "accounts", "settings"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown table or key {', '.join(sorted(map(repr, unknown)))}",
            hint="the file has [defaults], [settings] and [[accounts]] entries only",
        )
    entries = raw.get("accounts")
    if isinstance(entries, dict):
        raise ConfigError(f"{path}:{_line_of_header(text, '[accounts]') or 1}: 'accounts' is a single table",
                          hint="write each account as an [[accounts]] table (two brackets), one per account")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[accounts]] entries", hint="add one [[accounts]] table per account")
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")
    if not isinstance(raw.get("settings", {}), dict):
        raise ConfigError(f"{path}: [settings] must be a table", hint="write it as a [settings] table")

    accounts = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            found = {bool: "true or false", int: "a number", float: "a number", str: "a string", list: "a list"}
            raise ConfigError(f"{path}: account #{index + 1} is {found.get(type(entry), 'a value')}, not a table",
                              hint="write each account as an [[accounts]] table with name, platform, login, ...")
        merged = {**defaults, **entry}
        table = merged.get("third_party_data")
        if isinstance(table, dict) and isinstance(table.get("screenshot"), str):
            try:
                merged["third_party_data"] = {**table, "screenshot": _resolve(path, table["screenshot"])}
            except (ValueError, RuntimeError, OSError):
                pass  # the screenshot's own check below names it
        for key in ("template", "maildir"):
            if isinstance(merged.get(key), str):
                try:
                    merged[key] = _resolve(path, merged[key])
                except (ValueError, RuntimeError, OSError) as error:
                    label = f"account {entry.get('name')!r}" if isinstance(entry.get("name"), str) \
                        else f"account #{index + 1}"
                    line = _line_of(text, index, key)
                    raise ConfigError(f"{path}{f':{line}' if line else ''}: {label}: field '{key}' is not a usable "
                                      f"path ({error})", hint="write a plain file path, relative to this file") \
                        from None
        if platforms is not None and "platform" in merged and merged["platform"] not in platforms:
            label = f"account {entry.get('name')!r}" if isinstance(entry.get("name"), str) else f"account #{index + 1}"
            raise ConfigError(f"{path}:{_line_of(text, index, 'platform')}: {label}: field 'platform' must be one of "
                              f"{', '.join(platforms)}")
        try:
            account = Account.model_validate(merged)
        except ValidationError as error:
            raise _located(path, text, index, entry, error) from None
        if languages is not None and account.language is not None and account.language not in languages:
            line = _line_of(text, index, "language")
            raise ConfigError(f"{path}:{line}: account {account.name!r}: field 'language' {account.language!r} has no "
                              "wording tables yet", hint=f"languages the tool knows: {', '.join(languages)}")
        _check_requests(path, text, index, account, requests)
        accounts.append(account)
    try:
        settings = Settings.model_validate(raw.get("settings", {}))
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(map(str, first["loc"]))
        raise ConfigError(f"{path}: [settings] field '{field}': {first['msg']}") from None

    names = [account.name for account in accounts]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{path}: account name used twice: {', '.join(duplicates)}", hint="give each account its own name")
    for index, account in enumerate(accounts):
        if account.linked_to is not None and (account.linked_to not in names or account.linked_to == account.name):
            line = _line_of(text, index, "linked_to")
            what = "itself" if account.linked_to == account.name else f"{account.linked_to!r}, which is no account here"
            raise ConfigError(f"{path}:{line}: account {account.name!r}: field 'linked_to' names {what}",
                              hint="linked_to names another account of this file (its `name`) that shares its "
                              f"account centre; accounts here: {', '.join(names)}")
    return AccountsFile(path=path, accounts=accounts, settings=settings)


def _check_requests(path: Path, text: str, index: int, account: Account,
                    offered: dict[str, list[str]] | None) -> None:
    """Each request the account names: one its platform has a flow for, with its table; its table's files exist."""
    label = f"account {account.name!r}"

    def where(field: str) -> str:
        line = _line_of(text, index, field)
        return f"{path}:{line}" if line else str(path)

    if offered is not None:
        has = offered.get(account.platform, [])
        missing = [name for name in account.requests if name not in has]
        if missing:
            raise ConfigError(
                f"{where('requests')}: {label}: field 'requests' names {', '.join(map(repr, missing))}, which "
                f"{account.platform} has no flow for",
                hint=f"{account.platform} offers: {', '.join(has) or 'nothing yet'}; remove it from 'requests', or "
                "file it with an account of a platform that offers it")
    for request, table in REQUEST_TABLES.items():
        given = getattr(account, table) is not None
        if request in account.requests and not given and request == "third-party-data":
            raise ConfigError(
                f"{where('requests')}: {label}: field 'requests' names \"{request}\" but the account has no "
                f"[accounts.{table}] table",
                hint=f"add [accounts.{table}] below this account with option (one of "
                f"{', '.join(THIRD_PARTY_OPTIONS)}), prompts = \"...\" and screenshot = \"FILE\"")
        if given and request not in account.requests:
            raise ConfigError(
                f"{where(table)}: {label}: [accounts.{table}] is given but 'requests' does not name \"{request}\"",
                hint=f"add \"{request}\" to requests = [...], or remove the table")
    data = account.third_party_data
    if data is not None and "third-party-data" in account.requests:
        shot = data.screenshot
        problem = ("no such file" if not shot.exists() else "not a file" if not shot.is_file() else
                   "not readable" if not _readable(shot) else None)
        if problem:
            raise ConfigError(
                f"{where('third_party_data.screenshot')}: {label}: field 'third_party_data.screenshot': {problem}: "
                f"{shot}",
                hint="name the screenshot of the AI's response (a PNG or JPEG file), as a path relative to this "
                "file or from your home (~/...)")


def _readable(file: Path) -> bool:
    try:
        with file.open("rb"):
            return True
    except OSError:
        return False


def _resolve(config_path: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (config_path.parent / candidate).resolve()


def _located(path: Path, text: str, index: int, entry: dict, error: ValidationError) -> ConfigError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) if first["loc"] else "?"
    label = f"account {entry.get('name')!r}" if isinstance(entry.get("name"), str) else f"account #{index + 1}"
    line = _line_of(text, index, field)
    where = f"{path}:{line}" if line else str(path)
    if first["type"] == "extra_forbidden":
        tables = {"mailbox": Mailbox, "third_party_data": ThirdPartyData, "disconnect_activity": DisconnectActivity}
        table_name = field.partition(".")[0] if "." in field else ""
        model = tables.get(table_name, Account)
        hint = (f"allowed fields{f' of [accounts.{table_name}]' if model is not Account else ''}: "
                f"{', '.join(model.model_fields)}")
        if any(word in field.rpartition(".")[2].lower() for word in ("password", "passwd", "secret", "totp")):
            name = entry.get("name") if isinstance(entry.get("name"), str) else "NAME"
            hint = (f"secrets never go in this file: remove it and run `{command('credentials', name)}`, which keeps "
                    "it in the keyring")
        return ConfigError(f"{where}: {label}: unknown field '{field}'", hint=hint)
    if first["type"] == "missing":
        table, _, key = field.rpartition(".")
        place = f"its [accounts.{table}] table" if table else "this account"
        return ConfigError(f"{where}: {label}: field '{field}' is required", hint=f"add {key} = \"...\" to {place}")
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "literal_error":
        expected = re.findall(r"'([^']*)'", str(first.get("ctx", {}).get("expected", "")))
        message = f"must be one of {', '.join(expected)}" if expected else message
    return ConfigError(f"{where}: {label}: field '{field}' {message}")


def _line_of_header(text: str, header: str) -> int | None:
    for number, line in enumerate(text.splitlines()):
        if line.strip().replace(" ", "").startswith(header):
            return number + 1
    return None


def _line_of(text: str, index: int, field: str) -> int | None:
    """Line number of `field` inside the index-th [[accounts]] table (a dotted field such as mailbox.port: inside its
    [accounts.mailbox] table, else the line that sets the table inline), or of the table's header."""
    lines = text.splitlines()
    headers = [number for number, line in enumerate(lines) if line.strip().startswith("[[accounts]]")]
    if index >= len(headers):
        return None
    start = headers[index]
    end = next((number for number in range(start + 1, len(lines)) if lines[number].strip().startswith("[[")), len(lines))
    table, _, key = field.partition(".")
    inner = next((number for number in range(start + 1, end)
                  if lines[number].strip().replace(" ", "").startswith(f"[accounts.{table}]")), None)
    if inner is not None:
        return (_key_line(lines, inner + 1, end, key.split(".")[-1]) if key else None) or inner + 1
    own = next((number for number in range(start + 1, end) if lines[number].strip().startswith("[")), end)
    return _key_line(lines, start + 1, own, table) or start + 1


def _key_line(lines: list[str], start: int, end: int, key: str) -> int | None:
    for number in range(start, end):
        if lines[number].strip().startswith("["):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[number]):
            return number + 1
    return None
