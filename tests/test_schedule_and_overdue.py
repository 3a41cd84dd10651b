"""Re-checks on a schedule: `status --check-mail` exits 9 when an objection is a month old without an answer, and
`schedule --print` writes the cron line and systemd user timer that run it, for the user's own paths."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from automation.ledger import Ledger
from e2e_support import ANNA_ACCOUNT

ACCOUNTS = ANNA_ACCOUNT


def ledger_of(cli) -> Ledger:
    return Ledger(Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3")


def test_check_mail_exits_9_when_an_objection_is_overdue_and_0_when_not(cli, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    import datetime as dt

    days_ago = lambda days: (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    ledger_of(cli).record("anna", "facebook-ai-objection", "facebook", "confirmed", sent_at=days_ago(5))
    fresh = cli("--config", str(config), "status", "--check-mail")
    assert fresh.returncode == 0, fresh.stderr  # five days: Meta still has time

    ledger_of(cli).record("anna", "facebook-ai-objection", "facebook", "confirmed", sent_at="2026-01-05T10:00:00Z")
    late = cli("--config", str(config), "status", "--check-mail")
    assert late.returncode == 9, late.stderr
    assert "overdue" in late.stdout and "overdue: anna: a month without an answer" in late.stderr
    assert cli("--config", str(config), "status").returncode == 0  # without --check-mail, only the table


def test_schedule_print_names_this_executable_and_the_accounts_file(cli, tmp_path):
    config = tmp_path / "my accounts.toml"
    printed = cli("--config", str(config), "--archive", str(tmp_path / "arch"), "schedule", "--print")
    assert printed.returncode == 0, printed.stderr
    out = printed.stdout
    cron = next(line for line in out.splitlines() if line.startswith("17 9 * * 1 "))
    words = shlex.split(cron[len("17 9 * * 1 "):])
    assert words[-6:] == ["--config", str(config), "--archive", str(tmp_path / "arch"), "status", "--check-mail"]
    assert Path(words[0]).is_file()
    assert "[Timer]" in out and "OnCalendar=Mon *-*-* 09:17" in out and "WantedBy=timers.target" in out
    exec_start = next(line for line in out.splitlines() if line.startswith("ExecStart="))
    assert f'"{config}"' in exec_start  # a path with a space, quoted for systemd
    assert "systemctl --user enable --now submit-objections-check.timer" in out

    # The command it prints runs: the same status, from wherever cron starts it.
    started = subprocess.run([*words[:-6], "--version"], capture_output=True, text=True, env=cli.env, cwd="/")
    assert started.returncode == 0 and "submit-objections" in started.stdout


def test_schedule_without_print_says_how(cli):
    said = cli("schedule")
    assert said.returncode == 2 and "schedule --print" in said.stderr
