"""Issue 13: `archive complain` writes (never sends) a complaint to the data protection authority of the account's
country, in its language, quoting what was sent and when and Meta's answer or its silence, with the evidence zip.

The run is the one tests/test_linked_and_pages.py reads (tests/complain_support.py): rob's objection was refused by
Meta's email (France: the CNIL, in French); ola's is unanswered (Germany, German), overdue once a month has passed.
A month cannot pass in a test, so the overdue letter is written by the engine the CLI calls, in this process, told
the date; the CLI itself refuses it today, as not overdue yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from automation import complaint
from automation.errors import ConfigError, ExitCode
from automation.ledger import Entry, Ledger, answer_due
from automation.plan import SiteMail
from complain_support import OLA, PAM, ROB, shared_run
from flows import FLOWS
from flows.complaints import CONTROLLER, template

FLOW = "facebook-ai-objection"
EU = ("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE").split()
EEA = ("IS", "LI", "NO")


@pytest.fixture(scope="module")
def shared(tmp_path_factory, keyring_session, chromium_path):
    return shared_run(tmp_path_factory, keyring_session, chromium_path)


def entry_of(shared, name: str) -> Entry:
    [entry] = [e for e in Ledger(shared.ledger_path()).all() if e.account == name]
    return entry


def mail() -> SiteMail:
    flow = FLOWS[FLOW]
    return SiteMail(flow.site, flow.mail_senders, flow.wording)


def assert_zip_verifies(path: Path, submission: str) -> None:
    """Every file the zip's manifests seal is in it, with the SHA-256 the manifest gives."""
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        manifests = [name for name in names if name.startswith(submission + "/manifest")]
        assert manifests, names
        sealed = {}
        for name in manifests:
            sealed.update({e["name"]: e["sha256"] for e in json.loads(bundle.read(name))["files"]})
        assert "receipt.json" in sealed and any(n.endswith(".png") for n in sealed)
        for name, digest in sealed.items():
            assert hashlib.sha256(bundle.read(f"{submission}/{name}")).hexdigest() == digest, name
        assert "index.html" in names


@pytest.fixture(scope="module")
def refused(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("rob") / "letter.txt"
    done = shared.cli("--config", str(shared.config), "--archive", str(shared.archive), "archive", "complain",
                      ROB.name, "--out", str(out))
    return done, out


@pytest.mark.e2e
@pytest.mark.slow
def test_a_refused_objection_gets_a_french_letter_to_the_cnil_quoting_what_was_sent_and_meta_s_refusal(shared,
                                                                                                     refused):
    done, out = refused
    assert done.returncode == 0, done.stdout + done.stderr
    letter = out.read_text()
    [receipt] = shared.receipts(ROB)
    cnil = complaint.authorities()["FR"]
    assert cnil.name.startswith("Commission nationale de l'informatique et des libertés (CNIL)")
    assert cnil.name in letter and "3 Place de Fontenoy\nTSA 80715\n75334 Paris Cedex 07" in letter
    assert "Plainte au titre de l'article 77 du RGPD contre Meta Platforms Ireland Ltd." in letter
    assert CONTROLLER in letter and "Madame, Monsieur," in letter
    sent = dt.datetime.fromisoformat(receipt["sent_at"].replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
    assert f"Le {sent}, je me suis opposé(e)" in letter
    for line in receipt["fields"]["reason"].strip().splitlines():  # the text exactly as sent, quoted
        assert f"    > {line}".rstrip() in letter
    [eml] = list((shared.archive / ROB.name).glob("*/meta-email-*.eml"))
    refusal = complaint.refusal(eml.parent, mail())
    assert refusal is not None and refusal[0] == eml
    assert f"(objet : « {refusal[1]['subject']} »)" in letter
    assert "    > " + refusal[1]["text"].strip().splitlines()[0] in letter, "Meta's answer is quoted"
    assert "n'a pas répondu" not in letter
    assert f"wrote {out}: a complaint to {cnil.name} ({cnil.complaint}), in fr" in done.stdout
    assert "Nothing was sent" in done.stdout


@pytest.mark.e2e
@pytest.mark.slow
def test_the_refused_letters_evidence_zip_is_beside_it_and_verifies(shared, refused):
    done, out = refused
    zipped = out.with_name("letter-evidence.zip")
    assert zipped.is_file() and f"wrote {zipped}" in done.stdout
    assert zipped.name in out.read_text(), "the letter names the zip"
    entry = entry_of(shared, ROB.name)
    folder = Path(entry.evidence)
    assert_zip_verifies(zipped, f"{ROB.name}/{folder.name}")
    with zipfile.ZipFile(zipped) as bundle:
        assert any(name.endswith(".eml") for name in bundle.namelist()), "Meta's refusal is in the evidence"


@pytest.mark.e2e
@pytest.mark.slow
def test_an_overdue_objection_gets_a_german_letter_saying_meta_stayed_silent_past_a_month(shared, tmp_path):
    from automation.config import load_accounts

    entry = entry_of(shared, OLA.name)
    assert entry.status == "confirmed" and entry.sent_at
    sent = dt.datetime.fromisoformat(entry.sent_at.replace("Z", "+00:00"))
    late = answer_due(sent) + dt.timedelta(days=2)
    account = load_accounts(shared.config).get(OLA.name)
    done = complaint.write(archive=shared.archive, entry=entry, account=account, mail=mail(), controller=CONTROLLER,
                           language="de", template_for=template, out=tmp_path / "ola.txt", now=late)
    letter = done.letter.read_text()
    hamburg = complaint.authorities()["DE"]
    assert done.grounds == "overdue" and done.language == "de" and done.fallback is None
    assert hamburg.name in letter and "Ludwig-Erhard-Straße 22" in letter
    assert "Beschwerde nach Art. 77 DSGVO gegen Meta Platforms Ireland Ltd.: Widerspruch nach Art. 21 DSGVO " \
           "unbeantwortet" in letter
    assert f"Am {sent.strftime('%Y-%m-%d %H:%M UTC')} habe ich dieser Verarbeitung" in letter
    assert f"also bis {answer_due(sent).strftime('%Y-%m-%d %H:%M UTC')}" in letter
    assert f"Bis heute, {late.strftime('%Y-%m-%d')}, ist keine Antwort eingegangen." in letter
    [receipt] = shared.receipts(OLA)
    assert "    > " + receipt["fields"]["reason"].strip().splitlines()[0] in letter
    assert done.evidence == tmp_path / "ola-evidence.zip" and done.evidence.name in letter
    assert_zip_verifies(done.evidence, f"{OLA.name}/{Path(entry.evidence).name}")


@pytest.mark.e2e
@pytest.mark.slow
def test_no_complaint_for_a_request_neither_refused_nor_overdue_and_the_cli_says_why(shared, tmp_path):
    done = shared.cli("--config", str(shared.config), "--archive", str(shared.archive), "archive", "complain",
                      OLA.name, "--out", str(tmp_path / "x.txt"))
    assert done.returncode == ExitCode.CONFIG
    assert f"Error: {OLA.name}: the request {FLOW} is confirmed since " in done.stderr
    assert "a complaint is for a request Meta refused, or left unanswered for a month after Send (GDPR Art. " \
           "12(3)); without an answer it is overdue from " in done.stderr
    assert "hint: `submit-objections status --check-mail` looks for the answer first" in done.stderr
    assert not list(tmp_path.iterdir()), "nothing written"
    page = shared.cli("--config", str(shared.config), "--archive", str(shared.archive), "archive", "complain",
                      PAM.name, "--out", str(tmp_path / "y.txt"))
    assert page.returncode == ExitCode.CONFIG and "is not-eligible since" in page.stderr


def test_no_complaint_without_sealed_evidence(tmp_path):
    from automation.config import Account

    folder = tmp_path / "archive" / "zoe" / "2026-01-05T100000Z-facebook-ai-objection"
    folder.mkdir(parents=True)
    (folder / "receipt.json").write_text(json.dumps({"sent": True, "sent_at": "2026-01-05T10:00:00Z"}))
    entry = Entry("zoe", FLOW, "facebook", "refused", "2026-01-06T10:00:00Z", str(folder), "2026-01-05T10:00:00Z",
                  None)
    account = Account(name="zoe", platform="facebook", login="zoe@example.org", email="zoe@example.org", country="FR")
    with pytest.raises(ConfigError) as raised:
        complaint.write(archive=tmp_path / "archive", entry=entry, account=account, mail=mail(),
                        controller=CONTROLLER, language="fr", template_for=template, out=tmp_path / "z.txt")
    assert str(raised.value).startswith(f"zoe: the request {FLOW} has no sealed evidence of what was sent ({folder})")
    assert not (tmp_path / "z.txt").exists()


@pytest.mark.e2e
@pytest.mark.slow
def test_a_language_without_a_letter_falls_back_to_english_and_says_so(shared, tmp_path):
    from automation.config import load_accounts

    account = load_accounts(shared.config).get(ROB.name)
    done = complaint.write(archive=shared.archive, entry=entry_of(shared, ROB.name), account=account, mail=mail(),
                           controller=CONTROLLER, language="sv", template_for=template, out=tmp_path / "sv.txt")
    assert done.fallback == "sv" and done.language == "en"
    letter = done.letter.read_text()
    assert "Complaint under Article 77 GDPR against Meta Platforms Ireland Ltd.: objection under Article 21 GDPR " \
           "refused" in letter and "resident in France" in letter


def test_the_authorities_cover_the_eu_the_eea_the_uk_and_switzerland_each_with_its_source():
    known = complaint.authorities()
    assert sorted(known) == sorted([*EU, *EEA, "GB", "CH"])
    for code, authority in known.items():
        assert authority.name and authority.address, code
        for url in (authority.source, authority.complaint, authority.website):
            assert url.startswith("https://"), (code, url)
        assert isinstance(authority.verified, bool), code
    assert all(known[code].verified for code in ("FR", "DE", "IE", "NL", "CH", "AT", "GB"))
    assert known["GB"].name == "Information Commissioner's Office (ICO)"
    with pytest.raises(ConfigError, match="no data protection authority for the country 'US'"):
        complaint.authority_for("US")


def test_every_letter_has_every_section_and_only_known_placeholders():
    import string

    from flows.complaints import languages

    placeholders = {"authority", "controller", "controller_name", "full_name", "email", "account", "platform",
                    "country", "sent_at", "form", "today", "due", "zip", "answer_date", "answer_subject",
                    "answer_file", "status_word"}
    assert languages() == ["de", "en", "es", "fr", "it", "nl", "pl"]
    for language in languages():
        letter = template(language)
        assert set(letter) == set(complaint.SECTIONS) | set(complaint.WORDS), language
        for key, text in letter.items():
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert used <= placeholders, (language, key, used - placeholders)
