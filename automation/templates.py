"""The objection text: a built-in default under GDPR Art. 21(1), or the user's own template file.

Placeholders are written {name}, {account}, {country}, {date}. A placeholder the tool does not know is an error
raised before any browser starts, so a typo never ends up in a filed objection.
"""

from __future__ import annotations

import datetime as dt
import string

from automation.config import Account
from automation.errors import ConfigError

PLACEHOLDERS = {
    "name": "the account holder's name (full_name, else the account's name)",
    "account": "the login of the account",
    "country": "the country of residence, in English",
    "date": "today's date, YYYY-MM-DD",
}

# Meta's 2024 form rejected short reasons (about 100 characters, per a user report); stay well above.
MINIMUM_LENGTH = 150

DEFAULT_TEMPLATE = """\
I object, under Article 21(1) of the General Data Protection Regulation (GDPR), to the processing of my personal \
data for developing and improving AI at Meta, including generative AI models and features. This covers all \
information from my account {account}: my posts, photos and their captions, comments, and my interactions with \
AI features. I live in {country}.

My particular situation: I shared this information with the people I chose, for social purposes, and never expected \
it to be used to train AI models. Once absorbed into a model, my information cannot be withdrawn or corrected, and \
it may be reproduced to others without my knowledge. This processing therefore affects my privacy and my control \
over my own words and images, and Meta's interests do not override my rights and freedoms.

Please stop this processing of my information and confirm in writing that my objection is honoured.

{name}, {date}"""


def load_template(account: Account) -> str:
    if account.template is None:
        return DEFAULT_TEMPLATE
    try:
        return account.template.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"account {account.name!r}: cannot read template {account.template}: {error.strerror}",
            hint="fix the path in the accounts file's 'template' field, or remove it to use the built-in text",
        ) from None


def render_objection(account: Account, today: dt.date | None = None) -> str:
    template = load_template(account)
    source = str(account.template) if account.template else "the built-in template"
    values = {
        "name": account.display_name,
        "account": account.login,
        "country": account.country_names[0],
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
