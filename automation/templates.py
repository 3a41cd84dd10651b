"""The objection text: the flow's built-in text in the account's language, or the user's own template file.

Placeholders are written {name}, {account}, {country}, {date}. A placeholder the tool does not know is an error
raised before any browser starts, so a typo never ends up in a filed objection.
"""

from __future__ import annotations

import datetime as dt
import string

from automation.config import Account
from automation.countries import country_name
from automation.errors import ConfigError

PLACEHOLDERS = {
    "name": "the account holder's name (full_name, else the account's name)",
    "account": "the login of the account",
    "country": "the country of residence, in the text's language",
    "date": "today's date, YYYY-MM-DD",
}

# Meta's 2024 form rejected short reasons (about 100 characters, per a user report); stay well above.
MINIMUM_LENGTH = 150

def load_template(account: Account, builtin: str) -> str:
    if account.template is None:
        return builtin
    try:
        return account.template.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"account {account.name!r}: cannot read template {account.template}: {error.strerror}",
            hint="fix the path in the accounts file's 'template' field, or remove it to use the built-in text",
        ) from None


def render_objection(account: Account, builtin: str, language: str = "en", today: dt.date | None = None) -> str:
    """`builtin`: the flow's own text in `language`, used when the account names no template."""
    template = load_template(account, builtin)
    source = str(account.template) if account.template else "the built-in template"
    values = {
        "name": account.display_name,
        "account": account.login,
        "country": country_name(account.country, language),
        "date": (today or dt.datetime.now(dt.timezone.utc).date()).isoformat(),
    }
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as error:
        raise ConfigError(f"account {account.name!r}: {source}: {error}", hint="write a literal brace as {{ or }}") from None
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
            hint=f"Meta rejects short reasons: write at least {MINIMUM_LENGTH} characters",
        )
    return text
