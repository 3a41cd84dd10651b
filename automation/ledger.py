"""The ledger: every request's history in SQLite, one entry per account and flow, so that nothing is filed twice and
nothing is forgotten.

Statuses follow what actually happened: `submitting` is written before Send is clicked and `submitted` right after,
so that a run killed at any moment leaves a trace that the next run checks on the site's page before sending anything.
`overdue` is not stored: it is a confirmed or submitted objection with no answer from the site once a calendar month
has passed since Send (GDPR Art. 12(3)): from the same time on the same day of the next month, or on that month's
last day when it is shorter (sent on 31 January: overdue from 28 or 29 February).

A ledger from before requests were keyed by flow (schema 1: one row per account) is migrated in place when it is
opened, in one transaction: every row and all history is kept, and each gets the flow its platform's requests were
filed with then, which only the caller knows (`legacy_flow`: platform -> flow id).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from automation.archive import LegacyFlow, iso, make_private_dir, utc_now
from automation.errors import ConfigError
from automation.outcomes import AWAITING_ANSWER, LEDGER_STATES, SETTLED_IN_LEDGER

STATUSES = LEDGER_STATES
DONE = SETTLED_IN_LEDGER  # a new run skips these unless --force
# How the note of a request settled by another account's answer begins (see jobs.cover_linked): a run says so.
COVERED_NOTE = "covered by "


def answer_due(sent: dt.datetime) -> dt.datetime:
    """One month after `sent`: when an objection still unanswered becomes overdue (GDPR Art. 12(3))."""
    year, month = (sent.year + 1, 1) if sent.month == 12 else (sent.year, sent.month + 1)
    return sent.replace(year=year, month=month, day=min(sent.day, calendar.monthrange(year, month)[1]))


# The table keeps its name, `accounts`, so that a query written for the old ledger (SELECT account, status FROM
# accounts) still reads it; it now holds one row per account and flow.
SCHEMA_VERSION = 2
SCHEMA = (
    """CREATE TABLE accounts (
    account TEXT NOT NULL, flow TEXT NOT NULL, platform TEXT NOT NULL, status TEXT NOT NULL, since TEXT NOT NULL,
    evidence TEXT, sent_at TEXT, note TEXT, PRIMARY KEY (account, flow)
)""",
    """CREATE TABLE history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, flow TEXT NOT NULL, status TEXT NOT NULL,
    at TEXT NOT NULL, evidence TEXT, note TEXT
)""",
    "CREATE INDEX history_by_request ON history (account, flow, id)",
)
COLUMNS = "account, flow, platform, status, since, evidence, sent_at, note"


@dataclass
class Entry:
    account: str
    flow: str  # the id of the flow that files this request
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
    def __init__(self, path: Path, legacy_flow: LegacyFlow | None = None):
        """Opens (or creates) the ledger at `path`; one written by an older version is migrated first, its rows
        given the flow `legacy_flow` names for their platform."""
        self.path = path
        make_private_dir(path.parent)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)  # transactions by hand, DDL included
        try:
            connection.execute("BEGIN IMMEDIATE")  # one process migrates; another waits, then finds it done
            try:
                _bring_up_to_date(connection, path, legacy_flow)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        finally:
            connection.close()
        path.chmod(0o600)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)  # one per call: workers run in threads
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def get(self, account: str, flow: str) -> Entry | None:
        with self._connect() as connection:
            row = connection.execute(f"SELECT {COLUMNS} FROM accounts WHERE account = ? AND flow = ?",
                                     (account, flow)).fetchone()
        return Entry(*row) if row else None

    def all(self, flow: str | None = None) -> list[Entry]:
        """Every request (only `flow`'s, if given), by account, then flow."""
        where, arguments = ("WHERE flow = ?", (flow,)) if flow is not None else ("", ())
        with self._connect() as connection:
            rows = connection.execute(f"SELECT {COLUMNS} FROM accounts {where} ORDER BY account, flow",
                                      arguments).fetchall()
        return [Entry(*row) for row in rows]

    def record(self, account: str, flow: str, platform: str, status: str, *, evidence: Path | str | None = None,
               note: str | None = None, sent_at: str | None = None) -> None:
        assert status in STATUSES, status
        now = iso(utc_now())
        evidence_text = str(evidence) if evidence else None
        with self._connect() as connection:
            connection.execute(
                f"INSERT INTO accounts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(account, flow) DO UPDATE SET platform = excluded.platform, "
                "status = excluded.status, since = excluded.since, "
                "evidence = COALESCE(excluded.evidence, accounts.evidence), "
                "sent_at = COALESCE(excluded.sent_at, accounts.sent_at), note = excluded.note",
                (account, flow, platform, status, now, evidence_text, sent_at, note))
            connection.execute("INSERT INTO history (account, flow, status, at, evidence, note) "
                               "VALUES (?, ?, ?, ?, ?, ?)", (account, flow, status, now, evidence_text, note))

    def history(self, account: str, flow: str) -> list[tuple[str, str, str | None]]:
        with self._connect() as connection:
            return connection.execute("SELECT status, at, note FROM history WHERE account = ? AND flow = ? "
                                      "ORDER BY id", (account, flow)).fetchall()


def _columns(connection: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


def _bring_up_to_date(connection: sqlite3.Connection, path: Path, legacy_flow: LegacyFlow | None) -> None:
    """Inside the caller's transaction: creates the tables of a new ledger, or migrates one of schema 1."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ConfigError(f"the ledger {path} was written by a newer version of this tool (schema {version})",
                          hint="upgrade submit-objections, or name another ledger with SUBMIT_OBJECTIONS_LEDGER")
    columns = _columns(connection, "accounts")
    if not columns:
        for statement in SCHEMA:
            connection.execute(statement)
    elif "flow" not in columns:
        _migrate_from_schema_1(connection, path, legacy_flow)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _migrate_from_schema_1(connection: sqlite3.Connection, path: Path, legacy_flow: LegacyFlow | None) -> None:
    """Schema 1 had one row per account (`account` its key) and history rows without a platform: every row gets the
    flow of its account's platform; a history row whose account has no row (never written so) gets ''."""
    platforms = [row[0] for row in connection.execute("SELECT DISTINCT platform FROM accounts ORDER BY platform")]
    flows = {platform: legacy_flow(platform) if legacy_flow else None for platform in platforms}
    unknown = [platform for platform, flow in flows.items() if not flow]
    if unknown:
        raise ConfigError(f"the ledger {path} was written by an older version, and no flow is registered for its "
                          f"platform {', '.join(map(repr, unknown))}: its entries cannot be given their flow",
                          hint="register the flow that filed them (SUBMIT_OBJECTIONS_FLOWS) and run again; the "
                          "ledger is left as it was")
    connection.execute("ALTER TABLE accounts RENAME TO accounts_schema_1")
    connection.execute("ALTER TABLE history RENAME TO history_schema_1")
    for statement in SCHEMA:
        connection.execute(statement)
    for platform, flow in flows.items():
        connection.execute(f"INSERT INTO accounts ({COLUMNS}) SELECT account, ?, platform, status, since, evidence, "
                           "sent_at, note FROM accounts_schema_1 WHERE platform = ?", (flow, platform))
    connection.execute("INSERT INTO history (id, account, flow, status, at, evidence, note) "
                       "SELECT h.id, h.account, COALESCE(a.flow, ''), h.status, h.at, h.evidence, h.note "
                       "FROM history_schema_1 AS h LEFT JOIN accounts AS a ON a.account = h.account ORDER BY h.id")
    kept = [connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("accounts_schema_1", "accounts", "history_schema_1", "history")]
    if kept[0] != kept[1] or kept[2] != kept[3]:  # never drop a row: the transaction is rolled back
        raise ConfigError(f"the ledger {path} could not be migrated without losing rows ({kept})",
                          hint="the ledger is left as it was; please report this")
    connection.execute("DROP TABLE accounts_schema_1")
    connection.execute("DROP TABLE history_schema_1")
