"""A site's codes and answers from the account's real mailbox, over IMAP (IDLE where the server offers it).

Only messages from the site's sender domains to the account's address, sent after Send, count; the newest code wins
(the rules live in mailcodes). Certificates are always verified. Errors name the mailbox and say what to do; a
password or a code is never in one, nor in a log line.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import imaplib
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from automation import mailcodes, outcomes
from automation.config import is_loopback
from automation.errors import ExpectedError

log = logging.getLogger(__name__)

IDLE_SLICE = 5.0  # seconds of one IDLE wait, so the overall deadline is noticed
RECONNECT_PAUSE = 1.0


class MailboxError(ExpectedError):
    """The mailbox could not be read; the message names it and says what to do."""



@dataclass(frozen=True)
class MailboxSettings:
    host: str
    user: str
    port: int | None = None
    tls: Literal["implicit", "starttls", "plain"] = "implicit"
    folder: str = "INBOX"

    @property
    def name(self) -> str:
        return f"{self.user}@{self.host}:{self.port or (993 if self.tls == 'implicit' else 143)}"


def _connect(settings: MailboxSettings, password: str, account_hint: str) -> IMAPClient:
    if settings.tls == "plain" and not is_loopback(settings.host):
        raise MailboxError(f"mailbox {settings.name}: refusing to send its password unencrypted",
                           hint='set tls = "implicit" or "starttls" in the accounts file')
    port = settings.port or (993 if settings.tls == "implicit" else 143)
    context = ssl.create_default_context()
    try:
        client = IMAPClient(settings.host, port=port, ssl=settings.tls == "implicit", ssl_context=context,
                            timeout=30)
        if settings.tls == "starttls":
            client.starttls(context)
    except ssl.SSLCertVerificationError:
        raise MailboxError(f"mailbox {settings.name}: the server's certificate is not trusted",
                           hint="use the provider's own IMAP host name; check tls (implicit on 993, starttls on 143)"
                           ) from None
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"mailbox {settings.name}: cannot connect ({type(error).__name__})",
                           hint="check host, port and tls in the accounts file, and the network") from None
    try:
        client.login(settings.user, password)
    except LoginError:
        raise MailboxError(f"mailbox {settings.name}: the server refused the login",
                           hint="store the right mailbox password with "
                           f"`{outcomes.command('credentials', account_hint)}` (Gmail and Outlook want an app "
                           "password)") from None
    try:
        client.select_folder(settings.folder, readonly=True)
    except IMAPClientError:
        raise MailboxError(f"mailbox {settings.name}: there is no folder {settings.folder!r}",
                           hint="set folder in the accounts file's mailbox table") from None
    return client


def _messages(client: IMAPClient, address: str, since: dt.datetime) -> list[tuple[EmailMessage, bytes]]:
    day = (since - dt.timedelta(days=1)).date()  # SINCE compares dates in the server's zone
    found = []
    ids = client.search(["SINCE", day, "TO", address])
    fetched = client.fetch(ids, ["RFC822"]) if ids else {}
    for number in sorted(fetched):  # message numbers grow with arrival: oldest first
        raw = fetched[number][b"RFC822"]
        found.append((email.message_from_bytes(raw, policy=email.policy.default), raw))
    return found


def wait_for_code(settings: MailboxSettings, password: str, address: str, since: dt.datetime, timeout: float, *,
                  senders: tuple[str, ...], pause: Callable[[float], None] = time.sleep, interval: float = 2.0,
                  account_hint: str = "ACCOUNT") -> str | None:
    """The newest code from `senders` (the site's mail domains) to `address` sent after `since`, waiting up to
    `timeout` seconds; None if none."""
    deadline = time.monotonic() + timeout
    client = _connect(settings, password, account_hint)  # a wrong password or host fails at once
    idle = b"IDLE" in client.capabilities()
    log.info("waiting for the code in %s (%s)", settings.name, "IDLE" if idle else f"polling every {interval:g} s")
    try:
        while True:
            try:
                messages = [message for message, _ in _messages(client, address, since)]
                code = mailcodes.newest_code(messages, address, since, senders)
                if code:
                    return code
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if idle:
                    client.idle()
                    client.idle_check(timeout=min(remaining, IDLE_SLICE))
                    client.idle_done()
                else:
                    pause(min(interval, remaining))
            except (OSError, IMAPClientError, imaplib.IMAP4.abort, imaplib.IMAP4.error):
                client = _reconnect(settings, password, account_hint, deadline, pause)
    finally:
        _close(client)


def _reconnect(settings, password, account_hint, deadline, pause) -> IMAPClient:
    """The connection dropped (the server restarted): try again until the deadline."""
    log.warning("lost the connection to %s; reconnecting", settings.name)
    while True:
        try:
            return _connect(settings, password, account_hint)
        except MailboxError:
            if time.monotonic() >= deadline:
                raise MailboxError(f"mailbox {settings.name}: the connection was lost and did not come back",
                                   hint="run again later, or type the code at a terminal") from None
            pause(RECONNECT_PAUSE)


def fetch_from_site(settings: MailboxSettings, password: str, address: str, since: dt.datetime, *,
                    senders: tuple[str, ...], account_hint: str = "ACCOUNT") -> list[tuple[EmailMessage, bytes]]:
    """Every message from `senders` (the site's mail domains) to `address` sent after `since`, with its raw bytes
    (for .eml evidence)."""
    client = _connect(settings, password, account_hint)
    try:
        return [(message, raw) for message, raw in _messages(client, address, since)
                if mailcodes.is_from(message, senders)]
    finally:
        _close(client)


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError, imaplib.IMAP4.abort, imaplib.IMAP4.error, socket.timeout):
        pass


def check_login(settings: MailboxSettings, password: str, account_hint: str = "ACCOUNT") -> None:
    """Connects, logs in and opens the folder read-only, then logs out: no message is searched or read. Raises
    MailboxError naming what failed and how to fix it."""
    _close(_connect(settings, password, account_hint))
