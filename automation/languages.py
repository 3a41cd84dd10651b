"""ISO 639-1 language codes and their English names, from pycountry's language database."""

from __future__ import annotations

import functools
import json


@functools.cache
def _two_letter_names() -> dict[str, str]:
    # pycountry's own lookup builds an object and an index entry for each of its 7,900 languages on first use (some
    # 70 ms of every dry run); the tool only ever asks for the 184 with a two-letter code, read from the same file.
    import pycountry

    with open(pycountry.languages.filename, encoding="utf-8") as file:
        entries = json.load(file)[pycountry.languages.root_key]
    return {entry["alpha_2"].lower(): entry["name"] for entry in entries if "alpha_2" in entry}


def language_name(code: str) -> str | None:
    """The English name of the language with this ISO 639-1 code (any case), as pycountry has it; None for none."""
    return _two_letter_names().get(code.lower())
