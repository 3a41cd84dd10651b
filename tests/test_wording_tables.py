"""The wording tables and the built-in objection texts, per language: complete, sourced, and matching as intended.

Fast and without a browser. `research` phrasings must be quotes from docs/research/meta-flows.md (the team's research
notes, kept in the repository as of the date in their header); a phrasing that had to be normalised goes in
RESEARCH_ALLOWED with the reason.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from automation.wording import Wording

ROOT = Path(__file__).resolve().parents[1]
WORDING = ROOT / "flows" / "wording"
OBJECTIONS = ROOT / "flows" / "objections"
META_FLOWS = Path(__file__).resolve().parents[1] / "docs" / "research" / "meta-flows.md"

LANGUAGES = ("en", "de", "fr", "it", "es", "nl", "pl")
PLACEHOLDERS = {"{account}", "{country}", "{name}", "{date}"}

# research phrasings that are not verbatim in meta-flows.md, each with the reason it still counts as a quote.
RESEARCH_ALLOWED: dict[str, set[str]] = {
    "en": {
        # the notes quote "will be applied going forward ... You'll receive an email with the details": en.toml
        # joins the two parts with a period where the notes leave out words.
        "will be applied going forward. You'll receive an email with the details",
    },
}


def _fold(text: str) -> str:
    """Case, apostrophe style and line breaks do not count (the notes are wrapped Markdown)."""
    return re.sub(r"\s+", " ", re.sub(r"[’‘`´]", "'", text)).casefold()


@pytest.fixture(scope="module")
def wording() -> Wording:
    return Wording.load(WORDING)


@pytest.fixture(scope="module")
def notes() -> str:
    if not META_FLOWS.is_file():
        pytest.fail(f"{META_FLOWS} is missing: the research notes the wording tables quote belong in the repository")
    return _fold(META_FLOWS.read_text(encoding="utf-8"))


def _raw(language: str) -> dict:
    return tomllib.loads((WORDING / f"{language}.toml").read_text(encoding="utf-8"))


def test_every_language_has_every_key(wording):
    reference = list(_raw("en"))
    for language in LANGUAGES:
        assert language in wording.languages, f"no {language}.toml"
        for key in reference:
            assert wording.phrasings(key, language), f"{language}.toml: [{key}] has no phrasing"


def test_tables_keep_the_reference_order_and_leave_match_to_en():
    reference = list(_raw("en"))
    for language in LANGUAGES[1:]:
        raw = _raw(language)
        assert list(raw) == reference, f"{language}.toml: keys not in en.toml's order"
        assert not [key for key, entry in raw.items() if "match" in entry], f"{language}.toml sets match"


@pytest.mark.parametrize("language", LANGUAGES)
def test_research_phrasings_are_quoted_in_the_notes(wording, notes, language):
    allowed = RESEARCH_ALLOWED.get(language, set())
    unquoted = [phrase for key, phrasings in wording.tables[language].items() for phrase in phrasings.research
                if _fold(phrase) not in notes and phrase not in allowed]
    assert not unquoted, f"{language}.toml: research phrasings that meta-flows.md does not quote: {unquoted}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_objection_text_exists_with_exactly_the_placeholders(language):
    path = OBJECTIONS / f"{language}.txt"
    assert path.is_file(), f"no built-in objection text {path.name}"
    text = path.read_text(encoding="utf-8")
    found = re.findall(r"\{[^{}]*\}", text)
    assert sorted(found) == sorted(PLACEHOLDERS), f"{path.name}: placeholders {found}, want each of {PLACEHOLDERS} once"
    assert text.count("{") == text.count("}") == len(PLACEHOLDERS), f"{path.name}: stray braces"
    assert len(text) >= 400, f"{path.name}: too short for an objection"


def test_objection_texts_keep_the_paragraphs():
    paragraphs = lambda language: len((OBJECTIONS / f"{language}.txt").read_text(encoding="utf-8").strip().split("\n\n"))
    for language in LANGUAGES[1:]:
        assert paragraphs(language) == paragraphs("en"), f"{language}.txt: not en.txt's paragraphs"


def test_send_button_is_the_whole_button(wording):
    german = wording.pattern("send_button", "de")
    assert german.search("Senden")
    assert german.search("  senden ")
    assert not german.search("Code erneut senden")


def test_object_link_is_the_link_word_not_a_sentence(wording):
    every = wording.pattern("object_link")
    assert every.search("widersprechen")
    assert every.search("opporti")
    assert every.search("s’opposer")
    assert not every.search("Du hast das Recht, der Verwendung deiner Informationen zu diesen Zwecken zu widersprechen")
    assert not every.search("Hai diritto di opporti all'uso delle tue informazioni per tali finalità")


def test_language_of_a_phrasing(wording):
    assert wording.language_of("send_button", "Invia") == "it"
    assert wording.language_of("send_button", "Senden") == "de"
    assert wording.language_of("send_button", "Verzenden") == "nl"
