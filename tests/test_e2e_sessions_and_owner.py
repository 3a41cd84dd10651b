"""Saved sessions make logins rare; a security check is handed to the owner in a visible browser, then the run goes on."""

from __future__ import annotations

import json
import os
import stat
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CLI, ROOT
from e2e_support import Person, owner_solves_in_the_window, receipts

pytestmark = pytest.mark.e2e


@pytest.mark.slow
def test_a_second_run_reuses_sessions_and_logs_in_again_only_when_they_expired(cli, world):
    people = [Person("sam", totp=True, form_variant="2025"), Person("tia", platform="instagram", form_variant="2025")]
    built = world(people)
    mock, config, archive = built.mock, built.config, built.archive
    run = lambda *extra: built.run("--rehearse", *extra)  # noqa: E731

    first = run()
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(mock.events("login")) == 2

    sessions = Path(cli.env["XDG_STATE_HOME"]) / "submit-objections" / "sessions"
    assert sorted(path.name for path in sessions.iterdir()) == ["sam.json", "tia.json"]
    assert stat.S_IMODE(sessions.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in sessions.iterdir())
    sam_cookies = {c["domain"] for c in json.loads((sessions / "sam.json").read_text())["cookies"]}
    assert sam_cookies and all("facebook.com" in domain for domain in sam_cookies)  # never another account's site
    assert not list(archive.rglob("*.json.partial")) and not list(ROOT.glob("**/sam.json"))

    second = run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert len(mock.events("login")) == 2  # no new login
    assert [receipts(archive, p.name)[-1]["logged_in_with"] for p in people] == ["saved session"] * 2

    urllib.request.urlopen(urllib.request.Request(f"{mock.url}/__mock__/expire-sessions", method="POST")).read()
    third = run()
    assert third.returncode == 0, third.stdout + third.stderr
    assert len(mock.events("login")) == 4  # once more per account
    assert [receipts(archive, p.name)[-1]["logged_in_with"] for p in people] == ["password"] * 2

    fresh = run("--fresh-login")
    assert fresh.returncode == 0 and len(mock.events("login")) == 6

    deleted = cli("--config", str(config), "credentials", "delete", "sam")
    assert "saved browser session" in deleted.stdout and not (sessions / "sam.json").exists()


def test_a_headed_run_waits_for_the_owner_to_pass_a_checkpoint_then_files(cli, world, screen):
    uma = Person("uma", checkpoint="identity", form_variant="2025")
    built = world([uma])
    mock = built.mock
    code, stdout, errors = owner_solves_in_the_window(cli, built.args("--headed", "--owner-wait", "2"), mock.url,
                                                      screen)
    assert code == 0, stdout + errors
    assert "confirmed" in stdout
    assert [s["login"] for s in mock.submissions()] == [uma.login]
    [receipt] = built.receipts("uma")
    assert receipt["outcome"] == "confirmed" and "owner passed" in receipt["owner_stepped_in"]


def test_without_a_stored_2fa_secret_the_code_is_asked_at_the_terminal(cli, world):
    """Run at a (pseudo-)terminal: the prompt comes, the owner types the code from their app, the objection is filed."""
    import pty
    import select

    import pyotp

    from e2e_support import TOTP_SECRET

    wes = Person("wes", totp=True, form_variant="2025", store_password=False)
    built = world([wes])
    mock, config = built.mock, built.config
    stored = cli("--config", str(config), "credentials", "set", "wes", input=wes.password + "\n\n")  # no 2FA secret
    assert stored.stdout.strip() == "wes: password stored; 2FA secret none"

    pid, terminal = pty.fork()
    if pid == 0:  # the child: the CLI, with the pseudo-terminal as its stdin, stdout and stderr
        os.chdir(ROOT)
        os.execve(CLI[0], [*CLI, *built.args("-q")], cli.env)
    screen = b""
    answered = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        if not answered and b"no TOTP secret is stored. Code" in screen:
            os.write(terminal, pyotp.TOTP(TOTP_SECRET).now().encode() + b"\r")
            answered = True
    _, status = os.waitpid(pid, 0)
    assert answered, screen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, screen.decode(errors="replace")
    assert [s["login"] for s in mock.submissions()] == [wes.login]
