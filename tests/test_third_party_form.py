"""Several requests per account, and Meta's form for information from third parties used for AI at Meta, end to end:
one shared world (several people in one mock, one run, then a rerun, `status --check-mail` and a dry run), each
test asserting its own person's outcome from what the mock recorded, the archive, the ledger and what the user read.
"""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CLI, ROOT
from e2e_support import Person, mock_accounts, owner_solves_in_the_window, store_secrets, write_tool_accounts
from promises_support import as_finished, finished, once

pytestmark = pytest.mark.e2e

PROMPTS = "What do you know about Tia Example from Berlin? Where does she work?"


def png(width: int = 3, height: int = 2) -> bytes:
    """A small real PNG: what a screenshot of the AI's answer is."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\0" + bytes([200, 30, 30]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@dataclass
class Requester(Person):
    """A person who names requests in the accounts file, with the mock's switches for the third-party form."""

    requests: tuple[str, ...] = ("ai-objection",)
    option: str = "concern"
    captcha: bool = False
    answer: str = "completed"  # the mock's later email for the third-party request: completed | declined | none
    screenshot: str = ""

    def mock_entry(self) -> str:
        return (super().mock_entry() + f"third_party_captcha = {str(self.captcha).lower()}\n"
                f'third_party_answer = "{self.answer}"\n')

    def tool_entry(self, mock_state: Path) -> str:
        text = super().tool_entry(mock_state) + f"requests = {json.dumps(list(self.requests))}\n"
        if "third-party-data" in self.requests:
            text += (f'[accounts.third_party_data]\noption = "{self.option}"\nprompts = "{PROMPTS}"\n'
                     f'screenshot = "{self.screenshot}"\n')
        return text


def third_party_filed(state: Path, login: str | None = None) -> list[dict]:
    from fixtures.mock_meta.third_party import filed

    return [entry for entry in filed(state) if login is None or entry["login"] == login]


def ledger_rows(data_home: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(data_home / "submit-objections" / "ledger.sqlite3") as connection:
        return {(account, flow): status for account, flow, status in
                connection.execute("SELECT account, flow, status FROM accounts")}


def events(state: Path, kind: str, login: str) -> list[dict]:
    path = state / "events.jsonl"
    return [e for e in map(json.loads, path.read_text().splitlines()) if e["event"] == kind and e.get("login") == login]


@pytest.fixture(scope="module")
def world(tmp_path_factory, keyring_session, chromium_path):
    """tia: the AI objection and the third-party form in one run (Meta's email on the form comes later); uma: the
    third-party form alone, Meta's email arriving during the run; vic: a captcha after the choice. One run, a
    rerun, `status --check-mail` once Meta's email to tia has come, a dry run."""
    from conftest import make_cli
    from mock_support import RunningMock

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        shot = folder / "evidence" / "ai-answer.png"
        shot.parent.mkdir()
        shot.write_bytes(png())
        both = ("ai-objection", "third-party-data")
        people = [
            Requester("tia", form_variant="2025", requests=both, answer="none", screenshot="evidence/ai-answer.png"),
            Requester("uma", requests=("third-party-data",), option="object", screenshot=str(shot)),
            Requester("vic", requests=("third-party-data",), option="delete", captcha=True, screenshot=str(shot)),
            Requester("wim", language="de", requests=("third-party-data",), option="access", screenshot=str(shot)),
        ]
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(mock_accounts(people))
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        try:
            config = write_tool_accounts(folder / "accounts.toml", people, mock.state)
            store_secrets(cli, config, people)
            args = ["--config", str(config), "--mirror", mock.url, "--archive", str(folder / "archive")]
            dry = cli(*args, "--dry-run")
            first = cli(*args)
            logins_first = {p.name: len(events(mock.state, "login", p.login)) for p in people}
            filed_first = {p.name: len(third_party_filed(mock.state, p.login)) for p in people}
            captchas_first = len(events(mock.state, "third_party_captcha_shown", "vic@example.org"))
            ledger_first = {"|".join(k): v for k, v in ledger_rows(Path(cli.env["XDG_DATA_HOME"])).items()}
            again = cli(*args)
            # Meta's email answering tia's request comes after the runs, as the mock would write it.
            from fixtures.mock_meta.third_party import TEXTS

            mock.mock.state.mailer.send("tia@example.org", TEXTS["en"]["mail_subject"],
                                        TEXTS["en"]["mail_completed"].format(first_name="Tia"))
            checked = cli("--config", str(config), "--archive", str(folder / "archive"), "status", "--check-mail")
        finally:
            mock.stop()
        return {"dry": finished(dry), "first": finished(first), "again": finished(again),
                "checked": finished(checked), "logins_first": logins_first, "captchas_first": captchas_first, "filed_first": filed_first,
                "mock": str(mock.state), "archive": str(folder / "archive"), "data": cli.env["XDG_DATA_HOME"],
                "shot_sha256": hashlib.sha256(shot.read_bytes()).hexdigest(), "shot_size": len(shot.read_bytes()),
                "ledger_after_first": ledger_first}

    _, built = once(tmp_path_factory, "third-party-form", build)
    return built


def row(stdout: str, account: str, flow: str) -> str:
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) > 1 and cells[0] == account and cells[1] == flow:
            return line
    raise AssertionError(f"no row for {account} {flow} in:\n{stdout}")


def receipt(archive: Path, account: str, flow: str) -> dict:
    [found] = [json.loads(path.read_text()) for path in sorted((archive / account).glob(f"*-{flow}/receipt.json"))
               if json.loads(path.read_text())["mode"] == "run"][:1]
    return found


@pytest.mark.slow
def test_two_requests_of_one_account_are_filed_once_each_with_one_login(world):
    state = Path(world["mock"])
    first = as_finished(world["first"])
    assert world["logins_first"]["tia"] == 1, f"tia logged in {world['logins_first']['tia']} times"
    objections = [s for s in map(json.loads, (state / "submissions.jsonl").read_text().splitlines())
                  if s["login"] == "tia@example.org"]
    assert len(objections) == 1 and world["filed_first"]["tia"] == 1
    assert "submitted" == world["ledger_after_first"]["tia|facebook-third-party-data"]
    assert world["ledger_after_first"]["tia|facebook-ai-objection"] in ("confirmed", "honoured")
    # one row per account and request, with the flow column, in the accounts file's order
    assert "FLOW" in first.stdout.splitlines()[0]
    assert "confirmed" in row(first.stdout, "tia", "facebook-ai-objection")
    assert "sent" in row(first.stdout, "tia", "facebook-third-party-data")
    assert "tia (facebook-third-party-data): Meta received the request; it reviews such requests" in first.stdout
    folders = sorted(path.name for path in (Path(world["archive"]) / "tia").iterdir())
    assert any(name.endswith("-facebook-ai-objection") for name in folders)
    assert any(name.endswith("-facebook-third-party-data") for name in folders)


@pytest.mark.slow
def test_the_mock_got_the_screenshot_as_the_file_is_and_the_fields_as_the_accounts_file_says(world):
    state = Path(world["mock"])
    [tia] = third_party_filed(state, "tia@example.org")
    assert tia["upload"] == {"name": "ai-answer.png", "size": world["shot_size"], "sha256": world["shot_sha256"]}
    assert tia["option"] == "concern" and tia["prompts"] == PROMPTS
    assert tia["full_name"] == "Tia Example" and tia["email"] == "tia@example.org" and tia["country"] == "DE"
    [uma] = third_party_filed(state, "uma@example.org")
    assert uma["option"] == "object" and uma["upload"]["sha256"] == world["shot_sha256"]
    got = receipt(Path(world["archive"]), "tia", "facebook-third-party-data")
    assert got["outcome"] == "submitted" and got["request"] == "third-party-data" and got["sent"] is True
    assert got["fields"]["screenshot"] == (f"ai-answer.png ({world['shot_size']} bytes, SHA-256 "
                                           f"{world['shot_sha256']})")
    assert got["fields"]["prompts"] == PROMPTS and got["fields"]["option"].startswith("a concern about a response")
    assert got["logged_in_with"] == "this run's login for the account's earlier request (the same browser)"
    assert "received your request" in got["confirmation_text"]


@pytest.mark.slow
def test_meta_email_during_the_run_settles_the_request_honoured(world):
    assert world["ledger_after_first"]["uma|facebook-third-party-data"] == "honoured"
    got = receipt(Path(world["archive"]), "uma", "facebook-third-party-data")
    assert got["site_answer"] == "honoured"
    folder = next((Path(world["archive"]) / "uma").glob("*-facebook-third-party-data"))
    [eml] = list(folder.glob("*.eml"))
    assert "completed your request" in eml.read_text()


@pytest.mark.slow
def test_a_german_page_is_matched_by_the_german_tables(world):
    [wim] = third_party_filed(Path(world["mock"]), "wim@example.org")
    assert wim["option"] == "access" and wim["language"] == "de" and wim["upload"]["sha256"] == world["shot_sha256"]
    got = receipt(Path(world["archive"]), "wim", "facebook-third-party-data")
    assert got["language"] == {"expected": "de", "page": "de"} and got["site_answer"] == "honoured"
    assert "Anfrage erhalten" in got["confirmation_text"]
    assert world["ledger_after_first"]["wim|facebook-third-party-data"] == "honoured"


@pytest.mark.slow
def test_a_captcha_after_the_choice_is_handed_to_the_owner_with_the_command(world):
    first = as_finished(world["first"])
    assert world["filed_first"]["vic"] == 0
    assert world["ledger_after_first"]["vic|facebook-third-party-data"] == "needs-owner"
    line = next(line for line in first.stdout.splitlines() if line.startswith("vic"))
    assert "needs the owner" in line
    assert "run `submit-objections --headed --account vic` and solve it in the browser window" in first.stdout
    assert world["captchas_first"] == 1
    assert first.returncode == 3  # some need their owner, none failed


@pytest.mark.slow
def test_a_rerun_files_nothing_twice(world):
    again = as_finished(world["again"])
    state = Path(world["mock"])
    assert len(third_party_filed(state, "tia@example.org")) == 1 and len(third_party_filed(state, "uma@example.org")) == 1
    objections = [s for s in map(json.loads, (state / "submissions.jsonl").read_text().splitlines())
                  if s["login"] == "tia@example.org"]
    assert len(objections) == 1
    assert ("tia (facebook-third-party-data): skipped: submitted since" in again.stdout
            and "the site reviews it and its email settles it" in again.stdout)
    assert "tia (facebook-ai-objection): skipped: " in again.stdout
    assert "uma (facebook-third-party-data): skipped: honoured since" in again.stdout


@pytest.mark.slow
def test_meta_later_email_settles_the_reviewed_request_in_status_check_mail(world):
    checked = as_finished(world["checked"])
    assert "tia: Meta's email found, now honoured" in checked.stderr, checked.stderr
    rows = ledger_rows(Path(world["data"]))
    assert rows[("tia", "facebook-third-party-data")] == "honoured"
    assert rows[("tia", "facebook-ai-objection")] in ("confirmed", "honoured")  # the other request's mail left alone
    folder = next((Path(world["archive"]) / "tia").glob("*-facebook-third-party-data"))
    assert [p.name for p in folder.glob("*.eml")], "Meta's email is kept with the request it answers"
    # status: one row per account and request
    assert "FLOW" in checked.stdout.splitlines()[0]
    assert "honoured" in row(checked.stdout, "tia", "facebook-third-party-data")
    assert row(checked.stdout, "tia", "facebook-ai-objection")
    objection = next((Path(world["archive"]) / "tia").glob("*-facebook-ai-objection"))
    assert not any("third parties" in p.read_text() for p in objection.glob("*.eml"))


@pytest.mark.slow  # it reads the shared world, which takes its runs to build
def test_the_dry_run_lists_each_request_its_steps_and_the_routing_verdict(world):
    dry = as_finished(world["dry"])
    assert dry.returncode == 0, dry.stderr
    tia = dry.stdout.split("Account tia ")[1:]
    assert len(tia) == 2, "one block per request"
    assert tia[0].splitlines()[1].startswith("  Request 1 of 2: ai-objection (Facebook: object to")
    assert "one login serves all 2, one after another in one browser" in tia[0]
    assert tia[1].splitlines()[1].startswith("  Request 2 of 2: third-party-data (Facebook: a request about")
    assert "Where: Germany (EU): Meta offers the objection there, so the form is expected" in tia[0]
    assert "Where: no source limits Meta's form for information from third parties" in tia[1]
    assert "attach the file " in tia[1] and "ai-answer.png" in tia[1]
    assert "prompts (the prompts from the accounts file)" in tia[1]
    assert "SEND: click" in tia[1] and "Meta reviews this request rather than confirming it" in tia[1]
    assert PROMPTS in tia[1] and "Objection text" not in tia[1] and "Objection text" in tia[0]
    assert "emailed code" in tia[0] and "emailed code" not in tia[1]  # the third-party form emails no code
    assert "Meta's email answering it: read from the Maildir" in tia[1]


@pytest.mark.slow
def test_killed_right_after_send_of_the_third_party_form_then_run_again_files_exactly_once(cli, start_mock, tmp_path):
    """SIGKILL right after the Send click of the new flow (the riskiest moment), then a new run: filed once."""
    from test_e2e_evidence import plain_steps

    shot = tmp_path / "shot.png"
    shot.write_bytes(png())
    person = Requester("kit", requests=("third-party-data",), answer="none", screenshot=str(shot), maildir=False)
    mock = start_mock(mock_accounts([person]))
    config = write_tool_accounts(tmp_path / "accounts.toml", [person], mock.state)
    store_secrets(cli, config, [person])
    args = ["--config", str(config), "--mirror", mock.url, "--archive", str(tmp_path / "archive")]
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=cli.env, cwd=ROOT)
    sent = False
    for line in process.stderr:
        step = plain_steps(line)
        if sent and step:  # the first step after the click: Send has happened
            process.send_signal(signal.SIGKILL)
            break
        sent = bool(step and step.startswith("SEND:"))
    process.wait(30)
    assert sent or third_party_filed(mock.state), "the run was killed before Send"
    assert len(third_party_filed(mock.state)) == 1
    again = cli(*args)
    assert len(third_party_filed(mock.state)) == 1, f"filed twice:\n{again.stdout}"
    assert again.returncode == 0, again.stdout + again.stderr
    # Killed between the click and the page's answer: the ledger says Send was clicked (submitting, or submitted
    # once the click returned); the page cannot say whether Meta has the request, so it is not filed again.
    assert ("kit: skipped: submitting since" in again.stdout or "kit: skipped: submitted since" in again.stdout), \
        again.stdout
    assert "--force files again" in again.stdout


@pytest.mark.slow
def test_headed_the_owner_passes_the_captcha_in_the_window_and_the_run_files_the_request(cli, start_mock, tmp_path,
                                                                                           screen):
    shot = tmp_path / "shot.png"
    shot.write_bytes(png())
    person = Requester("zoe", requests=("third-party-data",), option="delete", captcha=True, screenshot=str(shot))
    mock = start_mock(mock_accounts([person]))
    config = write_tool_accounts(tmp_path / "accounts.toml", [person], mock.state)
    store_secrets(cli, config, [person])
    args = ["--config", str(config), "--mirror", mock.url, "--archive", str(tmp_path / "archive"), "--headed",
            "--owner-wait", "2"]

    def nothing_filed_yet():
        assert not third_party_filed(mock.state)

    code, stdout, errors = owner_solves_in_the_window(cli, args, mock.url, screen, before_solving=nothing_filed_yet)
    assert code == 0, stdout + errors
    [filed] = third_party_filed(mock.state)
    assert filed["option"] == "delete" and filed["upload"]["sha256"] == hashlib.sha256(png()).hexdigest()
    [got] = [json.loads(p.read_text()) for p in (tmp_path / "archive" / "zoe").glob("*/receipt.json")]
    assert got["outcome"] == "submitted" and "owner passed" in got["owner_stepped_in"]
