"""Where an account's emails from the site are read: its IMAP mailbox, a local Maildir, or nowhere (then a person at
the terminal types the code). Only mail from the site's sender domains counts. The mailbox password is read from the
keyring only when the mailbox is opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from automation import outcomes
from automation.errors import CredentialError

if TYPE_CHECKING:  # a dry run names the source and reads no mail: the IMAP and email modules load when mail is read
    from email.message import EmailMessage

    from automation import imap_client
    from automation.config import Account
    from automation.credentials import Keyring


class MailSource(Protocol):
    def wait_for_code(self, since: dt.datetime, timeout: float, pause: Callable[[float], None]) -> str | None: ...
    def messages_since(self, since: dt.datetime) -> list[tuple[EmailMessage, bytes]]: ...


@dataclass
class MaildirSource:
    path: Path
    address: str
    senders: tuple[str, ...]

    def wait_for_code(self, since, timeout, pause):
        from automation import mailcodes

        return mailcodes.wait_for_code(self.path, self.address, since, timeout, self.senders, pause)

    def messages_since(self, since):
        from automation import mailcodes

        return mailcodes.read_maildir_raw(self.path)


@dataclass
class ImapSource:
    account: Account
    keyring: Keyring
    senders: tuple[str, ...]

    def _open(self) -> tuple[imap_client.MailboxSettings, str]:
        from automation import imap_client

        password = self.keyring.get(self.account.name, "mailbox")  # read only now, when the mailbox is opened
        if password is None:
            raise CredentialError(f"account {self.account.name!r}: no mailbox password stored",
                                  hint=outcomes.command("credentials", self.account.name))
        box = self.account.mailbox
        return imap_client.MailboxSettings(host=box.host, port=box.port, tls=box.tls, user=box.user,
                                           folder=box.folder), password

    def wait_for_code(self, since, timeout, pause):
        from automation import imap_client

        settings, password = self._open()
        return imap_client.wait_for_code(settings, password, self.account.email, since, timeout,
                                         senders=self.senders, pause=pause, account_hint=self.account.name)

    def messages_since(self, since):
        from automation import imap_client

        settings, password = self._open()
        return imap_client.fetch_from_site(settings, password, self.account.email, since, senders=self.senders,
                                           account_hint=self.account.name)


def mail_source(account: Account, keyring: Keyring | None, senders: tuple[str, ...]) -> MailSource | None:
    """The account's mailbox or Maildir, reading only mail from `senders` (the site's mail domains); None if neither."""
    if account.mailbox is not None and keyring is not None:
        return ImapSource(account, keyring, senders)
    if account.maildir is not None:
        return MaildirSource(account.maildir, account.email, senders)
    return None


def mail_source_name(account: Account) -> str:
    if account.mailbox is not None:
        box = account.mailbox
        return f"read over IMAP from {box.user} at {box.host} ({box.tls})"
    if account.maildir is not None:
        return f"read from the Maildir {account.maildir}"
    return "asked at the terminal"
