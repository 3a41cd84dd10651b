"""Finds the 6-digit code a site emails after Send, in a local Maildir, and the site's answer to a request.

Only a message from one of the site's sender domains (the flow declares them), addressed to the account's email, dated
after Send, is used; of those the newest wins, so an older code, another account's code or a look-alike sender's code
is never typed. Codes are never logged.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import html
import mailbox
import re
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

from automation.wording import Wording

CODE_NEAR_WORD = re.compile(r"code\D{0,40}?\b(\d{6})\b", re.IGNORECASE | re.DOTALL)
ANY_CODE = re.compile(r"\b(\d{6})\b")
# The site's clock and ours may disagree a little; a code dated this much before Send still counts.
CLOCK_SLACK = dt.timedelta(seconds=5)


def is_from(message: EmailMessage, senders: tuple[str, ...]) -> bool:
    """Whether the message's From address is at one of `senders` (domains, lower case) or a subdomain of one."""
    _, address = email.utils.parseaddr(str(message.get("From", "")))
    domain = address.rpartition("@")[2].lower()
    return any(domain == known or domain.endswith("." + known) for known in senders)


def is_addressed_to(message: EmailMessage, address: str) -> bool:
    recipients = email.utils.getaddresses([str(value) for value in message.get_all("To", []) + message.get_all("Delivered-To", [])])
    return any(found.lower() == address.lower() for _, found in recipients)


def sent_at(message: EmailMessage) -> dt.datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def message_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        content = html.unescape(re.sub(r"<[^>]+>", " ", content))
    return content


def extract_code(message: EmailMessage) -> str | None:
    for source in (str(message.get("Subject", "")), message_text(message)):
        found = CODE_NEAR_WORD.search(source) or ANY_CODE.search(source)
        if found:
            return found.group(1)
    return None


def newest_code(messages: list[EmailMessage], address: str, since: dt.datetime, senders: tuple[str, ...]) -> str | None:
    candidates = []  # (sent at, arrival): a Date has whole seconds, so of two codes sent in one second the later wins
    for arrival, message in enumerate(messages):
        moment = sent_at(message)
        if moment is None or moment < since - CLOCK_SLACK:
            continue
        if not is_from(message, senders) or not is_addressed_to(message, address):
            continue
        code = extract_code(message)
        if code:
            candidates.append((moment, arrival, code))
    return max(candidates)[2] if candidates else None


def read_maildir(path: Path) -> list[EmailMessage]:
    return [message for message, _ in read_maildir_raw(path)]


def wait_for_code(
    maildir: Path,
    address: str,
    since: dt.datetime,
    timeout: float,
    senders: tuple[str, ...],
    pause: Callable[[float], None] = time.sleep,
    interval: float = 1.0,
) -> str | None:
    deadline = time.monotonic() + timeout
    while True:
        code = newest_code(read_maildir(maildir), address, since, senders)
        if code or time.monotonic() >= deadline:
            return code
        pause(interval)


# -- the site's answer to a request, kept as evidence -------------------------------------------------------------

def _delivery_order(key: str) -> tuple[int, int, str]:
    """A Maildir name begins with its delivery's whole second and usually carries its microseconds as `M<digits>`,
    not zero-padded: compared as text, M95000 came after M105000 within one second."""
    seconds, _, rest = key.partition(".")
    micro = re.search(r"M(\d+)", rest)
    return (int(seconds) if seconds.isdigit() else 0, int(micro.group(1)) if micro else 0, key)


def read_maildir_raw(path: Path) -> list[tuple[EmailMessage, bytes]]:
    if not path.is_dir():
        return []
    box = mailbox.Maildir(path, factory=None, create=False)
    found = []
    for key in sorted(box.iterkeys(), key=_delivery_order):  # oldest first
        try:
            with box.get_file(key) as handle:
                raw = handle.read()
        except (FileNotFoundError, KeyError):
            continue
        found.append((email.message_from_bytes(raw, policy=email.policy.default), raw))
    return found


def answers_from_site(messages: list[tuple[EmailMessage, bytes]], address: str, since: dt.datetime,
                      senders: tuple[str, ...]) -> list[tuple[EmailMessage, bytes]]:
    """The site's emails (from `senders`) to this address after Send that are not a code: its answer to the
    request, oldest first."""
    found = []
    for message, raw in messages:
        moment = sent_at(message)
        if moment is None or moment < since - CLOCK_SLACK or not is_from(message, senders):
            continue
        if not is_addressed_to(message, address) or extract_code(message):
            continue
        found.append((moment, message, raw))
    return [(message, raw) for _, message, raw in sorted(found, key=lambda item: item[0])]


def is_about(message: EmailMessage, wording: Wording, key: str) -> bool:
    """Whether the email's subject or text matches the wording key `key` (what the request it answers is about)."""
    return wording.matches(key, " ".join(f"{message.get('Subject', '')}\n{message_text(message)}".split()))


def verdict(message: EmailMessage, wording: Wording) -> str:
    """'refused', 'honoured', or 'received' when the email only acknowledges the request (wording keys
    email_refused and email_honoured, in any language)."""
    body = " ".join(f"{message.get('Subject', '')}\n{message_text(message)}".split())
    if wording.matches("email_refused", body):
        return "refused"
    return "honoured" if wording.matches("email_honoured", body) else "received"


def covers_linked(message: EmailMessage, wording: Wording) -> bool:
    """Whether the site's answer says it also covers the other accounts in the same account centre (wording key
    email_covers_linked, in any language; a site without the key never says so)."""
    if not wording.has("email_covers_linked"):
        return False
    body = " ".join(f"{message.get('Subject', '')}\n{message_text(message)}".split())
    return wording.matches("email_covers_linked", body)
