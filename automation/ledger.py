"""The ledger: every account's objection history in SQLite, so that nothing is filed twice and nothing is forgotten.

Statuses follow what actually happened: `submitting` is written before Send is clicked and `submitted` right after,
so that a run killed at any moment leaves a trace that the next run checks on the site's page before sending anything.
`overdue` is not stored: it is a confirmed or submitted objection with no answer from the site once a calendar month
has passed since Send (GDPR Art. 12(3)): from the same time on the same day of the next month, or on that month's
last day when it is shorter (sent on 31 January: overdue from 28 or 29 February).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from automation.archive import iso, make_private_dir, utc_now
from automation.outcomes import AWAITING_ANSWER, LEDGER_STATES, SETTLED_IN_LEDGER

STATUSES = LEDGER_STATES
DONE = SETTLED_IN_LEDGER  # a new run skips these unless --force


def answer_due(sent: dt.datetime) -> dt.datetime:
    """One month after `sent`: when an objection still unanswered becomes overdue (GDPR Art. 12(3))."""
    year, month = (sent.year + 1, 1) if sent.month == 12 else (sent.year, sent.month + 1)
    return sent.replace(year=year, month=month, day=min(sent.day, calendar.monthrange(year, month)[1]))


SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, platform TEXT NOT NULL, status TEXT NOT NULL, since TEXT NOT NULL,
    evidence TEXT, sent_at TEXT, note TEXT
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL,
    evidence TEXT, note TEXT
);
"""


@dataclass
class Entry:
    account: str
    platform: str
    status: str
    since: str
    evidence: str | None
    sent_at: str | None
    note: str | None

    def overdue_at(self, now: dt.datetime) -> bool:
        """Waiting for the site's answer, and a month has passed since Send by `now`."""
        if self.status not in AWAITING_ANSWER or not self.sent_at:
            return False
        sent = dt.datetime.fromisoformat(self.sent_at.replace("Z", "+00:00"))
        return now >= answer_due(sent)

    def status_at(self, now: dt.datetime) -> str:
        return "overdue" if self.overdue_at(now) else self.status

    @property
    def overdue(self) -> bool:
        return self.overdue_at(utc_now())

    @property
    def shown_status(self) -> str:
        return self.status_at(utc_now())

    @property
    def sent_but_unsettled(self) -> bool:
        """Send was clicked and no outcome settled it: the site's page must be checked before anything is sent
        again."""
        return bool(self.sent_at) and self.status not in DONE | {"refused"}


class Ledger:
    def __init__(self, path: Path):
        self.path = path
        make_private_dir(path.parent)
        with self._connect() as connection:
            connection.executescript(SCHEMA)
        path.chmod(0o600)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)  # one per call: workers run in threads
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def get(self, account: str) -> Entry | None:
        with self._connect() as connection:
            row = connection.execute("SELECT account, platform, status, since, evidence, sent_at, note FROM accounts "
                                     "WHERE account = ?", (account,)).fetchone()
        return Entry(*row) if row else None

    def all(self) -> list[Entry]:
        with self._connect() as connection:
            rows = connection.execute("SELECT account, platform, status, since, evidence, sent_at, note FROM accounts "
                                      "ORDER BY account").fetchall()
        return [Entry(*row) for row in rows]

    def record(self, account: str, platform: str, status: str, *, evidence: Path | str | None = None,
               note: str | None = None, sent_at: str | None = None) -> None:
        assert status in STATUSES, status
        now = iso(utc_now())
        evidence_text = str(evidence) if evidence else None
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO accounts (account, platform, status, since, evidence, sent_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(account) DO UPDATE SET platform = excluded.platform, "
                "status = excluded.status, since = excluded.since, "
                "evidence = COALESCE(excluded.evidence, accounts.evidence), "
                "sent_at = COALESCE(excluded.sent_at, accounts.sent_at), note = excluded.note",
                (account, platform, status, now, evidence_text, sent_at, note))
            connection.execute("INSERT INTO history (account, status, at, evidence, note) VALUES (?, ?, ?, ?, ?)",
                               (account, status, now, evidence_text, note))

    def history(self, account: str) -> list[tuple[str, str, str | None]]:
        with self._connect() as connection:
            return connection.execute("SELECT status, at, note FROM history WHERE account = ? ORDER BY id",
                                      (account,)).fetchall()
