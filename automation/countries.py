"""Country names in the language a form is shown in, from pycountry's own ISO 3166 translations (gettext)."""

from __future__ import annotations

import functools
import gettext

import pycountry

# How forms spell some countries whose ISO names read differently (English).
ENGLISH_ALIASES = {
    "KR": ["South Korea", "Korea"],
    "CZ": ["Czech Republic"],
    "NL": ["The Netherlands"],
    "TR": ["Turkey"],
    "GB": ["UK", "Great Britain"],
    "US": ["United States of America", "USA"],
}

# The language most people in a country see their pages in (ISO 639-1), for the countries where an objection can be
# filed; a country not listed is taken to be English-speaking.
MAIN_LANGUAGE = {
    "AT": "de", "DE": "de", "CH": "de", "LI": "de", "LU": "fr", "BE": "nl", "FR": "fr", "MC": "fr", "IT": "it",
    "SM": "it", "VA": "it", "ES": "es", "NL": "nl", "PL": "pl", "PT": "pt", "BR": "pt", "SE": "sv", "DK": "da",
    "FI": "fi", "NO": "nb", "IS": "is", "GR": "el", "CY": "el", "CZ": "cs", "SK": "sk", "HU": "hu", "RO": "ro",
    "BG": "bg", "HR": "hr", "SI": "sl", "EE": "et", "LV": "lv", "LT": "lt", "JP": "ja", "KR": "ko",
}


def main_language(country: str) -> str:
    return MAIN_LANGUAGE.get(country.upper(), "en")


@functools.lru_cache(maxsize=None)
def _translation(language: str) -> gettext.NullTranslations | None:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return None


@functools.lru_cache(maxsize=None)
def country_names(code: str, language: str = "en") -> tuple[str, ...]:
    """The names under which a form in `language` may list the country, most common first."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return ()
    english = [getattr(country, "common_name", None), country.name, getattr(country, "official_name", None)]
    names: list[str] = []
    if language == "en":
        names = english + ENGLISH_ALIASES.get(code.upper(), [])
    else:
        translation = _translation(language)
        if translation is not None:
            names = [translation.gettext(name) for name in english if name]
            names = [name for name, original in zip(names, english) if name and name != original] + names
    unique: list[str] = []
    for name in names:
        if name and name not in unique:
            unique.append(name)
    return tuple(unique)


def country_name(code: str, language: str = "en") -> str:
    names = country_names(code, language) or country_names(code, "en")
    return names[0] if names else code
