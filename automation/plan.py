"""What one account's run of one flow will do: its steps, the text it sends, the wording they are matched with."""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def mail(self) -> SiteMail:
        return SiteMail(self.site, self.mail_senders, self.wording)
