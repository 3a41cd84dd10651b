"""The archive made readable: a receipt's answer under its new key and its old one, the site named from the receipt,
and pages that read the same in any encoding."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from automation import exporting
from automation.chain import seal


def submission(archive: Path, account: str, receipt: dict) -> Path:
    folder = archive / account / "2026-11-23T100000Z"
    folder.mkdir(parents=True)
    (folder / "receipt.json").write_text(json.dumps(receipt), encoding="utf-8")
    seal(folder, archive, note="test")
    return folder


def test_the_sites_answer_is_read_under_its_key_and_under_the_key_older_receipts_named_after_the_site():
    assert exporting.site_answer({"site_answer": "honoured"}) == "honoured"
    assert exporting.site_answer({"meta_answer": "refused"}) == "refused"  # written before the key was renamed
    assert exporting.site_answer({"outcome": "confirmed"}) is None
    assert exporting.sites_of([{"site": "Meta"}, {"site": "Meta"}, {}]) == "Meta"


def test_an_export_names_the_site_and_an_old_receipts_answer_and_is_plain_ascii(tmp_path):
    archive = tmp_path / "archive"
    submission(archive, "anna", {"account": "anna", "platform": "facebook", "outcome": "confirmed",
                                 "confirmation_text": "Wir haben deinen Widerspruch erhalten — danke.",
                                 "meta_answer": "honoured"})  # an old receipt: no site, the old key
    submission(archive, "bob", {"account": "bob", "platform": "instagram", "site": "Meta", "outcome": "confirmed",
                                "site_answer": "refused"})
    target = exporting.export(archive, ["anna/2026-11-23T100000Z", "bob/2026-11-23T100000Z"], tmp_path / "out.zip")

    raw = zipfile.ZipFile(target).read("index.html")
    page = raw.decode("ascii")  # every other character is a reference: no charset to declare, none to guess
    assert "<meta" not in page and "Wir haben deinen Widerspruch erhalten &#8212; danke." in page
    assert "Evidence of objections under GDPR Art. 21 to Meta," in page
    assert "What the site showed" in page and "The site's email answering the objection says: honoured." in page
    assert "What Meta showed" in page and "Meta's email answering the objection says: refused." in page

    report = exporting.report(archive, []).read_bytes().decode("ascii")
    assert "<title>Objections to Meta: the archive</title>" in report and "says: honoured." in report
