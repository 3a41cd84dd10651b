"""Wording as data: what a site's pages say, one table per language, keyed by meaning.

A flow names a key (`send_button`); the tables give the phrasings of that key in each language. A table is a TOML
file named after its language (`de.toml`), each key a table of its own:

    [send_button]
    match = "whole"            # only in the reference table: "whole" (the element's whole text or name) or "part"
    research = ["Senden"]      # phrasings a public source quotes
    ours = ["Absenden"]        # phrasings nobody quoted: our best guess of what the site shows

Matching ignores case, the kind of apostrophe (straight, curly or none), hyphens and runs of white space, so that a
phrasing only has to be the stable part of what the page says. The page's own language (`<html lang>`) is matched
first and every other language after, because people do not always see their pages in the language we expect.
"""

from __future__ import annotations

import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from automation.errors import ConfigError

MATCH_MODES = ("whole", "part")
_APOSTROPHES = "'’‘`´"
_HYPHENS = "-‐‑–"


def primary_language(tag: str | None) -> str | None:
    """'de-DE' -> 'de'; None for an empty or odd tag."""
    if not tag:
        return None
    first = re.split(r"[-_]", tag.strip())[0].lower()
    return first if re.fullmatch(r"[a-z]{2,3}", first) else None


def phrase_pattern(phrase: str) -> str:
    """The regular expression for one phrasing: case is left to the flags; apostrophes, hyphens, spaces are loose."""
    out: list[str] = []
    for char in phrase.strip():
        if char in _APOSTROPHES:
            out.append(f"[{_APOSTROPHES}]?")
        elif char in _HYPHENS:
            out.append(rf"[{_HYPHENS}\s]?")
        elif char.isspace():
            if not out or out[-1] != r"\s+":
                out.append(r"\s+")
        else:
            out.append(re.escape(char))
    return "".join(out)


@dataclass(frozen=True)
class Phrasings:
    research: tuple[str, ...] = ()
    ours: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.research + self.ours


class Wording:
    """The tables of one site, with the reference language that every key must have and that sets each key's mode."""

    def __init__(self, tables: dict[str, dict[str, Phrasings]], modes: dict[str, str], reference: str = "en"):
        self.tables = tables
        self.modes = modes
        self.reference = reference
        self._patterns: dict[tuple[str, str | None], re.Pattern | None] = {}
        # Accounts run at once look for the same key at the same moment; a pattern of every language takes a few
        # milliseconds to compile, and each of them compiling it anew was most of a run's Python time.
        self._compiling = threading.Lock()

    @classmethod
    def load(cls, folder: Path, reference: str = "en") -> "Wording":
        tables: dict[str, dict[str, Phrasings]] = {}
        modes: dict[str, str] = {}
        for path in sorted(folder.glob("*.toml")):
            language = path.stem
            try:
                raw = tomllib.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
                raise ConfigError(f"{path}: not a valid wording table: {error}") from None
            table: dict[str, Phrasings] = {}
            for key, entry in raw.items():
                if not isinstance(entry, dict) or set(entry) - {"match", "research", "ours", "note"}:
                    raise ConfigError(f"{path}: [{key}] takes match, research, ours and note only")
                if "match" in entry:
                    if language != reference or entry["match"] not in MATCH_MODES:
                        raise ConfigError(f"{path}: [{key}] match must be one of {MATCH_MODES}, in {reference}.toml only")
                    modes[key] = entry["match"]
                phrasings = Phrasings(tuple(entry.get("research", ())), tuple(entry.get("ours", ())))
                if not all(isinstance(p, str) and p.strip() for p in phrasings.all):
                    raise ConfigError(f"{path}: [{key}] phrasings must be non-empty strings")
                table[key] = phrasings
            tables[language] = table
        if reference not in tables:
            raise ConfigError(f"{folder}: no {reference}.toml, the reference table")
        for language, table in tables.items():
            unknown = set(table) - set(tables[reference])
            if unknown:
                raise ConfigError(f"{folder / (language + '.toml')}: keys the reference table lacks: "
                                  f"{', '.join(sorted(unknown))}")
        return cls(tables, modes, reference)

    def combined(self, own: "Wording") -> "Wording":
        """These tables with a flow's `own` tables over them, per language: a flow that shares the site's login keys
        keeps its own keys in its own folder; where both have a key, `own`'s phrasings and mode win."""
        tables = {language: {**self.tables.get(language, {}), **own.tables.get(language, {})}
                  for language in dict.fromkeys([*self.tables, *own.tables])}
        return Wording(tables, {**self.modes, **own.modes}, self.reference)

    @property
    def languages(self) -> list[str]:
        return sorted(self.tables)

    def has(self, key: str) -> bool:
        return key in self.tables[self.reference]

    def phrasings(self, key: str, language: str | None = None) -> tuple[str, ...]:
        """The key's phrasings in `language`, or in every language (the page's first) when None."""
        if not self.has(key):
            raise KeyError(f"no wording key {key!r}")
        if language is not None:
            table = self.tables.get(language, {})
            return table[key].all if key in table else ()
        found: list[str] = []
        for table in self.tables.values():
            for phrase in table[key].all if key in table else ():
                if phrase not in found:
                    found.append(phrase)
        return tuple(found)

    def pattern(self, key: str, language: str | None = None) -> re.Pattern | None:
        """A case-insensitive pattern for the key: `language`'s phrasings only, or all languages' when None."""
        cache_key = (key, language)
        if cache_key not in self._patterns:
            with self._compiling:
                if cache_key not in self._patterns:
                    self._patterns[cache_key] = self._compile(key, language)
        return self._patterns[cache_key]

    def _compile(self, key: str, language: str | None) -> re.Pattern | None:
        phrasings = self.phrasings(key, language)
        if not phrasings:
            return None
        body = "|".join(phrase_pattern(phrase) for phrase in sorted(phrasings, key=len, reverse=True))
        if self.modes.get(key, "part") == "whole":
            body = rf"^\s*(?:{body})\s*[.:!?*]?\s*$"
        return re.compile(body, re.IGNORECASE)

    def patterns(self, key: str, language: str | None) -> list[re.Pattern]:
        """The page's language first, then every language: what a locator tries, in that order."""
        first = self.pattern(key, language) if language in self.tables else None
        every = self.pattern(key)
        return [p for p in (first, every) if p is not None]

    def matches(self, key: str, text: str) -> bool:
        pattern = self.pattern(key)
        return bool(pattern and pattern.search(text or ""))

    def language_of(self, key: str, text: str, first: str | None = None) -> str | None:
        """The language whose phrasing of `key` matches `text`: `first` if it does, then the reference language."""
        order = dict.fromkeys([first, self.reference, *self.languages])
        for language in (language for language in order if language in self.tables):
            pattern = self.pattern(key, language)
            if pattern and pattern.search(text or ""):
                return language
        return None

    def say(self, key: str, language: str | None = None) -> str:
        """The key in words for a person: its first English phrasing, and the expected language's if it differs."""
        english = self.phrasings(key, self.reference)
        shown = f'"{english[0]}"' if english else key.replace("_", " ")
        if language and language != self.reference:
            local = self.phrasings(key, language)
            if local and local[0] != (english[0] if english else None):
                shown = f'"{local[0]}" ({shown})'
        return shown
