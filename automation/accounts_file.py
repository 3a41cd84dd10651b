"""Writing the accounts file for the user: `init` writes a new, commented one; `accounts add|list|remove` change it
without hand-editing, keeping every comment and the layout the user gave it (tomlkit round-trips both).

Every file written is first checked with the same loader a run uses (automation.config.load_accounts), next to the
real file so relative paths resolve the same, and only then renamed into place: a change that would not load is
refused with the loader's own located error, and the file stays as it was. Files are 0600 in a 0700 folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import tomlkit

from automation.config import load_accounts
from automation.errors import ConfigError
from automation.outcomes import command

FIELD_COMMENTS = {
    "name": "your label for it: used in the keyring, the archive and the table",
    "platform": "{platforms}",
    "login": "what you type into the site's login field",
    "email": "the account's email (the site sends its codes there)",
    "country": "country of residence, ISO 3166 code",
    "language": "the language the site shows it in: {languages}",
    "maildir": "a local Maildir where the site's emails arrive",
}

HEADER = """\
# submit-objections: the accounts to file an objection for, one [[accounts]] table each.
# Passwords and 2FA keys never go in this file: `submit-objections credentials set NAME` keeps them in the keyring.
# Optional per account: full_name = "..." (signs the objection), template = "my-text.txt" (your own text),
# maildir = "~/Mail/NAME" or an [accounts.mailbox] table (host, user, tls, folder) for the site's emailed codes.
# Check it with `submit-objections doctor`; `submit-objections accounts add|list|remove` edits it.
"""

EXAMPLE = {"name": "anna-example", "login": "anna@example.org", "email": "anna@example.org", "country": "DE",
           "language": "de"}


def _account_table(entry: dict, platforms: list[str], languages: list[str]) -> tomlkit.items.Table:
    table = tomlkit.table()
    for key, value in entry.items():
        if value is None or value == "":
            continue
        table.add(key, value)
        if key in FIELD_COMMENTS:
            table[key].comment(FIELD_COMMENTS[key].format(platforms=" | ".join(platforms),
                                                          languages=", ".join(languages)))
    return table


def render(entries: list[dict], platforms: list[str], languages: list[str], example: bool = False) -> str:
    """A new accounts file's text: the header, then one commented [[accounts]] table per entry."""
    document = tomlkit.document()
    for line in HEADER.splitlines():
        document.add(tomlkit.comment(line.removeprefix("# ")))
    if example:
        document.add(tomlkit.comment("An EXAMPLE account: change every value to yours (or run `submit-objections "
                                     "init` at a terminal)."))
    document.add(tomlkit.nl())
    accounts = tomlkit.aot()
    for index, entry in enumerate(entries):
        table = _account_table(entry, platforms, languages)
        if index:
            table.trivia.indent = "\n"
        accounts.append(table)
    document.add("accounts", accounts)
    return tomlkit.dumps(document)


def example_entry(platforms: list[str]) -> dict:
    return {"name": EXAMPLE["name"], "platform": platforms[0], **{k: v for k, v in EXAMPLE.items() if k != "name"}}


def _checked_write(path: Path, text: str, languages: list[str], platforms: list[str]) -> None:
    """Loads `text` as a run would, from beside `path`, then puts it in place (0600); raises the loader's error."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    trial = path.with_name(f".{path.name}.new")
    descriptor = os.open(trial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            load_accounts(trial, languages=languages, platforms=platforms)
        except ConfigError as error:
            raise ConfigError(error.message.replace(str(trial), str(path)), hint=error.hint) from None
        os.chmod(trial, 0o600)
        os.replace(trial, path)
    finally:
        trial.unlink(missing_ok=True)


def write_new(path: Path, entries: list[dict], platforms: list[str], languages: list[str], *,
              example: bool = False, overwrite: bool = False) -> None:
    """Writes a new accounts file; an existing one is replaced only with `overwrite` (the caller asked)."""
    path = Path(path).expanduser()
    if path.exists() and not overwrite:
        raise ConfigError(f"{path} exists already; init never overwrites it unasked",
                          hint="run `submit-objections accounts add NAME` to add an account, or init at a terminal "
                          "to be asked whether to replace it")
    _checked_write(path, render(entries, platforms, languages, example), languages, platforms)


def _document(path: Path) -> tomlkit.TOMLDocument:
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"accounts file not found: {path}", hint="run `submit-objections init` first")
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8-sig"))
    except (tomlkit.exceptions.ParseError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}", hint="fix the line it names") from None


def add(path: Path, entry: dict, platforms: list[str], languages: list[str]) -> None:
    """Appends one account, keeping the file's comments and layout; refuses a name the file has already."""
    path = Path(path).expanduser()
    document = _document(path)
    accounts = document.get("accounts")
    if accounts is None:
        accounts = tomlkit.aot()
        document.add("accounts", accounts)
    if any(table.get("name") == entry["name"] for table in accounts):
        raise ConfigError(f"{path}: an account named {entry['name']!r} is there already",
                          hint=f"choose another name, or `submit-objections accounts remove {entry['name']}` first")
    table = _account_table(entry, platforms, languages)
    if len(accounts):
        table.trivia.indent = "\n"  # a blank line before its [[accounts]], as between the others
    accounts.append(table)
    _checked_write(path, tomlkit.dumps(document), languages, platforms)


def remove(path: Path, name: str, platforms: list[str], languages: list[str]) -> None:
    """Removes one account's table (and its mailbox table), keeping everything else as it was. Its secrets stay in
    the keyring until `credentials delete NAME`."""
    path = Path(path).expanduser()
    document = _document(path)
    accounts = document.get("accounts") or []
    index = next((i for i, table in enumerate(accounts) if table.get("name") == name), None)
    if index is None:
        names = ", ".join(str(table.get("name")) for table in accounts) or "(none)"
        raise ConfigError(f"{path}: no account named {name!r}", hint=f"accounts in this file: {names}")
    if len(accounts) == 1:
        raise ConfigError(f"{path}: {name!r} is its only account, and a file without one does not load",
                          hint=f"add another first, or delete the file")
    del accounts[index]
    _checked_write(path, tomlkit.dumps(document), languages, platforms)


def names(path: Path) -> list[str]:
    """The account names in the file, for shell completion: never an error, [] when it does not read."""
    try:
        raw = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return []
    entries = raw.get("accounts")
    return [entry["name"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("name"), str)] \
        if isinstance(entries, list) else []


def next_step(name: str) -> str:
    return command("credentials", name)


def field_problem(key: str, value: str, platforms: list[str], languages: list[str]) -> str | None:
    """What is wrong with one field's value, as the loader would say it; None when it is fine. So a question asked
    at the terminal is asked again at once, not after every answer was given."""
    from pydantic import ValidationError

    from automation.config import Account

    if key == "language" and value and value not in languages:
        return f"{value!r}: the languages the tool knows are {', '.join(languages)}"
    sample = {"name": "x", "platform": platforms[0], "login": "x", "email": "x@example.org", "country": "DE",
              key: value}
    try:
        Account.model_validate(sample)
    except ValidationError as error:
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return None
