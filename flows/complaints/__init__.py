"""What a complaint about Meta to a data protection authority says: the controller Meta's objections go to, and the
letter's words per language (one TOML per language, en.toml the reference; automation/complaint.py assembles the
letter and names the authority, from its own data file).

Placeholders a template may use: {authority}, {controller}, {controller_name}, {full_name}, {email}, {account} (the
login), {platform}, {country}, {sent_at}, {form}, {today}, {due} (one month after Send), {zip} (the evidence file),
{answer_date}, {answer_subject}, {answer_file} (the refusal email, when Meta refused), {status_word} (the
template's own refused_word or overdue_word, whichever applies).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
# The controller for Meta's products in the EU/EEA, the UK and Switzerland (Meta's privacy policy; meta-flows.md).
CONTROLLER = "Meta Platforms Ireland Ltd., Merrion Road, Dublin 4, D04 X2K5, Ireland"


def languages() -> list[str]:
    return sorted(path.stem for path in FOLDER.glob("*.toml"))


def template(language: str) -> dict | None:
    """The letter's sections in `language`; None when there is no template in it (the engine then writes English
    and says so)."""
    path = FOLDER / f"{language}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
