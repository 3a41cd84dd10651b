"""`doctor` checks what a run needs, one line per check, and says how to fix each that fails: a missing browser, an
unsafe keyring, a missing secret, an unreachable mailbox or one that refuses the login, a folder others can read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_json_outputs import keys_of

ACCOUNT = """\
[[accounts]]
name = "{name}"
platform = "facebook"
login = "{name}@example.org"
email = "{name}@example.org"
country = "NL"
"""


def accounts_file(tmp_path: Path, *extra: str, name: str = "wil") -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNT.format(name=name) + "".join(extra))
    return path


def lines_of(output: str) -> dict[str, str]:
    """Each check's line by its name: `ok    browser: ...` -> {"browser": "ok    browser: ..."}."""
    return {line.split()[1].rstrip(":"): line for line in output.splitlines() if line.strip()}


def doctor(cli, config: Path, *args: str):
    return cli("--config", str(config), "--archive", str(cli.home / "archive"), "doctor", *args)


def test_all_in_place_passes_and_the_browser_starts(cli, tmp_path, chromium_path):
    config = accounts_file(tmp_path, f'maildir = "{tmp_path / "Mail"}"\n')
    for part in ("cur", "new", "tmp"):
        (tmp_path / "Mail" / part).mkdir(parents=True)
    assert cli("--config", str(config), "credentials", "set", "wil", input="Pw-doctor-1\n").returncode == 0

    checked = doctor(cli, config)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = lines_of(checked.stdout)
    assert lines["browser"].startswith("ok") and chromium_path in lines["browser"]
    assert "Chromium" in lines["browser"] or "Chrome" in lines["browser"]  # the version it reports
    assert lines["browser_start"] == "ok    browser_start: started headless and closed"
    assert lines["keyring"].startswith("ok") and "SecretService" in lines["keyring"]
    assert lines["accounts_file"].startswith("ok") and "1 account(s): wil" in lines["accounts_file"]
    assert lines["secrets:wil"] == "ok    secrets:wil: login password stored, no 2FA secret"
    assert lines["mailbox:wil"].startswith("ok") and "Maildir" in lines["mailbox:wil"]
    assert lines["archive_chain"] == "ok    archive_chain: no archive yet"
    assert "Pw-doctor-1" not in checked.stdout + checked.stderr


def test_a_missing_browser_is_reported_with_its_fix(cli, tmp_path):
    cli.env["SUBMIT_OBJECTIONS_CHROMIUM"] = str(tmp_path / "no-such-chromium")
    checked = doctor(cli, accounts_file(tmp_path), "--json")
    assert checked.returncode == 8
    records = {record["check"]: record for record in json.loads(checked.stdout)}
    assert list(records["browser"]) == keys_of("`doctor --json`") == ["check", "status", "detail", "fix"]
    assert records["browser"]["status"] == "fail" and "does not exist" in records["browser"]["detail"]
    assert "apt-get install chromium" in records["browser"]["fix"] or "Chromium or Chrome" in records["browser"]["fix"]
    assert records["browser_start"]["status"] == "skipped"

    words = doctor(cli, accounts_file(tmp_path))
    assert words.returncode == 8 and "check(s) failed" in words.stderr
    assert lines_of(words.stdout)["browser"].startswith("FAIL  browser:") and "; fix: " in lines_of(words.stdout)["browser"]


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "keyrings.alt.file.PlaintextKeyring"])
def test_an_unsafe_keyring_is_reported_with_its_fix(cli, tmp_path, backend):
    cli.env["PYTHON_KEYRING_BACKEND"] = backend
    checked = doctor(cli, accounts_file(tmp_path), "--no-launch")
    assert checked.returncode == 8
    lines = lines_of(checked.stdout)
    assert lines["keyring"].startswith("FAIL  keyring: no safe keyring is available")
    assert "fix: on Linux install and unlock a Secret Service keyring (gnome-keyring" in lines["keyring"]
    assert lines["secrets:wil"].startswith("skip")


def test_a_missing_secret_is_reported_with_the_command_that_stores_it(cli, tmp_path):
    checked = doctor(cli, accounts_file(tmp_path), "--no-launch")
    assert checked.returncode == 8
    assert lines_of(checked.stdout)["secrets:wil"] == (
        "FAIL  secrets:wil: missing: login password; fix: run `submit-objections credentials set wil`")
    assert lines_of(checked.stdout)["browser_start"] == "skip  browser_start: not tried (--no-launch)"


def test_an_unreachable_mailbox_is_reported_with_its_fix(cli, tmp_path):
    config = accounts_file(tmp_path, '[accounts.mailbox]\nhost = "127.0.0.1"\nport = 9\ntls = "plain"\n'
                           'user = "wil@example.org"\n')
    assert cli("--config", str(config), "credentials", "set", "wil", input="Pw-1\n\nbox-pw\n").returncode == 0
    checked = doctor(cli, config, "--no-launch")
    assert checked.returncode == 8
    line = lines_of(checked.stdout)["mailbox:wil"]
    assert line.startswith("FAIL  mailbox:wil: mailbox wil@example.org@127.0.0.1:9: cannot connect")
    assert "fix: check host, port and tls in the accounts file, and the network" in line
    assert "box-pw" not in checked.stdout + checked.stderr


def test_a_real_mailbox_is_logged_into_and_a_wrong_password_is_named(cli, tmp_path, dovecot):
    config = accounts_file(tmp_path, f'[accounts.mailbox]\nhost = "127.0.0.1"\nport = {dovecot.port}\n'
                           'tls = "plain"\nuser = "anna@example.org"\n')
    assert cli("--config", str(config), "credentials", "set", "wil", input="Pw-1\n\nbox-pw-anna\n").returncode == 0
    good = lines_of(doctor(cli, config, "--no-launch").stdout)["mailbox:wil"]
    assert good.startswith("ok") and "logged in, folder 'INBOX' opens" in good
    assert cli("--config", str(config), "credentials", "set", "wil", input="Pw-1\n\nwrong-pw\n").returncode == 0
    wrong = doctor(cli, config, "--no-launch")
    assert wrong.returncode == 8
    assert "the server refused the login; fix: store the right mailbox password" in lines_of(wrong.stdout)["mailbox:wil"]


def test_a_folder_others_can_read_and_a_missing_accounts_file(cli, tmp_path):
    archive = cli.home / "archive"
    archive.mkdir(mode=0o755)
    os.chmod(archive, 0o755)
    checked = doctor(cli, tmp_path / "nowhere.toml", "--no-launch")
    assert checked.returncode == 8
    lines = lines_of(checked.stdout)
    assert lines["folder:archive"] == f"FAIL  folder:archive: {archive}: mode 0755, others can read it; fix: chmod 700 {archive}"
    assert lines["accounts_file"].startswith("FAIL  accounts_file: accounts file not found")
    assert "fix: run `submit-objections init`" in lines["accounts_file"]
