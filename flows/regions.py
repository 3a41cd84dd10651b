"""Where Meta offers the right-to-object form, as far as public sources show (docs/research/meta-flows.md, "States
a run must recognise"): EU/EEA, UK and Switzerland [confirmed]; later also Brazil, Japan and South Korea [one source].

This only tells the user up front what to expect: a run still opens Meta's page, which decides.
"""

from __future__ import annotations

import pycountry

EU = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
      "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")
EEA_NOT_EU = ("IS", "LI", "NO")
CONFIRMED = {**{code: "EU" for code in EU}, **{code: "EEA" for code in EEA_NOT_EU}, "GB": "UK", "CH": ""}
ONE_SOURCE = ("BR", "JP", "KR")


def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code.upper())
    return getattr(found, "common_name", None) or (found.name if found else code)


def routing(country: str) -> tuple[str, bool]:
    """What to expect for an account in `country` (ISO 3166 alpha-2): a sentence for the user, and whether Meta is
    known to offer the form there."""
    code = country.upper()
    name = country_name(code)
    if code in CONFIRMED:
        place = f"{name} ({CONFIRMED[code]})" if CONFIRMED[code] else name
        return f"{place}: Meta offers the objection there, so the form is expected", True
    if code in ONE_SOURCE:
        return f"{name}: Meta offers the objection there by one report only; Meta's page decides", True
    return (f"{name}: Meta is not known to offer the objection there (only in the EU/EEA, the UK, Switzerland and a "
            "few more); the run still asks Meta's page, which decides, and will most likely end not eligible", False)
