"""The ledger and the archive keyed by account and flow, and a ledger and archive written before that still working:
the old ledger is migrated in place on open (every row and all history kept), old folders count as their
platform's objection flow, and a run skips what the old ledger had settled."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from automation import app as engine
from automation.archive import EvidenceFolder, belongs_to, flow_of, named_flow
from automation.chain import manifests_in, seal, verify
from automation.errors import ConfigError
from automation.jobs import AccountReport, seal_unfinished
from automation.ledger import SCHEMA_VERSION, Ledger
from automation.report import table
from flows import legacy_flow, platforms
from flows.wording import languages

FB, IG = "facebook-ai-objection", "instagram-ai-objection"

# The ledger's schema before requests were keyed by flow (submit-objections up to 58a51b4), exactly as it was.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, platform TEXT NOT NULL, status TEXT NOT NULL, since TEXT NOT NULL,
    evidence TEXT, sent_at TEXT, note TEXT
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL,
    evidence TEXT, note TEXT
);
"""

# (account, platform, status, since, evidence folder name, sent_at, note), and each account's history before it
OLD_ROWS = [
    ("anna", "facebook", "confirmed", "2026-11-23T10:02:00Z", "2026-11-23T100000Z", "2026-11-23T10:01:30Z",
     "Meta confirmed the objection on screen"),
    ("ben", "instagram", "submitting", "2026-11-24T08:00:40Z", "2026-11-24T080000Z", "2026-11-24T08:00:40Z", None),
    ("cat", "facebook", "failed", "2026-11-25T12:00:10Z", "2026-11-25T120000Z", None, "no password stored"),
]
OLD_HISTORY = [
    ("anna", "failed", "2026-11-22T09:00:00Z", "2026-11-22T090000Z", "the browser stopped"),
    ("anna", "submitting", "2026-11-23T10:01:30Z", "2026-11-23T100000Z", None),
    ("ben", "submitting", "2026-11-24T08:00:40Z", "2026-11-24T080000Z", None),
    ("anna", "confirmed", "2026-11-23T10:02:00Z", "2026-11-23T100000Z", "Meta confirmed the objection on screen"),
    ("cat", "failed", "2026-11-25T12:00:10Z", "2026-11-25T120000Z", "no password stored"),
]


def old_ledger(path: Path, archive: Path, rows=OLD_ROWS, history=OLD_HISTORY) -> Path:
    """A ledger file as the version before flows wrote it: its schema, its rows, its history."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.executescript(SCHEMA_1)
        connection.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
                               [(account, platform, status, since, str(archive / account / folder), sent, note)
                                for account, platform, status, since, folder, sent, note in rows])
        connection.executemany("INSERT INTO history (account, status, at, evidence, note) VALUES (?, ?, ?, ?, ?)",
                               [(account, status, at, str(archive / account / folder), note)
                                for account, status, at, folder, note in history])
    connection.close()
    return path


def dump(path: Path) -> dict:
    with sqlite3.connect(path) as connection:
        found = {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                 for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found["user_version"] = connection.execute("PRAGMA user_version").fetchone()[0]
    connection.close()
    return found


def test_an_old_ledger_is_migrated_in_place_keeping_every_row_and_its_history(tmp_path):
    archive = tmp_path / "archive"
    path = old_ledger(tmp_path / "ledger.sqlite3", archive)
    with sqlite3.connect(path) as connection:
        old_ids = [row[0] for row in connection.execute("SELECT id FROM history ORDER BY id")]
    connection.close()

    ledger = Ledger(path, legacy_flow=legacy_flow)

    anna = ledger.get("anna", FB)
    assert (anna.account, anna.flow, anna.platform, anna.status) == ("anna", FB, "facebook", "confirmed")
    assert (anna.since, anna.sent_at, anna.note) == ("2026-11-23T10:02:00Z", "2026-11-23T10:01:30Z",
                                                     "Meta confirmed the objection on screen")
    assert anna.evidence == str(archive / "anna" / "2026-11-23T100000Z")
    ben = ledger.get("ben", IG)
    assert ben.status == "submitting" and ben.sent_but_unsettled, "a run killed after Send stays one to check"
    assert ledger.get("cat", FB).status == "failed"
    assert ledger.get("anna", IG) is None and ledger.get("ben", FB) is None, "only the platform's own flow"
    assert [(e.account, e.flow) for e in ledger.all()] == [("anna", FB), ("ben", IG), ("cat", FB)]
    assert [(e.account, e.flow) for e in ledger.all(flow=IG)] == [("ben", IG)]

    assert ledger.history("anna", FB) == [
        ("failed", "2026-11-22T09:00:00Z", "the browser stopped"),
        ("submitting", "2026-11-23T10:01:30Z", None),
        ("confirmed", "2026-11-23T10:02:00Z", "Meta confirmed the objection on screen")]
    assert ledger.history("ben", IG) == [("submitting", "2026-11-24T08:00:40Z", None)]
    migrated = dump(path)
    assert [row[0] for row in migrated["history"]] == old_ids, "history keeps its order and ids"
    assert migrated["user_version"] == SCHEMA_VERSION
    assert set(migrated) == {"accounts", "history", "sqlite_sequence", "user_version"}, "no table left behind"
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    with sqlite3.connect(path) as connection:  # a query written for the old ledger still reads it
        assert dict(connection.execute("SELECT account, status FROM accounts")) == {
            "anna": "confirmed", "ben": "submitting", "cat": "failed"}
    connection.close()

    ledger.record("cat", FB, "facebook", "confirmed", note="filed again")
    assert [status for status, _, _ in ledger.history("cat", FB)] == ["failed", "confirmed"]
    assert dump(path)["history"][-1][0] == old_ids[-1] + 1, "new history follows the old"
    again = dump(path)
    Ledger(path, legacy_flow=legacy_flow)
    assert dump(path) == again, "opening a migrated ledger again changes nothing"


def test_an_old_ledger_whose_platform_has_no_flow_is_left_exactly_as_it_was(tmp_path):
    archive = tmp_path / "archive"
    path = old_ledger(tmp_path / "ledger.sqlite3", archive)
    before = dump(path)
    only_facebook = {"facebook": FB}.get
    with pytest.raises(ConfigError) as error:
        Ledger(path, legacy_flow=only_facebook)
    assert "no flow is registered for its platform 'instagram'" in error.value.message
    assert "left as it was" in error.value.hint
    assert dump(path) == before, "the migration is one transaction: nothing of it stays"
    with pytest.raises(ConfigError):
        Ledger(path)  # no mapping at all: the same, rather than guessing a flow
    assert dump(path) == before
    assert Ledger(path, legacy_flow=legacy_flow).get("ben", IG).status == "submitting"


def test_an_empty_ledger_of_the_old_schema_needs_no_mapping_and_a_new_one_is_created_current(tmp_path):
    empty_old = old_ledger(tmp_path / "old.sqlite3", tmp_path, rows=[], history=[])
    assert Ledger(empty_old).all() == [] and dump(empty_old)["user_version"] == SCHEMA_VERSION
    fresh = Ledger(tmp_path / "new" / "ledger.sqlite3")
    assert fresh.all() == [] and dump(fresh.path)["user_version"] == SCHEMA_VERSION


def test_a_ledger_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger(path)
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(ConfigError, match="newer version"):
        Ledger(path)


def test_two_flows_of_one_account_are_two_requests_with_their_own_history(tmp_path):
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    ledger.record("anna", FB, "facebook", "submitting", sent_at="2026-12-01T10:00:00Z")
    ledger.record("anna", "facebook-third-party-data", "facebook", "failed", note="form changed")
    ledger.record("anna", FB, "facebook", "confirmed")
    assert ledger.get("anna", FB).status == "confirmed" and ledger.get("anna", FB).sent_at == "2026-12-01T10:00:00Z"
    assert ledger.get("anna", "facebook-third-party-data").status == "failed"
    assert [status for status, _, _ in ledger.history("anna", FB)] == ["submitting", "confirmed"]
    assert [status for status, _, _ in ledger.history("anna", "facebook-third-party-data")] == ["failed"]
    assert [e.flow for e in ledger.all()] == [FB, "facebook-third-party-data"]


# -- the archive ------------------------------------------------------------------------------------------------------

STARTED = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.timezone.utc)


def capture(archive: Path, account: str, name: str, receipt: dict | None = None) -> Path:
    """A run's captures as a killed run leaves them: a screenshot, perhaps a receipt, no manifest."""
    folder = archive / account / name
    folder.mkdir(parents=True)
    (folder / "01-filled-form.png").write_bytes(b"\x89PNG not really")
    if receipt is not None:
        (folder / "receipt.json").write_text(json.dumps(receipt))
    return folder


def test_two_flows_of_one_account_started_in_the_same_second_get_folders_of_their_own(tmp_path):
    one = EvidenceFolder(tmp_path, "anna", FB, STARTED)
    other = EvidenceFolder(tmp_path, "anna", "facebook-third-party-data", STARTED)
    assert one.path.name == "2026-12-01T100000Z-facebook-ai-objection"
    assert other.path.parent == one.path.parent and other.path != one.path
    one.write_receipt({"flow": FB})
    other.write_receipt({"flow": "facebook-third-party-data"})
    assert len(list(tmp_path.glob("anna/*/receipt.json"))) == 2
    assert named_flow(one.path) == FB and named_flow(other.path) == "facebook-third-party-data"
    with pytest.raises(ValueError):
        EvidenceFolder(tmp_path, "anna", "../escape", STARTED)


def test_an_old_folder_counts_as_its_platforms_objection_flow(tmp_path):
    old = capture(tmp_path, "anna", "2026-11-23T100000Z", {"account": "anna", "platform": "facebook"})
    no_receipt = capture(tmp_path, "ben", "2026-11-24T080000Z")
    assert named_flow(old) is None
    assert flow_of(old, legacy_flow) == FB
    assert flow_of(no_receipt, legacy_flow) is None and flow_of(no_receipt, legacy_flow, "instagram") == IG
    assert belongs_to(old, FB, legacy=True) and not belongs_to(old, "facebook-third-party-data", legacy=False)


def test_the_next_run_seals_its_own_flows_killed_folders_and_leaves_another_flows_alone(tmp_path):
    archive = tmp_path / "archive"
    old = capture(archive, "anna", "2026-11-23T100000Z")  # killed under the version before flows named folders
    mine = capture(archive, "anna", "2026-12-01T090000Z-facebook-ai-objection")
    running = capture(archive, "anna", "2026-12-01T100000Z-facebook-third-party-data")  # may be running right now
    seal_unfinished(archive, "anna", FB, legacy=True)
    assert manifests_in(old) and manifests_in(mine) and not manifests_in(running)
    problems, unfinished = verify(archive)
    assert problems == [] and unfinished == [f"anna/{running.name}"]
    seal_unfinished(archive, "anna", "facebook-third-party-data", legacy=False)
    assert manifests_in(running) and verify(archive) == ([], [])


def test_the_final_table_names_the_flow_only_when_an_account_has_several():
    one_each = [AccountReport("anna", "facebook", "confirmed", "ok", flow=FB),
                AccountReport("ben", "instagram", "failed", "no password", flow=IG)]
    shown = table(one_each)
    assert shown.splitlines()[0].split() == ["ACCOUNT", "PLATFORM", "OUTCOME", "EVIDENCE"]
    assert "anna: ok" in shown and FB not in shown
    several = [*one_each, AccountReport("anna", "facebook", "form_changed", "new field", flow="facebook-third-party")]
    shown = table(several)
    assert shown.splitlines()[0].split() == ["ACCOUNT", "FLOW", "PLATFORM", "OUTCOME", "EVIDENCE"]
    assert shown.splitlines()[1].split()[:2] == ["anna", FB]
    assert "anna (facebook-third-party): new field" in shown


# -- a run's view of an old ledger, at the app level (no browser) -------------------------------------------------------

ACCOUNTS = """
[defaults]
country = "DE"

[[accounts]]
name = "anna"
platform = "facebook"
login = "anna@example.org"
email = "anna@example.org"

[[accounts]]
name = "cat"
platform = "facebook"
login = "cat@example.org"
email = "cat@example.org"
"""


def test_a_run_skips_what_the_old_ledger_settled_and_runs_the_rest(tmp_path):
    import cli as command_line

    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    ledger_path = old_ledger(tmp_path / "data" / "ledger.sqlite3", tmp_path / "archive",
                             rows=[row for row in OLD_ROWS if row[0] != "ben"])
    app = engine.App(config=config, archive=tmp_path / "archive", ledger_path=ledger_path, languages=languages(),
                     platforms=platforms(), legacy_flow=legacy_flow)
    plans = command_line._plans(app, ())
    assert [(plan.account.name, plan.flow) for plan in plans] == [("anna", FB), ("cat", FB)]

    skipped, to_run = engine.settled_before_running(app, plans, engine.RunRequest(), engine.Terminal())

    [anna] = skipped
    assert (anna.account, anna.flow, anna.status) == ("anna", FB, "confirmed")
    assert anna.reason == "skipped: confirmed since 2026-11-23T10:02:00Z; --force files again"
    assert anna.evidence == tmp_path / "archive" / "anna" / "2026-11-23T100000Z"
    assert [plan.account.name for plan in to_run] == ["cat"], "failed before: filed now"
    rows = engine.status_rows(app)
    assert [row[:4] for row in rows] == [("anna", FB, "facebook", "confirmed"), ("cat", FB, "facebook", "failed")]


# -- the real CLI with the mock: an old ledger and an old archive, then a run --------------------------------------


def sealed_old_submission(archive: Path, account: str, name: str, receipt: dict) -> Path:
    """A submission as the version before flows left it: a folder named by its start time alone, sealed."""
    folder = capture(archive, account, name, receipt)
    seal(folder, archive, note=f"{receipt['outcome']}: as filed before flows named folders")
    return folder


@pytest.mark.e2e
def test_the_cli_with_an_old_ledger_and_archive_skips_the_settled_files_the_rest_and_keeps_the_old_evidence(
        cli, world, tmp_path):
    from e2e_support import Person, table_row

    ola, pia = Person("ola", form_variant="2025", maildir=False), Person("pia", form_variant="2025", maildir=False)
    setup = world([ola, pia])
    archive = setup.archive
    old_ola = sealed_old_submission(archive, "ola", "2026-11-23T100000Z", {
        "account": "ola", "platform": "facebook", "outcome": "confirmed", "sent": True,
        "confirmation_text": "We've received your objection", "objection_text": "I object, the old way"})
    killed_pia = capture(archive, "pia", "2026-11-24T080000Z")  # the old version was killed before its receipt
    ledger = Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
    old_ledger(ledger, archive, rows=[
        ("ola", "facebook", "confirmed", "2026-11-23T10:02:00Z", old_ola.name, "2026-11-23T10:01:30Z", "confirmed"),
        ("pia", "facebook", "failed", "2026-11-24T08:00:10Z", killed_pia.name, None, "the browser stopped")],
        history=[("ola", "submitting", "2026-11-23T10:01:30Z", old_ola.name, None),
                 ("ola", "confirmed", "2026-11-23T10:02:00Z", old_ola.name, "confirmed"),
                 ("pia", "failed", "2026-11-24T08:00:10Z", killed_pia.name, "the browser stopped")])

    done = setup.run()

    assert done.returncode == 0, done.stdout + done.stderr
    assert "ola: skipped: confirmed since 2026-11-23T10:02:00Z" in done.stdout
    assert table_row(done.stdout, "pia")[1:3] == ["facebook", "confirmed"]
    assert done.stdout.splitlines()[0].split() == ["ACCOUNT", "PLATFORM", "OUTCOME", "EVIDENCE"], "no FLOW column"
    assert [filed["login"] for filed in setup.mock.submissions()] == [pia.login], "ola's objection is not filed again"
    [new] = [folder for folder in (archive / "pia").iterdir() if folder != killed_pia]
    assert new.name.endswith("Z-facebook-ai-objection")
    assert json.loads((new / "receipt.json").read_text())["flow"] == FB
    assert manifests_in(killed_pia), "the old version's killed run is sealed by the objection flow's next run"
    with sqlite3.connect(ledger) as connection:
        rows = connection.execute("SELECT account, flow, status FROM accounts ORDER BY account").fetchall()
        history = connection.execute("SELECT status FROM history WHERE account = 'pia' ORDER BY id").fetchall()
    connection.close()
    assert rows == [("ola", FB, "confirmed"), ("pia", FB, "confirmed")]
    assert [status for (status,) in history][0] == "failed" and history[-1] == ("confirmed",), "old history first"

    status = cli("--config", str(setup.config), "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[0].split() == ["ACCOUNT", "PLATFORM", "STATUS", "SINCE", "NEXT"]
    assert status.stdout.splitlines()[1].split()[:4] == ["ola", "facebook", "confirmed", "2026-11-23T10:02:00Z"]

    listed = cli("--archive", str(archive), "archive", "list")
    assert f"ola/{old_ola.name}  confirmed  sealed  {FB}" in listed.stdout.splitlines()
    assert f"pia/{killed_pia.name}  -  sealed  {FB}" in listed.stdout.splitlines(), "its flow from the ledger"
    assert f"pia/{new.name}  confirmed  sealed  {FB}" in listed.stdout.splitlines()
    only = cli("--archive", str(archive), "archive", "list", "--flow", IG)
    assert only.stdout.strip() == f"No submissions in {archive} for that account or flow."
    verified = setup.verify()
    assert verified.returncode == 0 and "3 sealed submission(s) verified" in verified.stdout, verified.stdout
    bundle = tmp_path / "old.zip"
    exported = cli("--archive", str(archive), "archive", "export", f"ola/{old_ola.name}", "--to", str(bundle))
    assert exported.returncode == 0, exported.stderr
    import zipfile

    assert f"facebook, {FB}, form" in zipfile.ZipFile(bundle).read("index.html").decode("ascii")
    report = cli("--config", str(setup.config), "--archive", str(archive), "archive", "report")
    assert report.returncode == 0, report.stderr
    page = (archive / "report.html").read_text()
    assert page.count(f"Status of {FB}: confirmed since") == 2 and "I object, the old way" in page


@pytest.mark.e2e
def test_status_shows_a_flow_column_once_an_account_has_requests_of_two_flows(cli, tmp_path):
    ledger = Ledger(Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3")
    ledger.record("anna", FB, "facebook", "confirmed")
    ledger.record("anna", "facebook-third-party-data", "facebook", "failed", note="a new field")
    ledger.record("ben", IG, "instagram", "honoured")
    status = cli("--config", str(tmp_path / "none.toml"), "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["ACCOUNT", "FLOW", "PLATFORM", "STATUS", "SINCE", "NEXT"]
    assert [line.split()[:4] for line in lines[1:]] == [
        ["anna", FB, "facebook", "confirmed"], ["anna", "facebook-third-party-data", "facebook", "failed"],
        ["ben", IG, "instagram", "honoured"]]
