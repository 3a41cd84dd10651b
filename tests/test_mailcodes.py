"""Meta's emailed code: only the newest code from Meta to this address, sent after Send, is ever used."""

from __future__ import annotations

import datetime as dt
import mailbox
from email.message import EmailMessage
from email.utils import format_datetime

from automation.mailcodes import wait_for_code

SEND = dt.datetime(2026, 11, 23, 10, 0, 0, tzinfo=dt.timezone.utc)


def deliver(box: mailbox.Maildir, code: str, *, at: dt.datetime, to="anna@example.org",
            sender="Facebook <security@facebookmail.com>", html_only=False) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "Your code to confirm your request"
    message["Date"] = format_datetime(at)
    if html_only:
        message.set_content(f"<p>Your confirmation code is <b>{code}</b></p>", subtype="html")
    else:
        message.set_content(f"Hi,\nYour confirmation code is {code}. This code expires in 1 hour.\nMeta 1601 Willow Road")
    box.add(message)


def test_the_newest_code_after_send_wins_and_others_are_ignored(tmp_path):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    deliver(box, "111111", at=SEND - dt.timedelta(minutes=5))  # an older code from an earlier attempt
    deliver(box, "222222", at=SEND + dt.timedelta(seconds=3))
    deliver(box, "333333", at=SEND + dt.timedelta(seconds=9))
    deliver(box, "444444", at=SEND + dt.timedelta(seconds=20), to="bob@example.org")  # another account's
    deliver(box, "555555", at=SEND + dt.timedelta(seconds=30), sender="Phisher <meta@security-facebook.example>")
    assert wait_for_code(tmp_path / "mail", "anna@example.org", SEND, timeout=0) == "333333"


def test_a_code_in_an_html_only_email_is_found(tmp_path):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    deliver(box, "987654", at=SEND + dt.timedelta(seconds=1), html_only=True)
    assert wait_for_code(tmp_path / "mail", "anna@example.org", SEND, timeout=0) == "987654"


def test_a_late_code_is_waited_for_and_none_gives_up_at_the_deadline(tmp_path):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    polls = []

    def pause(seconds):
        polls.append(seconds)
        if len(polls) == 3:
            deliver(box, "246810", at=SEND + dt.timedelta(seconds=40))

    assert wait_for_code(tmp_path / "mail", "anna@example.org", SEND, timeout=30, pause=pause, interval=0.01) == "246810"
    assert len(polls) == 3
    assert wait_for_code(tmp_path / "empty", "anna@example.org", SEND, timeout=0.05, pause=lambda s: None,
                         interval=0.01) is None
