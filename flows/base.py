"""The contract every flow module fulfils: declared metadata the engine reads, and a function from an account to its
steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from automation.config import Account
from automation.steps import Step
from automation.wording import Wording


@dataclass(frozen=True)
class Flow:
    id: str  # unique: what the registry is keyed by
    platform: str  # the accounts file's `platform` value this flow handles
    title: str  # what the flow files, in a few words
    site: str  # whose pages these are, as a user calls them ("Meta")
    hosts: tuple[str, ...]  # every host its steps open; a mirror must serve them
    domains: tuple[str, ...]  # the site's domains: a mirror serves them and their subdomains, and blocks the rest
    wording: Wording  # the tables its steps' wording keys are looked up in
    build: Callable[[Account, str], list[Step]]  # (account, rendered objection text) -> steps
    objection_text: Callable[[str], str]  # language -> the built-in text, used when an account names no template
    # country -> what to expect there, told before any browser starts, and whether the site offers the form there
    routing: Callable[[str], tuple[str, bool]] = lambda country: ("", True)
    # The domains the site's emails come from (its codes, its answers; subdomains count). Mail from anywhere else is
    # never read as the site's: a look-alike sender's code is never typed. None declared: no email counts.
    mail_senders: tuple[str, ...] = ()

    def steps(self, account: Account, objection: str) -> list[Step]:
        return self.build(account, objection)
