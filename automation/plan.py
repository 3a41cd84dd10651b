"""What one account's run of one flow will do: its steps, the text it sends, the wording they are matched with."""

from __future__ import annotations

from dataclasses import dataclass, field

from automation.config import Account
from automation.steps import Step
from automation.wording import Wording


@dataclass(frozen=True)
class SiteMail:
    """What reading a site's emails needs: whose they are (as the user calls the site), the domains they come from,
    and the wording their verdict is read with."""

    site: str
    senders: tuple[str, ...]
    wording: Wording
    reviewed: bool = False  # the site reviews the request: an email that only acknowledges it leaves it submitted
    about: str | None = None  # wording key an email must match to be about this request; None: any of the site's


@dataclass(frozen=True)
class Linked:
    """A request of another account of the accounts file, linked to this one (`linked_to`) in the site's account
    centre: the site's answer to this one may say it covers that one too."""

    account: str
    platform: str
    flow: str


@dataclass
class Plan:
    account: Account
    objection: str
    steps: list[Step]
    wording: Wording
    flow: str  # the id of the flow these steps come from: with the account, the key of its ledger entry and evidence
    language: str = "en"  # the language the account's pages are expected in
    site: str = "the site"  # whose pages these are, as the user calls them
    domains: tuple[str, ...] = ()  # the site's domains: what a mirror serves
    routing: str = ""  # what to expect in the account's country, in words (the site's page still decides)
    offered: bool = True  # whether the site is known to offer the form in the account's country
    mail_senders: tuple[str, ...] = ()  # the domains the site's emails come from; no other sender's mail counts
    request: str = "ai-objection"  # the accounts file's name of the request this plan files
    title: str = ""  # what the flow files, in a few words
    # the site reviews the request rather than confirming it: once sent, a new run does not file it again
    reviewed: bool = False
    mail_about: str | None = None  # wording key the site's email about this request matches (None: any)
    # other texts the steps send, as a dry run shows them: (what it is, the text)
    texts: list[tuple[str, str]] = field(default_factory=list)
    linked: tuple[Linked, ...] = ()  # the linked accounts' requests the site's answer to this one may cover

    @property
    def mail(self) -> SiteMail:
        return SiteMail(self.site, self.mail_senders, self.wording, self.reviewed, self.mail_about)
