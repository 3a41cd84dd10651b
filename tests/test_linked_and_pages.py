"""Issue 13: linked accounts settled by Meta's email, and a Facebook Page that cannot file.

One shared run (tests/complain_support.py): lia-fb files; Meta's confirmation says it also covers the other accounts
in the same Accounts Centre, so lia-ig (linked_to = "lia-fb") is marked covered and never filed for, in that run and
the next; pam is signed in as a Facebook Page and stops before any form.
"""

from __future__ import annotations

import json

import pytest

from automation.config import load_accounts
from automation.errors import ConfigError
from complain_support import LIA_FB, LIA_IG, PAGE_NAME, PAM, shared_run
from e2e_support import table_row


@pytest.fixture(scope="module")
def shared(tmp_path_factory, keyring_session, chromium_path):
    return shared_run(tmp_path_factory, keyring_session, chromium_path)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_filing_accounts_email_says_it_covers_the_linked_accounts(shared):
    [body] = [text for text in shared.mails[LIA_FB.login] if "bezwaar" in text]
    assert "hetzelfde Accountcentrum" in body, "the mock's confirmation to a linked account names its Accounts Centre"
    [filed] = [s for s in shared.submissions if s["login"] == LIA_FB.login]
    assert filed["meaning"]["email"] == LIA_FB.login
    assert shared.ledger()[LIA_FB.name][0] == "honoured"


@pytest.mark.e2e
@pytest.mark.slow
def test_the_linked_account_is_settled_by_that_email_and_never_filed(shared):
    status, evidence, note = shared.ledger()[LIA_IG.name]
    assert status == "already-objected"
    fb_status, fb_evidence, _ = shared.ledger()[LIA_FB.name]
    assert evidence == fb_evidence, "the evidence is the filing account's folder, where Meta's email is kept"
    [email] = [path.name for path in (shared.archive / LIA_FB.name).glob("*/meta-email-*.eml")]
    assert note.startswith(f"covered by {LIA_FB.name}'s request: Meta's email {email} (in {fb_evidence})"), note
    sealed = {e["name"] for m in (shared.archive / LIA_FB.name).glob("*/manifest*.json")
              for e in json.loads(m.read_text())["files"]}
    assert email in sealed, "the email that settles lia-ig is sealed evidence"
    # Never filed: the mock saw no login, no form and no submission for lia-ig, and the tool kept no folder for it.
    assert shared.events_of(LIA_IG) == [] and not [s for s in shared.submissions if s["login"] == LIA_IG.login]
    assert not (shared.archive / LIA_IG.name).exists()
    assert table_row(shared.first.stdout, LIA_IG.name)[2:4] == ["already", "objected"]
    assert shared.told(shared.first, LIA_IG).startswith(f"{LIA_IG.name}: not filed: covered by {LIA_FB.name}'s "
                                                        "request: Meta's email")


@pytest.mark.e2e
@pytest.mark.slow
def test_a_rerun_files_nothing_for_either_and_says_why(shared):
    assert shared.rerun.returncode == 0, shared.rerun.stdout + shared.rerun.stderr
    told = shared.told(shared.rerun, LIA_IG)
    assert told.startswith(f"{LIA_IG.name}: skipped: already-objected since ") and \
        f"covered by {LIA_FB.name}'s request" in told and told.endswith("--force files again")
    assert shared.told(shared.rerun, LIA_FB).startswith(f"{LIA_FB.name}: skipped: honoured since ")
    assert len([s for s in shared.submissions if s["login"] in (LIA_FB.login, LIA_IG.login)]) == 1


@pytest.mark.e2e
@pytest.mark.slow
def test_a_facebook_page_is_not_eligible_and_no_form_is_filled(shared):
    assert table_row(shared.first.stdout, PAM.name)[2:4] == ["not", "eligible"]
    assert shared.told(shared.first, PAM).startswith(
        f"{PAM.name}: this is a Facebook Page; Meta takes objections from personal profiles only: log in as the "
        "person who manages it")
    assert shared.events_of(PAM, "login"), "pam did log in"
    assert shared.events_of(PAM, "form_viewed") == [] and shared.events_of(PAM, "page_refused") == []
    assert not [s for s in shared.submissions if s["login"] == PAM.login]
    [receipt] = shared.receipts(PAM)
    assert receipt["outcome"] == "not_eligible" and receipt["sent"] is False and receipt["fields"] == {}
    assert PAGE_NAME in receipt["page_said"], "the receipt keeps what Meta's page said"
    assert shared.ledger()[PAM.name][0] == "not-eligible"


def test_linked_to_must_name_another_account_of_the_file(tmp_path):
    path = tmp_path / "accounts.toml"
    path.write_text('[[accounts]]\nname = "a"\nplatform = "facebook"\nlogin = "a@example.org"\nemail = "a@example.org"\n'
                    'country = "DE"\n\n[[accounts]]\nname = "b"\nplatform = "instagram"\nlogin = "b"\n'
                    'email = "b@example.org"\ncountry = "DE"\nlinked_to = "c"\n')
    with pytest.raises(ConfigError) as raised:
        load_accounts(path)
    assert str(raised.value) == (f"{path}:14: account 'b': field 'linked_to' names 'c', which is no account here\n"
                                 "  hint: linked_to names another account of this file (its `name`) that shares its "
                                 "account centre; accounts here: a, b")
    path.write_text(path.read_text().replace('linked_to = "c"', 'linked_to = "b"'))
    with pytest.raises(ConfigError, match="field 'linked_to' names itself"):
        load_accounts(path)
    path.write_text(path.read_text().replace('linked_to = "b"', 'linked_to = "a"') +
                    '\n[[accounts]]\nname = "c"\nplatform = "facebook"\nlogin = "c@example.org"\n'
                    'email = "c@example.org"\ncountry = "DE"\nlinked_to = "b"\n')
    accounts = load_accounts(path)
    assert [a.name for a in accounts.linked_with("a")] == ["b", "c"], "followed both ways and on"
    assert [a.name for a in accounts.linked_with("c")] == ["a", "b"]


@pytest.mark.parametrize("language", ["en", "de", "fr", "it", "es", "nl", "pl"])
def test_meta_s_answers_are_read_in_every_language_and_only_a_linked_accounts_says_it_covers_the_others(language):
    """The mock's emails (worded from the research, independently of the flows' tables) against the tables."""
    from email.message import EmailMessage

    from automation import mailcodes
    from fixtures.mock_meta.texts import TABLES
    from flows.wording import META

    texts = TABLES[language]
    for kind in ("honoured", "refused"):
        for linked in ("", texts["mail_linked_sentence"]):
            message = EmailMessage()
            message["Subject"] = texts[f"mail_{kind}_subject"]
            message.set_content(texts[f"mail_{kind}_body"].format(first_name="Lia", brand="Facebook", linked=linked))
            assert mailcodes.verdict(message, META) == kind, (kind, bool(linked))
            assert mailcodes.covers_linked(message, META) is bool(linked and kind == "honoured"), (kind, bool(linked))


def test_cover_linked_settles_only_what_is_not_settled_and_only_on_a_covering_email(tmp_path):
    """The part a run and `status --check-mail` share, on a folder as a run leaves it."""
    from email.message import EmailMessage

    from automation.jobs import cover_linked
    from automation.ledger import Ledger
    from automation.plan import Linked, Plan
    from fixtures.mock_meta.texts import TABLES
    from flows.wording import META

    folder = tmp_path / "archive" / "kim-fb" / "2026-12-01T100000Z-facebook-ai-objection"
    folder.mkdir(parents=True)
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.record("kim-ig2", "instagram-ai-objection", "instagram", "honoured", note="its own answer")
    ledger.record("kim-ig", "instagram-ai-objection", "instagram", "failed", note="wrong password")
    account = load_accounts_of(tmp_path, "kim-fb")
    plan = Plan(account, "", [], META, flow="facebook-ai-objection", site="Meta", mail_senders=("facebookmail.com",),
                linked=(Linked("kim-ig", "instagram", "instagram-ai-objection"),
                        Linked("kim-ig2", "instagram", "instagram-ai-objection")))
    texts = TABLES["en"]
    message = EmailMessage()
    message["Subject"] = texts["mail_honoured_subject"]
    message.set_content(texts["mail_honoured_body"].format(first_name="Kim", brand="Facebook", linked=""))
    (folder / "meta-email-20261201T100500Z.eml").write_bytes(message.as_bytes())
    assert cover_linked(ledger, plan, folder) == [], "an answer that does not say it covers the others covers none"
    del message["Subject"]
    message["Subject"] = texts["mail_honoured_subject"]
    message.set_content(texts["mail_honoured_body"].format(first_name="Kim", brand="Facebook",
                                                           linked=texts["mail_linked_sentence"]))
    (folder / "meta-email-20261201T110000Z.eml").write_bytes(message.as_bytes())
    assert cover_linked(ledger, plan, folder) == ["kim-ig"]
    covered = ledger.get("kim-ig", "instagram-ai-objection")
    assert covered.status == "already-objected" and covered.evidence == str(folder)
    assert covered.note == (f"covered by kim-fb's request: Meta's email meta-email-20261201T110000Z.eml (in {folder}) "
                            "says it also covers the other accounts in the same account centre")
    assert ledger.get("kim-ig2", "instagram-ai-objection").note == "its own answer", "a settled request is left alone"


def load_accounts_of(tmp_path, name):
    from automation.config import Account

    return Account(name=name, platform="facebook", login=f"{name}@example.org", email=f"{name}@example.org",
                   country="DE")
