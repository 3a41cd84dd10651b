"""Meta's emailed code: only the newest code from Meta's mail domains to this address, sent after Send, is ever used.

The scenarios put each wrong code where a search missing one filter would pick it, and a test removes each filter
from a copy of the module to show that the scenarios then fail."""

from __future__ import annotations

import datetime as dt
import email.policy
import importlib.util
import mailbox
import types
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from automation import mailcodes
from automation.mailcodes import wait_for_code
from flows.meta_common import MAIL_SENDERS
from flows.wording import META

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
    assert wait_for_code(tmp_path / "mail", "anna@example.org", SEND, senders=MAIL_SENDERS, timeout=0) == "333333"


def test_a_code_in_an_html_only_email_is_found(tmp_path):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    deliver(box, "987654", at=SEND + dt.timedelta(seconds=1), html_only=True)
    assert wait_for_code(tmp_path / "mail", "anna@example.org", SEND, senders=MAIL_SENDERS, timeout=0) == "987654"


def test_a_late_code_is_waited_for_and_none_gives_up_at_the_deadline(tmp_path):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    polls = []

    def pause(seconds):
        polls.append(seconds)
        if len(polls) == 3:
            deliver(box, "246810", at=SEND + dt.timedelta(seconds=40))

    assert wait_for_code(tmp_path / "mail", "anna@example.org", SEND, senders=MAIL_SENDERS, timeout=30, pause=pause,
                         interval=0.01) == "246810"
    assert len(polls) == 3
    assert wait_for_code(tmp_path / "empty", "anna@example.org", SEND, senders=MAIL_SENDERS, timeout=0.05,
                         pause=lambda s: None, interval=0.01) is None


# -- each filter is needed: the wrong code is newer, or later in mailbox order, than the right one -------------------

ANNA = "anna@example.org"


def message(code: str | None, *, at: dt.datetime | None, to=ANNA, sender="Facebook <security@facebookmail.com>",
            subject="Your code to confirm your request", body=None, delivered_to=None) -> EmailMessage:
    built = EmailMessage(policy=email.policy.default)
    built["From"], built["Subject"] = sender, subject
    if to:
        built["To"] = to
    if delivered_to:
        built["Delivered-To"] = delivered_to
    if at is not None:
        built["Date"] = format_datetime(at)
    built.set_content(body if body is not None else f"Your confirmation code is {code}. It expires in 1 hour.")
    return built


def _with_date(built: EmailMessage, date: str) -> EmailMessage:
    built["Date"] = date
    return built


def _html(built: EmailMessage, markup: str) -> EmailMessage:
    built.set_content(markup, subtype="html")
    return built


def after(seconds: float) -> dt.datetime:
    return SEND + dt.timedelta(seconds=seconds)


# Each scenario: (messages in mailbox order, the code that must be typed). The wrong candidates are placed so that a
# search lacking one filter, or taking the first or last in mailbox order instead of the newest by Date, picks one.
SCENARIOS = {
    "newest by Date, not by mailbox order": (
        [message("200002", at=after(3)), message("900009", at=after(20)), message("300003", at=after(9))], "900009"),
    "newest first in mailbox order": ([message("900009", at=after(20)), message("200002", at=after(3))], "900009"),
    "an earlier attempt's code, last in the box, while the new one has not come": (
        [message("100001", at=SEND - dt.timedelta(minutes=2))], None),
    "an earlier attempt's code, first in the box": (
        [message("100001", at=SEND - dt.timedelta(minutes=2)), message("200002", at=after(2))], "200002"),
    "a code just inside the clock slack counts": ([message("400004", at=SEND - dt.timedelta(seconds=4))], "400004"),
    "a code just outside the clock slack does not": ([message("400004", at=SEND - dt.timedelta(seconds=6))], None),
    "a newer code to another address": (
        [message("200002", at=after(2)), message("500005", at=after(30), to="bob@example.org")], "200002"),
    "only another address's code": ([message("500005", at=after(30), to="bob@example.org")], None),
    "an address that merely contains this one": (
        [message("200002", at=after(2)), message("500005", at=after(30), to="xanna@example.org"),
         message("500006", at=after(31), to="anna@example.org.evil.example")], "200002"),
    "the address in another case, or only in Delivered-To": (
        [message("200002", at=after(2)), message("600006", at=after(8), to="Anna <Anna@Example.ORG>"),
         message("600007", at=after(9), to="family@example.org", delivered_to=ANNA)], "600007"),
    "a newer code from a look-alike sender": (
        [message("200002", at=after(2)), message("700001", at=after(10), sender="security@faceb00kmail.com"),
         message("700002", at=after(11), sender="Facebook <security@facebookmail.com.evil.example>"),
         message("700003", at=after(12), sender="meta@notfacebookmail.com"),
         message("700004", at=after(13), sender='"security@facebookmail.com" <x@phish.example>'),
         message("700005", at=after(14), sender="Meta <security@meta.com-login.example>")], "200002"),
    "only a look-alike sender's code": ([message("700001", at=after(10), sender="security@faceb00kmail.com")], None),
    "Meta's own domains and subdomains count": (
        [message("200002", at=after(2)), message("800002", at=after(6), sender="META <Security@FACEBOOKMAIL.COM>"),
         message("800001", at=after(7), sender="Instagram <no-reply@mail.instagram.com>")], "800001"),
    "a quoted local part with an @ in it: the domain is what follows the last @": (
        [message("200002", at=after(2)), message("800003", at=after(8), sender='Meta <"security@x"@facebookmail.com>')],
        "800003"),
    "a look-alike sender first in the box": (
        [message("700001", at=after(10), sender="security@faceb00kmail.com"), message("200002", at=after(2))],
        "200002"),
    "no To header, only Delivered-To": ([message("600008", at=after(4), to=None, delivered_to=ANNA)], "600008"),
    "exactly at the clock slack's edge counts": ([message("400005", at=SEND - dt.timedelta(seconds=5))], "400005"),
    "a Date in another zone is compared as the moment it is": (
        [message("200002", at=after(2)), _with_date(message("300009", at=None), "Mon, 23 Nov 2026 10:30:00 +0100")],
        "200002"),  # 09:30 UTC: half an hour before Send
    "a Date without a zone is taken as UTC": (
        [message("200002", at=after(2)), _with_date(message("300010", at=None), "Mon, 23 Nov 2026 10:00:30 -0000")],
        "300010"),
    "the code in the subject only": (
        [message(None, at=after(3), subject="482913 is your confirmation code", body="Use it to confirm.")], "482913"),
    "the number next to the word code, not the first number": (
        [message(None, at=after(3), body="Ref 777777. Your confirmation code is 123456.")], "123456"),
    "a styled HTML email: digits in its markup are not the code": (
        [_html(message(None, at=after(3)), '<p>Your code is: <span style="color:#333333">482913</span></p>')],
        "482913"),
    "a message without a date is not trusted": ([message("200002", at=after(2)), message("990099", at=None)], "200002"),
    "a message with no code is skipped, not taken as none": (
        [message("200002", at=after(2)), message(None, at=after(50), body="We've received your objection.")], "200002"),
}


def scenario_results(module: types.ModuleType) -> dict[str, tuple[str | None, str | None]]:
    """Scenario name -> (code the module picks, code it must pick)."""
    return {name: (module.newest_code(messages, ANNA, SEND, MAIL_SENDERS), expected)
            for name, (messages, expected) in SCENARIOS.items()}


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_filter_of_the_code_search(name):
    picked, expected = scenario_results(mailcodes)[name]
    assert picked == expected


def test_only_the_senders_given_count_the_engine_trusts_none_of_its_own():
    """The flow declares where its site's mail comes from: the same code counts for one site's senders, not another's."""
    toy = [message("123456", at=after(3), sender="Toy <codes@mail.toy.test>")]
    assert mailcodes.newest_code(toy, ANNA, SEND, ("toy.test",)) == "123456"
    assert mailcodes.newest_code(toy, ANNA, SEND, MAIL_SENDERS) is None
    assert mailcodes.newest_code([message("200002", at=after(2))], ANNA, SEND, ()) is None
    assert mailcodes.answers_from_site([raw(message(None, at=after(5), body="We will honour your objection."))],
                                       ANNA, SEND, ("toy.test",)) == []


def test_an_earlier_attempts_code_is_never_typed_while_the_new_one_is_waited_for(tmp_path):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    deliver(box, "111111", at=SEND - dt.timedelta(minutes=3))  # the only, and so the last and newest, code in the box
    polls = []

    def pause(seconds):
        polls.append(seconds)
        if len(polls) == 2:
            deliver(box, "222222", at=SEND + dt.timedelta(seconds=25))

    assert wait_for_code(tmp_path / "mail", ANNA, SEND, senders=MAIL_SENDERS, timeout=60, pause=pause,
                         interval=0.01) == "222222"
    assert polls == [0.01, 0.01]
    assert wait_for_code(tmp_path / "mail", ANNA, SEND + dt.timedelta(minutes=5), senders=MAIL_SENDERS,
                         timeout=0) is None


def mutated(old: str, new: str) -> types.ModuleType:
    """A copy of automation.mailcodes with one piece of its source replaced (the original module is untouched)."""
    spec = importlib.util.find_spec("automation.mailcodes")
    source = Path(spec.origin).read_text(encoding="utf-8")
    if "mutmut" in source:
        pytest.skip("under scripts/mutation.sh the module is mutmut's rewritten copy, and mutmut does the mutating")
    assert source.count(old) == 1, f"the code search changed: {old!r} is not in it exactly once; update this test"
    copy = types.ModuleType("mailcodes_mutant")
    copy.__file__ = spec.origin
    exec(compile(source.replace(old, new), spec.origin, "exec"), copy.__dict__)
    return copy


MUTATIONS = {
    "no after-Send filter": ("if moment is None or moment < since - CLOCK_SLACK:\n", "if moment is None:\n"),
    "no clock slack": ("moment < since - CLOCK_SLACK:\n", "moment < since:\n"),
    "no sender filter": ("if not is_from(message, senders) or not is_addressed_to(message, address):",
                         "if not is_addressed_to(message, address):"),
    "no address filter": ("if not is_from(message, senders) or not is_addressed_to(message, address):",
                          "if not is_from(message, senders):"),
    "the last in mailbox order wins": ("return max(candidates)[2] if candidates else None",
                                       "return candidates[-1][2] if candidates else None"),
    "the first in mailbox order wins": ("return max(candidates)[2] if candidates else None",
                                        "return candidates[0][2] if candidates else None"),
    "a sender's domain need only end in one of the site's": ('domain.endswith("." + known)', "domain.endswith(known)"),
    "the address need only appear in To": ('found.lower() == address.lower()', "address.lower() in found.lower()"),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_reverting_a_filter_makes_the_scenarios_pick_a_wrong_code(mutation):
    """The scenarios above are not green by luck: with any one filter removed from a copy, some pick a wrong code."""
    assert all(picked == expected for picked, expected in scenario_results(mailcodes).values())
    results = scenario_results(mutated(*MUTATIONS[mutation]))
    wrong = {name: picked for name, (picked, expected) in results.items() if picked != expected}
    assert wrong, f"with {mutation!r}, every scenario still picks the right code"


def test_without_the_after_send_filter_an_earlier_attempts_code_would_be_typed():
    """Named for the issue: revert `moment < since - CLOCK_SLACK` and the old code is picked."""
    copy = mutated("if moment is None or moment < since - CLOCK_SLACK:\n", "if moment is None:\n")
    messages, expected = SCENARIOS["an earlier attempt's code, last in the box, while the new one has not come"]
    assert expected is None and mailcodes.newest_code(messages, ANNA, SEND, MAIL_SENDERS) is None
    assert copy.newest_code(messages, ANNA, SEND, MAIL_SENDERS) == "100001"


# -- Meta's answer: the same filters, and the verdict read from its words ----------------------------------------


def raw(built: EmailMessage) -> tuple[EmailMessage, bytes]:
    return built, built.as_bytes()


def test_only_metas_answers_to_this_address_after_send_are_kept_oldest_first():
    answer = "We've received your objection. We will honour your objection."
    kept = mailcodes.answers_from_site([
        raw(message(None, at=SEND - dt.timedelta(days=3), body=answer, subject="From an earlier run")),
        raw(message(None, at=after(40), body=answer, subject="Bob's", to="bob@example.org")),
        raw(message(None, at=after(90), body="Second answer: " + answer, subject="Update")),
        raw(message(None, at=after(50), body=answer, subject="Phish", sender="meta@faceb00kmail.com")),
        raw(message("123456", at=after(60), subject="Your code")),  # a code is not an answer
        raw(message(None, at=after(30), body=answer, subject="First")),
        raw(message(None, at=after(90), body="Also: " + answer, subject="Same moment")),
        raw(message(None, at=after(2), body=answer, subject="Within the clock slack")),
        raw(message(None, at=SEND - dt.timedelta(seconds=5), body=answer, subject="At the slack's edge")),
        raw(message(None, at=None, body=answer, subject="Undated")),
    ], ANNA, SEND, MAIL_SENDERS)
    assert [found["Subject"] for found, _ in kept] == ["At the slack's edge", "Within the clock slack", "First",
                                                       "Update", "Same moment"]


@pytest.mark.parametrize("body, expected", [
    ("We will honour your objection. Meta will not use your information.", "honoured"),
    ("After review, we have decided not to honour your objection.", "refused"),
    ("We are unable to honour your request: it will not be honoured.", "refused"),
    ("We've received your objection and will review it.", "received"),
])
def test_the_verdict_is_read_from_metas_words(body, expected):
    assert mailcodes.verdict(message(None, at=after(5), body=body, subject="Your objection"), META) == expected


def test_the_verdict_reads_the_subject_too():
    told = message(None, at=after(5), subject="We will honour your objection", body="Details are in your account.")
    assert mailcodes.verdict(told, META) == "honoured"


def test_a_message_that_vanishes_while_the_maildir_is_read_is_skipped_not_the_rest(tmp_path, monkeypatch):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    for code in ("111111", "222222", "333333"):
        deliver(box, code, at=after(int(code[0])))
    original, seen = mailbox.Maildir.get_file, []

    def get_file(self, key):
        seen.append(key)
        if len(seen) == 1:
            raise FileNotFoundError(key)  # moved to cur/ or deleted by the mail client meanwhile
        return original(self, key)

    monkeypatch.setattr(mailbox.Maildir, "get_file", get_file)
    assert len(mailcodes.read_maildir_raw(tmp_path / "mail")) == 2


def test_of_two_codes_sent_in_the_same_second_the_one_that_arrived_later_is_typed(tmp_path):
    """A Date header has whole seconds: when the site resends a code within the second, the later arrival is the
    live code, whatever its digits (the used-up one has the larger digits here, so a tie broken by digits types it)."""
    same_second = SEND + dt.timedelta(seconds=4)
    assert mailcodes.newest_code([message("999999", at=same_second), message("111111", at=same_second)], ANNA, SEND,
                                 MAIL_SENDERS) == "111111"
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    deliver(box, "888888", at=same_second)
    deliver(box, "222222", at=same_second)  # delivered later: its Maildir name sorts later
    assert wait_for_code(tmp_path / "mail", ANNA, SEND, senders=MAIL_SENDERS, timeout=0) == "222222"


def test_within_one_second_the_later_delivery_wins_whatever_its_microseconds_digits(tmp_path):
    """Maildir names carry the delivery's microseconds unpadded (Python's own mailbox writes them so): the code
    delivered at .105000 came after the one at .095000, though "M105000" sorts before "M95000" as text."""
    same_second = SEND + dt.timedelta(seconds=4)
    box = tmp_path / "mail"
    for folder in ("new", "cur", "tmp"):
        (box / folder).mkdir(parents=True)
    for name, code in (("1795428004.M95000P7Q1.host", "888888"), ("1795428004.M105000P7Q2.host", "222222")):
        (box / "new" / name).write_bytes(bytes(message(code, at=same_second)))
    assert wait_for_code(box, ANNA, SEND, senders=MAIL_SENDERS, timeout=0) == "222222"
