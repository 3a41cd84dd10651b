"""README's promises about outcomes, each with a test that fails when the promise breaks (issue 11).

- Meta's email refuses the objection: the ledger and `status` say `refused`, with what to do next.
- Meta refuses the 2FA code twice, or the emailed code twice: the account fails saying why, and nothing is filed.
- Cookies never cross accounts, also several at once: each objection is filed in its own account's session.
- `--owner-wait` running out at a security check: the account needs its owner, with the command to finish it.
- Which browser is used (`--chromium`, the environment, Playwright's own, PATH), and a clear error for a wrong one.
- `overdue` from one month after Send, not a day before.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from automation import browser, outcomes
from automation.errors import BrowserNotFound, ExitCode
from automation.ledger import Entry, Ledger, answer_due
from promises_support import as_finished, finished, once
from e2e_support import Person, mock_accounts, receipts, store_secrets, table_row, write_tool_accounts

FB = "facebook"
FB_FLOW = "facebook-ai-objection"


def with_mock_keys(text: str, person: Person, **keys: object) -> str:
    """The mock's accounts file with switches Person has no field for, added to that person's [[account]]."""
    line = f'login = "{person.login}"\n'
    assert line in text
    added = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    return text.replace(line, line + added, 1)


# -- one run of four accounts, two at a time -------------------------------------------------------------------------

TOD = Person("tod", totp=True, reject_first_codes=2, form_variant="2025", maildir=False)  # 2FA code refused twice
MEL = Person("mel", form_variant="2024")  # the emailed code refused twice
RAE = Person("rae", form_variant="2025")  # Meta's email refuses the objection
HAL = Person("hal", form_variant="2025", maildir=False)
PEOPLE = [TOD, MEL, RAE, HAL]  # tod first: its wait for the next TOTP period overlaps the others' work


class Run:
    def __init__(self, cli, config: Path, archive: Path, done, submissions, events, session_owners):
        self.cli = cli
        self.config = config
        self.archive = archive
        self.done = done
        self.submissions = submissions
        self.events = events
        self.session_owners = session_owners  # session file -> the logins its session cookies belong to, per the mock

    def told(self, person: Person) -> str:
        """The reason line the run printed under the table for this account."""
        return next(line for line in self.done.stdout.splitlines() if line.startswith(f"{person.name}: "))

    def ledger(self) -> dict[str, str]:
        path = Path(self.cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
        with sqlite3.connect(path) as connection:
            return dict(connection.execute("SELECT account, status FROM accounts"))

    def filed_by(self, person: Person) -> list[dict]:
        return [s for s in self.submissions if s["login"] == person.login]

    def events_of(self, person: Person, kind: str) -> list[dict]:
        return [e for e in self.events if e.get("login") == person.login and e["event"] == kind]


@pytest.fixture(scope="module")
def run(tmp_path_factory, keyring_session, chromium_path) -> Run:
    """One run for the tests below, done once whatever the number of xdist workers (promises_support.once)."""
    from conftest import make_cli
    from mock_support import RunningMock

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        text = with_mock_keys(mock_accounts(PEOPLE), RAE, objection_outcome="refused")
        text = with_mock_keys(text, MEL, reject_first_emailed_codes=2)
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(text)
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        try:
            config = write_tool_accounts(folder / "accounts.toml", PEOPLE, mock.state)
            store_secrets(cli, config, PEOPLE)
            done = cli("--config", str(config), "--mirror", mock.url, "--archive", str(folder / "archive"),
                       "--concurrency", "2")
            sessions = Path(cli.env["XDG_STATE_HOME"]) / "submit-objections" / "sessions"
            owners = {}
            for path in sorted(sessions.glob("*.json")):
                cookies = json.loads(path.read_text())["cookies"]
                found = [mock.mock.state.sessions.get(c["value"], FB) for c in cookies if c["name"] == "xs"]
                owners[path.name] = [session.login if session else None for session in found]
            return {"done": finished(done), "submissions": mock.submissions(), "events": mock.events(),
                    "owners": owners}
        finally:
            mock.stop()

    folder, kept = once(tmp_path_factory, "promises-outcomes", build)
    return Run(make_cli(folder / "home", keyring_session, chromium_path), folder / "accounts.toml",
               folder / "archive", as_finished(kept["done"]), kept["submissions"], kept["events"], kept["owners"])


@pytest.mark.e2e
def test_meta_refusing_the_objection_by_email_is_refused_in_the_ledger_and_status(run):
    assert run.ledger()["rae"] == "refused"
    [receipt] = receipts(run.archive, "rae")
    assert receipt["outcome"] == "confirmed" and receipt["site_answer"] == "refused"
    [folder] = list((run.archive / "rae").iterdir())
    [eml] = list(folder.glob("meta-email-*.eml"))
    sealed = {e["name"] for m in folder.glob("manifest*.json") for e in json.loads(m.read_text())["files"]}
    assert eml.name in sealed, "Meta's refusal is sealed evidence"
    assert table_row(run.done.stdout, "rae")[2] == "refused"
    assert run.told(RAE) == ("rae: Meta confirmed the objection on screen, but the site's email refuses the request "
                             "(kept in the evidence folder)")
    status = run.cli("--config", str(run.config), "status")
    assert status.returncode == 0, status.stderr
    row = next(line for line in status.stdout.splitlines() if line.startswith("rae "))
    assert row.split()[2] == "refused"
    assert outcomes.next_action("refused", "rae") in row and "archive export" in row
    assert outcomes.exit_code(["confirmed", "refused"], rehearsal=False) is ExitCode.FAILED  # the run's exit code: 4


@pytest.mark.e2e
def test_two_refused_2fa_codes_fail_the_account_saying_why_and_file_nothing(run):
    assert table_row(run.done.stdout, "tod")[2] == "failed"
    assert run.told(TOD).startswith("tod: Meta refused two 2FA codes in a row; check the TOTP secret with "
                                    "`submit-objections credentials set tod` and that this computer's clock is right")
    refused = run.events_of(TOD, "totp_failed")
    assert len(refused) == 2 and all(e.get("simulated") for e in refused), "two right codes, both refused by Meta"
    assert run.events_of(TOD, "login") == [] and run.filed_by(TOD) == []
    assert run.ledger()["tod"] == "failed"
    [receipt] = receipts(run.archive, "tod")
    assert receipt["sent"] is False and receipt["fields"] == {}


@pytest.mark.e2e
def test_two_refused_emailed_codes_fail_the_account_saying_why_and_file_nothing(run):
    assert table_row(run.done.stdout, "mel")[2] == "failed"
    assert run.told(MEL).startswith("mel: Meta did not accept the emailed code twice; run again later")
    assert len(run.events_of(MEL, "code_failed")) == 2
    assert [e["resend"] for e in run.events_of(MEL, "code_sent")] == [False, True], "a new code was asked for"
    assert run.filed_by(MEL) == [], "Meta never took the objection"
    assert run.ledger()["mel"] == "failed"
    [receipt] = receipts(run.archive, "mel")
    assert receipt["outcome"] == "failed" and receipt["confirmation_text"] is None
    assert not list((run.archive / "mel").glob("*/*.eml")), "no answer from Meta is kept for an objection never filed"


@pytest.mark.e2e
def test_a_run_with_failed_and_refused_accounts_exits_4(run):
    assert run.done.returncode == ExitCode.FAILED, run.done.stdout + run.done.stderr


@pytest.mark.e2e
def test_each_objection_is_filed_in_its_own_accounts_session_two_at_a_time(run):
    filed = [RAE, HAL]
    assert sorted(s["login"] for s in run.submissions) == sorted(p.login for p in filed)
    for person in filed:
        [submission] = run.filed_by(person)  # the mock takes the login from the request's session cookie
        assert submission["email"] == person.login, f"{person.name}'s form went out in another account's session"
        [receipt] = receipts(run.archive, person.name)
        assert receipt["fields"]["email"] == person.login and receipt["login"] == person.login
    # Each saved session holds its own login's cookie and no other's; an account that never signed in has none.
    assert run.session_owners == {f"{p.name}.json": [p.login] for p in (MEL, RAE, HAL)}
    assert len(run.ledger()) == len(PEOPLE)


# -- --owner-wait runs out -----------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_when_the_owner_wait_runs_out_the_account_needs_its_owner_with_the_command_to_finish_it(
        world, cli, screen, monkeypatch, chromium_path):
    """The engine the CLI calls, in this process: --owner-wait counts in minutes (at least one), so the wait here is
    given in seconds to the same run request the CLI builds."""
    import cli as command_line
    from automation import app as engine
    from automation.report import table
    from flows import platforms
    from flows.wording import languages

    uma = Person("uma", checkpoint="identity", form_variant="2025", maildir=False)
    w = world([uma])
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "SUBMIT_OBJECTIONS_KEYRING_SERVICE"):
        monkeypatch.setenv(key, cli.env[key])
    monkeypatch.setenv("DISPLAY", screen)
    app = engine.App(config=w.config, archive=w.archive, languages=languages(), platforms=platforms(),
                     ledger_path=Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3")
    told: list[str] = []
    request = engine.RunRequest(mirror=w.mock.url, chromium=chromium_path, headed=True, owner_wait=1.5, pause=0)
    result = engine.run(app, command_line._plans(app, ()), request, engine.Terminal(tell=told.append))

    assert told == ["uma: Meta shows a security check that only you can answer. Solve it in the browser window; the "
                    "run waits up to 0.025 min, then carries on."]
    shown = table(result.reports)
    assert table_row(shown, "uma")[2:5] == ["needs", "the", "owner"]
    assert ("uma: the check was still on screen after 0.025 min; Meta shows a security check that only the account's "
            "owner can answer; run `submit-objections --headed --account uma` and solve it in the browser window"
            in shown)
    assert result.exit_code == ExitCode.NEEDS_OWNER
    assert w.mock.submissions() == [] and w.ledger() == {"uma": "needs-owner"}
    [receipt] = w.receipts("uma")
    assert receipt["outcome"] == "needs_owner" and receipt["owner_stepped_in"] is None
    status = w.cli("--config", str(w.config), "status")
    assert "run `submit-objections --headed --account uma` and pass the site's check in the window" in status.stdout


# -- which browser --------------------------------------------------------------------------------------------------


def fake_browser(folder: Path, name: str, executable: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755 if executable else 0o644)
    return path


@pytest.fixture
def no_browsers(monkeypatch, tmp_path):
    """An empty PATH, no $SUBMIT_OBJECTIONS_CHROMIUM and no Playwright Chromium: the test adds what it needs."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv(browser.ENV_CHROMIUM, raising=False)
    monkeypatch.setattr(browser, "_playwright_chromium", lambda: None)
    return tmp_path / "bin"


def test_path_is_searched_for_chromium_then_chromium_browser_then_google_chrome(no_browsers):
    chrome = fake_browser(no_browsers, "google-chrome")
    assert browser.find_chromium() == str(chrome)
    chromium_browser = fake_browser(no_browsers, "chromium-browser")
    assert browser.find_chromium() == str(chromium_browser)
    fake_browser(no_browsers, "chromium", executable=False)  # not executable: skipped, as a shell would
    assert browser.find_chromium() == str(chromium_browser)
    chromium = fake_browser(no_browsers, "chromium")
    assert browser.find_chromium() == str(chromium)


def test_playwrights_own_chromium_comes_before_path(no_browsers, monkeypatch, tmp_path):
    fake_browser(no_browsers, "chromium")
    bundled = fake_browser(tmp_path / "ms-playwright", "chrome")
    monkeypatch.setattr(browser, "_playwright_chromium", lambda: str(bundled))
    assert browser.find_chromium() == str(bundled)


def test_the_setting_then_the_environment_come_before_anything_found(no_browsers, monkeypatch, tmp_path):
    fake_browser(no_browsers, "chromium")
    monkeypatch.setattr(browser, "_playwright_chromium", lambda: str(fake_browser(tmp_path / "pw", "chrome")))
    from_env = fake_browser(tmp_path / "env", "my-chrome")
    monkeypatch.setenv(browser.ENV_CHROMIUM, str(from_env))
    assert browser.find_chromium() == str(from_env)
    chosen = fake_browser(tmp_path / "chosen", "chromium")
    assert browser.find_chromium(str(chosen), "--chromium") == str(chosen)


def test_a_named_browser_that_is_not_there_is_an_error_never_skipped(no_browsers, monkeypatch, tmp_path):
    fake_browser(no_browsers, "chromium")
    with pytest.raises(BrowserNotFound) as error:
        browser.find_chromium(str(tmp_path / "nowhere"), "--chromium")
    assert error.value.message == f"--chromium names {tmp_path / 'nowhere'}, which does not exist"
    monkeypatch.setenv(browser.ENV_CHROMIUM, str(fake_browser(tmp_path / "env", "chrome", executable=False)))
    with pytest.raises(BrowserNotFound) as error:
        browser.find_chromium()
    assert error.value.message == f"${browser.ENV_CHROMIUM} names {tmp_path / 'env' / 'chrome'}, which is not an executable file"


def test_no_browser_anywhere_says_what_was_tried_and_how_to_install_one(no_browsers):
    with pytest.raises(BrowserNotFound) as error:
        browser.find_chromium()
    said = str(error.value)
    assert "Playwright's own Chromium (not installed)" in said
    assert "PATH: chromium, chromium-browser, google-chrome" in said
    assert "sudo apt-get install chromium" in said and "playwright install chromium" in said


@pytest.mark.e2e
@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_cli_with_a_browser_that_does_not_exist_stops_with_a_clear_error_and_exit_2(cli, tmp_path, how):
    config = write_tool_accounts(tmp_path / "accounts.toml", [Person("zed", maildir=False)], tmp_path)
    archive = tmp_path / "archive"
    if how == "option":
        done = cli("--config", str(config), "--archive", str(archive), "--chromium", "/nonexistent", timeout=60)
    else:
        cli.env["SUBMIT_OBJECTIONS_CHROMIUM"] = "/nonexistent"
        done = cli("--config", str(config), "--archive", str(archive), timeout=60)
    assert done.returncode == ExitCode.CONFIG == 2, done.stdout + done.stderr
    assert "--chromium (or $SUBMIT_OBJECTIONS_CHROMIUM) names /nonexistent, which does not exist" in done.stderr
    assert "hint: name a Chromium or Chrome binary" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == "" and not archive.exists()


# -- overdue at one month ---------------------------------------------------------------------------------------------


def entry(status: str, sent_at: str | None) -> Entry:
    return Entry("anna", FB_FLOW, FB, status, "2026-01-10T09:00:00Z", None, sent_at, None)


UTC = dt.timezone.utc


@pytest.mark.parametrize("sent, due", [
    ("2026-01-10T09:00:00Z", dt.datetime(2026, 2, 10, 9, tzinfo=UTC)),
    ("2026-01-31T23:30:00Z", dt.datetime(2026, 2, 28, 23, 30, tzinfo=UTC)),  # February has no 31st
    ("2028-01-31T08:00:00Z", dt.datetime(2028, 2, 29, 8, tzinfo=UTC)),  # a leap year
    ("2026-12-15T12:00:00Z", dt.datetime(2027, 1, 15, 12, tzinfo=UTC)),
])
def test_an_unanswered_objection_is_overdue_from_one_month_after_send(sent, due):
    sent_entry = entry("confirmed", sent)
    assert answer_due(dt.datetime.fromisoformat(sent.replace("Z", "+00:00"))) == due
    assert not sent_entry.overdue_at(due - dt.timedelta(days=1)), "a day before the month is up"
    assert not sent_entry.overdue_at(due - dt.timedelta(seconds=1))
    assert sent_entry.overdue_at(due), "at the month's end"
    assert sent_entry.overdue_at(due + dt.timedelta(days=40))
    assert sent_entry.status_at(due) == "overdue" and sent_entry.status_at(due - dt.timedelta(days=1)) == "confirmed"


def test_only_an_objection_still_waiting_for_an_answer_becomes_overdue():
    late = dt.datetime(2027, 1, 1, tzinfo=UTC)
    assert entry("submitted", "2026-01-10T09:00:00Z").overdue_at(late)
    for settled in ("honoured", "refused", "already-objected", "failed", "needs-owner"):
        assert not entry(settled, "2026-01-10T09:00:00Z").overdue_at(late), settled
    assert not entry("confirmed", None).overdue_at(late), "never sent: nothing to wait for"


@pytest.mark.e2e
def test_status_shows_overdue_a_month_after_send_and_not_a_day_before(cli, tmp_path):
    people = [Person("day", maildir=False), Person("due", maildir=False)]
    config = write_tool_accounts(tmp_path / "accounts.toml", people, tmp_path)
    ledger = Ledger(Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3")
    now = dt.datetime.now(UTC).replace(microsecond=0)
    just_in_time = now - dt.timedelta(days=27)  # the month is up in one to four days
    just_late = now - dt.timedelta(days=32)  # longer ago than any month
    assert answer_due(just_in_time) - now >= dt.timedelta(days=1) and answer_due(just_late) < now
    for person, sent in zip(people, (just_in_time, just_late)):
        ledger.record(person.name, FB_FLOW, FB, "confirmed", sent_at=sent.isoformat().replace("+00:00", "Z"))
    status = cli("--config", str(config), "status")
    assert status.returncode == 0, status.stderr
    rows = {line.split()[0]: line for line in status.stdout.splitlines()[1:]}
    assert rows["day"].split()[2] == "confirmed"
    assert rows["due"].split()[2] == "overdue" and "GDPR Art. 12(3)" in rows["due"]
    assert outcomes.next_action("overdue", "due") in rows["due"]
