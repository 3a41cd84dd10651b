"""Every command a script reads has --json with the keys the README lists: status, archive list, show and verify,
credentials check. Each is parsed here from the real CLI's standard output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from automation.chain import seal
from automation.ledger import Ledger
from e2e_support import ANNA_ACCOUNT

ACCOUNTS = ANNA_ACCOUNT + """
[[accounts]]
name = "ben"
platform = "instagram"
login = "ben_example"
email = "ben@example.org"
country = "FR"
[accounts.mailbox]
host = "127.0.0.1"
user = "ben@example.org"
tls = "plain"
"""

RECEIPT = {"account": "anna", "platform": "facebook", "outcome": "confirmed", "reason": "the site confirmed it",
           "sent": True, "form": {"address": "https://example.org/form", "variant": "2024"},
           "language": {"expected": "de", "page": "de"}, "started_at": "2026-11-23T10:00:00Z",
           "sent_at": "2026-11-23T10:01:00Z", "finished_at": "2026-11-23T10:02:00Z",
           "confirmation_text": "Danke", "fields": {"email": "anna@example.org", "reason": "Ich widerspreche"},
           "fields_found_by": {"email": "label"}, "tool_version": "1.0"}


def keys_of(readme_section: str) -> list[str]:
    """The keys a README table under the heading `readme_section` lists, in order."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = text.split(readme_section, 1)[1].split("\n\n", 2)[1]
    return [line.split("`")[1] for line in table.splitlines() if line.startswith("| `")]


def archive_with_one_sealed_and_one_unsealed(root: Path) -> Path:
    archive = root / "archive"
    sealed = archive / "anna" / "2026-11-23T100000Z"
    sealed.mkdir(parents=True)
    (sealed / "receipt.json").write_text(json.dumps(RECEIPT))
    (sealed / "01-form.png").write_bytes(b"png")
    seal(sealed, archive, note="test")
    unsealed = archive / "ben" / "2026-11-24T090000Z"
    unsealed.mkdir(parents=True)
    (unsealed / "receipt.json").write_text(json.dumps({"account": "ben", "outcome": "interrupted"}))
    return archive


def test_status_json_has_one_record_per_account_with_the_readme_keys(cli, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    ledger = Ledger(Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3")
    ledger.record("anna", "facebook-ai-objection", "facebook", "confirmed", sent_at="2026-11-23T10:01:00Z")
    ledger.record("ben", "instagram-ai-objection", "instagram", "needs-owner")

    shown = cli("--config", str(config), "status", "--json")
    assert shown.returncode == 0, shown.stderr
    records = json.loads(shown.stdout)
    assert [record["account"] for record in records] == ["anna", "ben"]
    assert list(records[0]) == keys_of("`status --json`")
    assert records[1]["status"] == "needs-owner" and records[1]["status_label"] == "needs the owner"
    assert "--headed --account ben" in records[1]["next"]


def test_status_json_of_an_empty_ledger_is_an_empty_list(cli, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    shown = cli("--config", str(config), "status", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout) == []


def test_archive_list_show_and_verify_json(cli, tmp_path):
    archive = archive_with_one_sealed_and_one_unsealed(tmp_path)
    listed = cli("--archive", str(archive), "archive", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert list(records[0]) == keys_of("`archive list --json`")
    assert [(r["submission"], r["outcome"], r["sealed"]) for r in records] == [
        ("anna/2026-11-23T100000Z", "confirmed", True), ("ben/2026-11-24T090000Z", "interrupted", False)]

    shown = cli("--archive", str(archive), "archive", "show", "anna/2026-11-23T100000Z", "--json")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert list(record) == keys_of("`archive show --json")
    assert record["form_variant"] == "2024" and record["sent"] is True and record["sealed"] is True
    assert record["fields"]["email"] == {"value": "anna@example.org", "found_by": "label"}
    assert {f["name"]: bool(f["sha256"]) for f in record["files"]} == {"01-form.png": True, "receipt.json": True}

    verified = cli("--archive", str(archive), "archive", "verify", "--json")
    assert verified.returncode == 6, verified.stderr  # one unsealed submission, as without --json
    result = json.loads(verified.stdout)
    assert list(result) == keys_of("`archive verify --json")
    assert result == {"intact": True, "sealed_checked": 1, "unsealed": ["ben/2026-11-24T090000Z"], "problems": []}

    (archive / "anna" / "2026-11-23T100000Z" / "01-form.png").write_bytes(b"changed")
    changed = cli("--archive", str(archive), "archive", "verify", "--json")
    assert changed.returncode == 7
    problems = json.loads(changed.stdout)["problems"]
    assert problems[0]["where"] == "anna/2026-11-23T100000Z/01-form.png" and "changed" in problems[0]["what"]


def test_credentials_check_json_says_what_is_stored_never_a_secret(cli, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    assert cli("--config", str(config), "credentials", "set", "anna",
               input="Pw-json-4471\nJBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP\n").returncode == 0
    checked = cli("--config", str(config), "credentials", "check", "--json")
    assert checked.returncode == 2  # ben has nothing stored: the same exit code as without --json
    records = json.loads(checked.stdout)
    assert list(records[0]) == keys_of("`credentials check --json")
    assert records == [
        {"account": "anna", "password": True, "totp": "valid", "mailbox": None, "complete": True},
        {"account": "ben", "password": False, "totp": "none", "mailbox": False, "complete": False}]
    assert "Pw-json-4471" not in checked.stdout + checked.stderr and "JBSW" not in checked.stdout
