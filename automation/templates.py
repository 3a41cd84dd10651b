"""The objection text: the flow's built-in text in the account's language, or the user's own template file.

Placeholders are written {name}, {account}, {country}, {date}. A placeholder the tool does not know, a positional
one ({} or {0}), one with a format spec or conversion ({name:>10}, {name!r}) and a stray brace are errors raised
before any browser starts, so a typo never ends up in a filed objection. A literal brace is written {{ or }}.
"""

from __future__ import annotations

import datetime as dt
import string

from automation.config import UTF8_HINT, Account, not_utf8
from automation.countries import country_name
from automation.errors import ConfigError

PLACEHOLDERS = {
    "name": "the account holder's name (full_name, else the account's name)",
    "account": "the login of the account",
    "country": "the country of residence, in the text's language",
    "date": "today's date, YYYY-MM-DD",
}

# A form may reject a short reason (one refused those under about 100 characters, per a user report); stay well above.
MINIMUM_LENGTH = 150

def load_template(account: Account, builtin: str) -> str:
    if account.template is None:
        return builtin
    try:
        data = account.template.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"account {account.name!r}: cannot read template {account.template}: {error.strerror or type(error).__name__}",
            hint="fix the path in the accounts file's 'template' field, or remove it to use the built-in text",
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, kind = not_utf8(data, error)
        raise ConfigError(f"account {account.name!r}: template {account.template}:{line} is {kind} "
                          f"(byte {error.start + 1} is not UTF-8)", hint=UTF8_HINT) from None


def render_objection(account: Account, builtin: str, language: str = "en", today: dt.date | None = None, *,
                     site: str = "the site") -> str:
    """`builtin`: the flow's own text in `language`, used when the account names no template; `site`: whose form
    the text goes into, as the user calls it (for the hint on a text too short)."""
    template = load_template(account, builtin)
    source = str(account.template) if account.template else "the built-in template"
    values = {
        "name": account.display_name,
        "account": account.login,
        "country": country_name(account.country, language),
        "date": (today or dt.datetime.now(dt.timezone.utc).date()).isoformat(),
    }
    try:
        parsed = [(field, spec, conversion) for _, field, spec, conversion in string.Formatter().parse(template)
                  if field is not None]
    except ValueError as error:
        raise ConfigError(f"account {account.name!r}: {source}: {error}", hint="write a literal brace as {{ or }}") from None
    known = ", ".join("{" + key + "}" for key in PLACEHOLDERS)
    positional = sorted({"{" + field + "}" for field, _, _ in parsed if field == "" or field.isdigit()})
    if positional:
        raise ConfigError(
            f"account {account.name!r}: {source} uses positional placeholder(s) {', '.join(positional)}",
            hint=f"name what goes there: {known}; write a literal brace as {{{{ or }}}}",
        )
    shaped = sorted({"{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                     for field, spec, conversion in parsed if spec or conversion})
    if shaped:
        raise ConfigError(
            f"account {account.name!r}: {source} uses a format spec or conversion in {', '.join(shaped)}",
            hint=f"placeholders take no ':' or '!' part: write {known} as they are; "
                 "write a literal brace as {{ or }}",
        )
    fields = [field for field, _, _ in parsed]
    unknown = sorted({field for field in fields if field not in values})
    if unknown:
        raise ConfigError(
            f"account {account.name!r}: {source} uses unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}",
            hint="placeholders you can use: " + ", ".join("{" + key + "}" for key in PLACEHOLDERS),
        )
    text = template.format_map(values).strip()
    if len(text) < MINIMUM_LENGTH:
        raise ConfigError(
            f"account {account.name!r}: the objection from {source} is {len(text)} characters long",
            hint=f"{site} rejects short reasons: write at least {MINIMUM_LENGTH} characters",
        )
    return text
