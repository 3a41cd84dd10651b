"""The accounts file: TOML in, validated pydantic models out, errors that name the file, line, account and field.

    [defaults]                 # optional: any account field, used where an account leaves it out
    country = "DE"

    [[accounts]]
    name = "anna-facebook"     # your own label: used in the keyring, the archive and the table
    platform = "facebook"      # facebook | instagram
    login = "anna@example.org" # what you type into Meta's login field
    email = "anna@example.org" # the account's email address (Meta sends its codes there)
    country = "DE"             # country of residence, ISO 3166 code
    language = "de"            # optional: the language Meta shows this account's pages in (default: the country's)
    full_name = "Anna Example" # optional: signs the objection
    template = "my-text.txt"   # optional: your own objection text (relative to this file)
    maildir = "~/Mail/anna"    # optional: a local Maildir where Meta's emails arrive
    [accounts.mailbox]         # optional, instead: the mailbox over IMAP (password: `credentials set NAME`)
    host = "imap.example.org"
    user = "anna@example.org"  # tls = "implicit" (993, default) | "starttls" (143) | "plain" (loopback only)

Passwords and 2FA secrets never go in this file: `submit-objections credentials set NAME` keeps them in the keyring.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from pathlib import Path
from typing import Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from automation.countries import country_names
from automation.errors import ConfigError

PLATFORMS = ("facebook", "instagram")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name such as 127.example.org is not an address, let alone a loopback one
        return False


class Mailbox(BaseModel):
    """Where Meta's emails to the account arrive, read over IMAP; its password lives in the keyring."""

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


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    platform: Literal["facebook", "instagram"]
    login: str = Field(min_length=1)
    email: str
    country: str
    language: str | None = None
    full_name: str | None = None
    template: Path | None = None
    maildir: Path | None = None
    mailbox: Mailbox | None = None

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
        if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
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


def load_accounts(path: Path, languages: list[str] | None = None) -> AccountsFile:
    """`languages`: the languages an account may name (those the flows have wording and texts for)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"accounts file not found: {path}",
            hint="create it (see README, 'The accounts file') or name another with --config",
        )
    text = path.read_text(encoding="utf-8")
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
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: no [[accounts]] entries", hint="add one [[accounts]] table per account")
    defaults = raw.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: [defaults] must be a table")

    accounts = []
    for index, entry in enumerate(entries):
        merged = {**defaults, **entry}
        for key in ("template", "maildir"):
            if isinstance(merged.get(key), str):
                merged[key] = _resolve(path, merged[key])
        try:
            account = Account.model_validate(merged)
        except ValidationError as error:
            raise _located(path, text, index, entry, error) from None
        if languages is not None and account.language is not None and account.language not in languages:
            line = _line_of(text, index, "language")
            raise ConfigError(f"{path}:{line}: account {account.name!r}: field 'language' {account.language!r} has no "
                              "wording tables yet", hint=f"languages the tool knows: {', '.join(languages)}")
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
    return AccountsFile(path=path, accounts=accounts, settings=settings)


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
        allowed = ", ".join(Account.model_fields)
        return ConfigError(f"{where}: {label}: unknown field '{field}'", hint=f"allowed fields: {allowed}")
    if first["type"] == "missing":
        return ConfigError(f"{where}: {label}: field '{field}' is required", hint=f"add {field} = \"...\" to this account")
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "literal_error":
        message = f"must be one of {', '.join(PLATFORMS)}"
    return ConfigError(f"{where}: {label}: field '{field}' {message}")


def _line_of(text: str, index: int, field: str) -> int | None:
    """Line number of `field` inside the index-th [[accounts]] table, or of the table's header."""
    lines = text.splitlines()
    headers = [number for number, line in enumerate(lines) if line.strip().startswith("[[accounts]]")]
    if index >= len(headers):
        return None
    start = headers[index]
    end = next((number for number in range(start + 1, len(lines)) if lines[number].strip().startswith("[")), len(lines))
    for number in range(start + 1, end):
        if re.match(rf"\s*{re.escape(field.split('.')[-1])}\s*=", lines[number]):
            return number + 1
    return start + 1
