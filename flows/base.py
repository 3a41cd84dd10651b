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
    # language -> the built-in objection text, used when an account names no template; None: the flow sends no
    # objection text (its steps say what they send)
    objection_text: Callable[[str], str] | None
    # country -> what to expect there, told before any browser starts, and whether the site offers the form there
    routing: Callable[[str], tuple[str, bool]] = lambda country: ("", True)
    # The domains the site's emails come from (its codes, its answers; subdomains count). Mail from anywhere else is
    # never read as the site's: a look-alike sender's code is never typed. None declared: no email counts.
    mail_senders: tuple[str, ...] = ()
    request: str = "ai-objection"  # the accounts file's request name this flow serves (automation.config.REQUESTS)
    # True: the site reviews the request instead of confirming it on screen; once sent (`submitted`), a new run does
    # not file it again (the site's page cannot say it has it), and the site's email settles it
    reviewed: bool = False
    mail_about: str | None = None  # wording key the site's email about this request matches; None: any of its emails
    # account -> other texts its steps send, as a dry run shows them: (what it is, the text)
    texts: Callable[[Account], list[tuple[str, str]]] = lambda account: []
    # Whether the site's answer to this request may also cover the same request of the accounts linked to this one
    # (`linked_to` in the accounts file): Meta's objection, for every account in the same Accounts Centre.
    covers_linked: bool = False

    def steps(self, account: Account, objection: str) -> list[Step]:
        return self.build(account, objection)
