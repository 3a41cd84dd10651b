"""Re-checks on a schedule: a cron line and a systemd user timer with its service, for the user's own paths, that run
`status --check-mail` once a week. Its exit code says when a request is overdue (a month without the site's answer);
cron mails what it prints, and `systemctl --user status` and the journal show a failed re-check."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

UNIT = "submit-objections-check"


@dataclass(frozen=True)
class Schedule:
    cron: str
    service: str
    timer: str
    enable: str


def _systemd_quote(word: str) -> str:
    """A word for ExecStart=: double-quoted when it holds a space or a quote (systemd's own quoting)."""
    if word and not any(char in word for char in ' \t"\'\\;$%'):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$") + '"'


def schedule(command: list[str], config: Path, archive: Path) -> Schedule:
    """`command`: how to start this tool (its executable, or the interpreter and the script)."""
    words = [*command, "--config", str(Path(config).expanduser().resolve()),
             "--archive", str(Path(archive).expanduser().resolve()), "status", "--check-mail"]
    cron = ("# m h dom mon dow: Mondays at 09:17, look for the answers; output (and an overdue request, exit 9) "
            "is mailed to you by cron\n17 9 * * 1 " + " ".join(shlex.quote(word) for word in words))
    service = f"""\
# ~/.config/systemd/user/{UNIT}.service
[Unit]
Description=submit-objections: look for the answers to objections filed, flag overdue ones (exit 9)

[Service]
Type=oneshot
ExecStart={' '.join(_systemd_quote(word) for word in words)}
"""
    timer = f"""\
# ~/.config/systemd/user/{UNIT}.timer
[Unit]
Description=submit-objections: weekly re-check of the answers

[Timer]
OnCalendar=Mon *-*-* 09:17
Persistent=true
RandomizedDelaySec=30min

[Install]
WantedBy=timers.target
"""
    enable = f"systemctl --user daemon-reload && systemctl --user enable --now {UNIT}.timer"
    return Schedule(cron, service, timer, enable)


def text(found: Schedule) -> str:
    return (f"# cron (crontab -e):\n{found.cron}\n\n# or a systemd user timer: save these two files, then run\n"
            f"#   {found.enable}\n\n{found.service}\n{found.timer}")
