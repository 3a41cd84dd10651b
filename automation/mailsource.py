"""Where an account's emails from Meta are read: its IMAP mailbox, a local Maildir, or nowhere (then a person at the
terminal types the code). The mailbox password is read from the keyring only when the mailbox is opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Protocol

from automation import imap_client, mailcodes, outcomes
from automation.config import Account
from automation.credentials import Keyring
from automation.errors import CredentialError


class MailSource(Protocol):
    def wait_for_code(self, since: dt.datetime, timeout: float, pause: Callable[[float], None]) -> str | None: ...
    def messages_since(self, since: dt.datetime) -> list[tuple[EmailMessage, bytes]]: ...


@dataclass
class MaildirSource:
    path: Path
    address: str

    def wait_for_code(self, since, timeout, pause):
        return mailcodes.wait_for_code(self.path, self.address, since, timeout, pause)

    def messages_since(self, since):
        return mailcodes.read_maildir_raw(self.path)


@dataclass
class ImapSource:
    account: Account
    keyring: Keyring

    def _open(self) -> tuple[imap_client.MailboxSettings, str]:
        password = self.keyring.get(self.account.name, "mailbox")  # read only now, when the mailbox is opened
        if password is None:
            raise CredentialError(f"account {self.account.name!r}: no mailbox password stored",
                                  hint=outcomes.command("credentials", self.account.name))
        box = self.account.mailbox
        return imap_client.MailboxSettings(host=box.host, port=box.port, tls=box.tls, user=box.user,
                                           folder=box.folder), password

    def wait_for_code(self, since, timeout, pause):
        settings, password = self._open()
        return imap_client.wait_for_code(settings, password, self.account.email, since, timeout, pause=pause,
                                         account_hint=self.account.name)

    def messages_since(self, since):
        settings, password = self._open()
        return imap_client.fetch_from_meta(settings, password, self.account.email, since,
                                           account_hint=self.account.name)


def mail_source(account: Account, keyring: Keyring | None) -> MailSource | None:
    if account.mailbox is not None and keyring is not None:
        return ImapSource(account, keyring)
    if account.maildir is not None:
        return MaildirSource(account.maildir, account.email)
    return None


def mail_source_name(account: Account) -> str:
    if account.mailbox is not None:
        box = account.mailbox
        return f"read over IMAP from {box.user} at {box.host} ({box.tls})"
    if account.maildir is not None:
        return f"read from the Maildir {account.maildir}"
    return "asked at the terminal"
