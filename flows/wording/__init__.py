"""Meta's wording, one TOML table per language (en.toml is the reference), and the built-in objection texts."""

from __future__ import annotations

import functools
from pathlib import Path

from automation.countries import main_language
from automation.errors import ConfigError
from automation.wording import Wording

FOLDER = Path(__file__).resolve().parent
OBJECTIONS = FOLDER.parent / "objections"
META = Wording.load(FOLDER)


def objection_languages() -> list[str]:
    return sorted(path.stem for path in OBJECTIONS.glob("*.txt"))


def languages() -> list[str]:
    """The languages the tool can work in: a wording table and a built-in objection text for each."""
    return [language for language in META.languages if (OBJECTIONS / f"{language}.txt").is_file()]


def expected_language(language: str | None, country: str) -> str:
    """The account's own setting, else its country's main language when the tool has it, else English."""
    if language:
        return language
    default = main_language(country)
    return default if default in languages() else "en"


@functools.cache  # read once per language: a dry run asks for it once per account
def objection_text(language: str) -> str:
    path = OBJECTIONS / f"{language}.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(f"no built-in objection text in {language!r}",
                          hint=f"languages with one: {', '.join(languages())}; or give the account a template") from None
