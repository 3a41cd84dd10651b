"""The "disconnect-activity" request: Accounts Center's "Activity from other businesses" (2026) and the older "Your
activity off Meta technologies", with the password asked again and Meta's confirmation dialog (issue 13).

One world for the module, one CLI run of six people (and one rerun): what the mock recorded as disconnected or
cleared, what the archive and ledger hold, what the run said. Then a run killed right after the confirming click.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CLI, ROOT
from e2e_support import Person, mock_accounts, store_secrets, table_row
from promises_support import as_finished, finished, once

pytestmark = pytest.mark.e2e

FLOW = "facebook-disconnect-activity"
OBJECTION = "facebook-ai-objection"
THIRD_PARTY = "facebook-third-party-data"

# Who asks for what, on which page generation, in which state Meta has them first.
ADA = Person("ada", totp=True, language="en")  # 2026 page, disconnect future activity
BEA = Person("bea", language="de")  # older page, clear previous activity
CEM = Person("cem", language="fr")  # 2026 page, already disconnected: nothing redone
DOV = Person("dov", language="it")  # older page, disconnect future activity (the default action)
ELI = Person("eli", language="en")  # all three requests in one run, one login; 2026 page, clear previous activity
FAY = Person("fay", language="en")  # a page the tool does not know: stops before any click that changes anything
PEOPLE = [ADA, BEA, CEM, DOV, ELI, FAY]
MOCK = {"ada": {"activity_page": "2026"}, "bea": {"activity_page": "older"},
        "cem": {"activity_page": "2026", "activity_state": "disconnected"}, "dov": {"activity_page": "older"},
        "eli": {"activity_page": "2026"}, "fay": {"activity_page": "reworded"}}
REQUESTS = {"ada": (["disconnect-activity"], "disconnect-future"), "bea": (["disconnect-activity"], "clear-previous"),
            "cem": (["disconnect-activity"], "disconnect-future"), "dov": (["disconnect-activity"], None),
            "eli": (["ai-objection", "third-party-data", "disconnect-activity"], "clear-previous"),
            "fay": (["disconnect-activity"], "disconnect-future")}


def mock_file(people: list[Person], switches: dict) -> str:
    text = mock_accounts(people)
    for person in people:
        line = f'login = "{person.login}"\n'
        added = "".join(f"{key} = {json.dumps(value)}\n" for key, value in switches.get(person.name, {}).items())
        text = text.replace(line, line + added, 1)
    return text


def tool_file(path: Path, people: list[Person], mock_state: Path, requests: dict) -> Path:
    """The tool's accounts file: each person's entry, its `requests` and its [accounts.disconnect_activity]."""
    entries = []
    for person in people:
        names, action = requests[person.name]
        entry = person.tool_entry(mock_state) + f"requests = {json.dumps(names)}\n"
        if "third-party-data" in names:  # the screenshot of the AI's answer: any small file the form takes
            (path.parent / "ai-answer.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
            entry += ('[accounts.third_party_data]\noption = "concern"\n'
                      'prompts = "What does Meta AI know about Eli Example?"\nscreenshot = "ai-answer.png"\n')
        if action:
            entry += f'[accounts.disconnect_activity]\naction = "{action}"\n'
        entries.append(entry)
    path.write_text("\n".join(entries))
    return path


def ledger(cli) -> dict[tuple[str, str], str]:
    path = Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:
        return {(account, flow): status for account, flow, status in
                connection.execute("SELECT account, flow, status FROM accounts")}


def outcome(stdout: str, person: Person, flow: str = FLOW) -> str:
    """The final table's outcome for this account's request (the table has a FLOW column: eli has three requests)."""
    for line in stdout.splitlines():
        cells = line.split()
        if cells[:2] == [person.name, flow]:
            return " ".join(cells[3:-1])  # between the platform and the evidence folder
    raise AssertionError(f"no row for {person.name} and {flow} in:\n{stdout}")


def told(stdout: str, person: Person, flow: str = FLOW) -> str:
    """The reason printed below the table for this account's request."""
    prefix = f"{person.name} ({flow}): "
    return next(line[len(prefix):] for line in stdout.splitlines() if line.startswith(prefix))


class Run:
    def __init__(self, folder: Path, kept: dict, cli):
        self.folder = folder
        self.cli = cli
        self.archive = folder / "archive"
        self.config = folder / "accounts.toml"
        self.dry = as_finished(kept["dry"])
        self.first = as_finished(kept["first"])
        self.again = as_finished(kept["again"])
        self.events = kept["events"]
        self.events_after_first = kept["events_after_first"]
        self.ledger = {tuple(key.split("|")): value for key, value in kept["ledger"].items()}

    def of(self, person: Person, kind: str, events: list[dict] | None = None) -> list[dict]:
        return [e for e in (self.events if events is None else events)
                if e["event"] == kind and e.get("login") == person.login]

    def receipts(self, person: Person, flow: str = FLOW) -> list[dict]:
        return [json.loads(path.read_text()) for path in sorted((self.archive / person.name).glob(f"*-{flow}/receipt.json"))]

    def folder_of(self, person: Person, flow: str = FLOW) -> Path:
        """The request's one evidence folder (of an account the rerun skipped)."""
        [folder] = sorted((self.archive / person.name).glob(f"*-{flow}"))
        return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory, keyring_session, chromium_path) -> Run:
    from conftest import make_cli
    from mock_support import RunningMock

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(mock_file(PEOPLE, MOCK))
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        try:
            config = tool_file(folder / "accounts.toml", PEOPLE, mock.state, REQUESTS)
            store_secrets(cli, config, PEOPLE)
            args = ["--config", str(config), "--mirror", mock.url, "--archive", str(folder / "archive")]
            dry = cli(*args, "--dry-run", "--account", "bea", "--account", "eli")
            first = cli(*args, "-v", "--concurrency", "2")
            events_after_first = mock.events()
            again = cli(*args)
            return {"dry": finished(dry), "first": finished(first), "again": finished(again),
                    "events_after_first": events_after_first, "events": mock.events(),
                    "ledger": {"|".join(key): value for key, value in ledger(cli).items()}}
        finally:
            mock.stop()

    folder, kept = once(tmp_path_factory, "disconnect-activity", build)
    return Run(folder, kept, make_cli(folder / "home", keyring_session, chromium_path))


@pytest.mark.slow
def test_the_2026_page_disconnects_future_activity_after_the_password_and_the_dialog(run):
    [action] = run.of(ADA, "activity_action")
    assert action["action"] == "disconnect_future" and action["page"] == "2026"
    assert len(run.of(ADA, "activity_password_ok")) == 1 and run.of(ADA, "activity_password_failed") == []
    [receipt] = run.receipts(ADA)
    assert receipt["outcome"] == "done" and receipt["sent"] is True
    assert receipt["form"]["variant"] == "2026"
    assert "Future activity: off" in receipt["confirmation_text"]
    names = sorted(path.name for path in run.folder_of(ADA).iterdir())
    assert "01-before.png" in names and "02-confirm-dialog.png" in names
    assert "03-after.png" in names and "03-after.html" in names
    assert outcome(run.first.stdout, ADA) == "done"
    assert told(run.first.stdout, ADA) == ("Meta shows future activity from other businesses disconnected, and with "
                                           "it the previous activity cleared")
    assert run.ledger[("ada", FLOW)] == "done"


def test_the_older_page_clears_previous_activity_only_as_asked(run):
    [action] = run.of(BEA, "activity_action")
    assert action["action"] == "clear_previous" and action["page"] == "older" and action["language"] == "de"
    [receipt] = run.receipts(BEA)
    assert receipt["outcome"] == "done" and receipt["form"]["variant"] == "older"
    assert receipt["language"]["page"] == "de"
    assert "Deine bisherigen Aktivitäten wurden gelöscht" in receipt["confirmation_text"]
    assert run.ledger[("bea", FLOW)] == "done"


def test_the_older_page_disconnects_future_activity_when_the_account_names_no_action(run):
    [action] = run.of(DOV, "activity_action")
    assert action["action"] == "disconnect_future" and action["page"] == "older"
    [receipt] = run.receipts(DOV)
    assert receipt["outcome"] == "done" and receipt["form"]["variant"] == "older"


def test_activity_already_disconnected_is_recognised_and_not_done_again(run):
    assert run.of(CEM, "activity_action") == []
    [receipt] = run.receipts(CEM)
    assert receipt["outcome"] == "already_done" and receipt["sent"] is False
    assert "déconnectée" in receipt["page_said"]
    assert outcome(run.first.stdout, CEM) == "already done"
    assert run.ledger[("cem", FLOW)] == "already-done"
    assert (run.folder_of(CEM) / "01-already-done.png").is_file()


def test_all_three_requests_of_one_account_are_done_once_each_with_one_login(run):
    from fixtures.mock_meta.third_party import filed

    assert len(run.of(ELI, "login")) == 1, "one login served the three requests"
    assert len(run.of(ELI, "activity_password_ok")) == 1
    [action] = run.of(ELI, "activity_action")
    assert action["action"] == "clear_previous" and action["page"] == "2026"
    [objection] = run.receipts(ELI, OBJECTION)
    [disconnect] = run.receipts(ELI, FLOW)
    assert objection["outcome"] == "confirmed" and disconnect["outcome"] == "done"
    assert disconnect["form"]["variant"] == "2026" and "Past activity has been cleared" in disconnect["confirmation_text"]
    assert objection["site_answer"] == "honoured"  # Meta's email came during the run; the disconnect gets none
    assert disconnect["logged_in_with"].startswith("this run's login"), "the second request found Meta signed in"
    assert outcome(run.first.stdout, ELI, OBJECTION) == "confirmed" and outcome(run.first.stdout, ELI) == "done"
    assert run.ledger[("eli", OBJECTION)] == "honoured" and run.ledger[("eli", FLOW)] == "done"
    [third_party] = [entry for entry in filed(run.folder / "mock") if entry["login"] == ELI.login]  # after the rerun too
    assert third_party["option"] == "concern"
    assert run.ledger[("eli", THIRD_PARTY)] in ("submitted", "honoured") and run.receipts(ELI, THIRD_PARTY)[0]["sent"] is True
    assert outcome(run.first.stdout, ELI, THIRD_PARTY).startswith("sent")


def test_a_page_the_tool_does_not_know_stops_before_anything_that_changes_the_account(run):
    assert run.of(FAY, "activity_action") == [] and run.of(FAY, "activity_password_asked") == []
    receipt = run.receipts(FAY)[0]  # the first run's (the rerun tries again: nothing settled it)
    assert receipt["outcome"] == "form_changed" and receipt["sent"] is False
    assert "page-snapshot.json" in receipt["reason"]
    assert outcome(run.first.stdout, FAY) == "form changed, nothing sent"
    first_folder = sorted((run.archive / "fay").glob(f"*-{FLOW}"))[0]
    snapshot = json.loads((first_folder / "page-snapshot.json").read_text())
    assert "Business interactions" in json.dumps(snapshot)
    assert run.first.returncode == 5, run.first.stdout + run.first.stderr  # only fay's page was not understood


def test_a_rerun_does_nothing_twice(run):
    for person in PEOPLE:
        assert run.of(person, "activity_action") == run.of(person, "activity_action", run.events_after_first)
    assert run.of(ELI, "login") == run.of(ELI, "login", run.events_after_first), "nothing settled logs in again"
    assert told(run.again.stdout, ADA).startswith("skipped: done since")
    assert told(run.again.stdout, CEM).startswith("skipped: already-done since")
    assert told(run.again.stdout, ELI, OBJECTION).startswith("skipped: honoured since")
    assert told(run.again.stdout, ELI).startswith("skipped: done since")


def test_the_password_never_appears_in_the_output_or_the_archive(run):
    for person in PEOPLE:
        for done in (run.first, run.again, run.dry):
            assert person.password not in done.stdout + done.stderr
        for path in (run.archive / person.name).rglob("*"):
            if path.is_file():
                assert person.password.encode() not in path.read_bytes(), path


def test_the_dry_run_names_the_request_and_what_it_will_do(run):
    assert run.dry.returncode == 0, run.dry.stderr
    out = run.dry.stdout
    assert "disconnect-activity" in out and FLOW in out
    assert 'disconnect_activity.action = "clear-previous"' in out and "Clear previous activity" in out
    assert "ai-objection" in out  # eli's first request


# -- killed right after the confirming click ------------------------------------------------------------------------

GUS = Person("gus", language="en")


@pytest.mark.slow
def test_killed_right_after_the_confirming_click_then_run_again_disconnects_exactly_once(cli, start_mock, tmp_path):
    mock = start_mock(mock_file([GUS], {"gus": {"activity_page": "older"}}))
    config = tool_file(tmp_path / "accounts.toml", [GUS], mock.state, {"gus": (["disconnect-activity"], None)})
    store_secrets(cli, config, [GUS])
    args = ["--config", str(config), "--mirror", mock.url, "--archive", str(tmp_path / "archive")]
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli.env,
                               cwd=ROOT)
    deadline = time.monotonic() + 120
    while not mock.events("activity_action", GUS.login) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)  # Meta has taken the click; the tool has not seen its answer
    process.wait(30)
    assert len(mock.events("activity_action", GUS.login)) == 1
    # written before the click ("submitting") and, once the click returned, "submitted": never settled yet
    assert ledger(cli)[("gus", FLOW)] in ("submitting", "submitted"), "the click is on record, not settled"

    again = cli(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(mock.events("activity_action", GUS.login)) == 1, "disconnected exactly once"
    assert ledger(cli)[("gus", FLOW)] == "done"
    assert table_row(again.stdout, "gus")[2:4] == ["already", "done"]  # Meta showed it in effect: no second click
    verified = cli("--archive", str(tmp_path / "archive"), "archive", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


# -- the flow's own wording tables (fast, no browser) ----------------------------------------------------------------

WORDING = ROOT / "flows" / "activity" / "wording"
NOTES = ROOT / "docs" / "research" / "meta-flows.md"


def test_the_flows_wording_has_every_key_in_seven_languages_and_quotes_only_the_research():
    import re
    import tomllib

    from flows.disconnect_activity import OWN_WORDING

    fold = lambda text: re.sub(r"\s+", " ", re.sub(r"[’‘`´]", "'", text)).casefold()  # noqa: E731
    notes = fold(NOTES.read_text(encoding="utf-8"))
    reference = list(tomllib.loads((WORDING / "en.toml").read_text(encoding="utf-8")))
    assert OWN_WORDING.languages == sorted(["en", "de", "fr", "it", "es", "nl", "pl"])
    for language in OWN_WORDING.languages:
        raw = tomllib.loads((WORDING / f"{language}.toml").read_text(encoding="utf-8"))
        assert list(raw) == reference, f"{language}.toml: not en.toml's keys in its order"
        assert all(OWN_WORDING.phrasings(key, language) for key in reference), language
        unquoted = [p for phrasings in OWN_WORDING.tables[language].values() for p in phrasings.research
                    if fold(p) not in notes]
        assert not unquoted, f"{language}.toml: research phrasings the notes do not quote: {unquoted}"


def test_the_flow_sees_the_confirming_button_apart_from_the_one_that_opens_the_dialog():
    from flows.disconnect_activity import WORDING as words

    assert words.matches("confirm_disconnect", "Disconnect")
    assert not words.matches("confirm_disconnect", "Disconnect future activity")
    assert words.matches("disconnect_future", "Disconnect future activity")
    assert words.matches("confirm_clear", "Clear") and not words.matches("confirm_clear", "Clear previous activity")
    assert words.matches("login_field", "Email address or phone number"), "Meta's shared login wording is merged in"


def test_an_instagram_account_naming_the_request_is_a_located_error_and_an_unknown_action_too(tmp_path):
    from automation.config import load_accounts
    from automation.errors import ConfigError
    from flows import platforms, requests_by_platform
    from flows.wording import languages

    def error_for(platform: str, extra: str) -> str:
        path = tmp_path / "accounts.toml"
        path.write_text(f'[[accounts]]\nname = "ivy"\nplatform = "{platform}"\nlogin = "ivy@example.org"\n'
                        f'email = "ivy@example.org"\ncountry = "DE"\nrequests = ["disconnect-activity"]\n{extra}')
        with pytest.raises(ConfigError) as caught:
            load_accounts(path, languages=languages(), platforms=platforms(), requests=requests_by_platform())
        return str(caught.value)

    told = error_for("instagram", "")
    assert "accounts.toml:7: account 'ivy': field 'requests' names 'disconnect-activity', which instagram has no flow" in told
    told = error_for("facebook", '[accounts.disconnect_activity]\naction = "disconnect-all"\n')
    assert "accounts.toml" in told and "action" in told and "disconnect-future" in told and "clear-previous" in told


def test_status_shows_each_request_done_with_nothing_left_to_do_and_never_waiting_for_mail(run):
    from automation import outcomes

    shown = run.cli("--config", str(run.config), "status", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = {(entry["account"], entry["flow"]): entry for entry in json.loads(shown.stdout)}
    assert rows[("ada", FLOW)]["status"] == "done" and rows[("ada", FLOW)]["status_label"] == "done"
    assert rows[("ada", FLOW)]["next"] == outcomes.next_action("done", "ada")
    assert rows[("cem", FLOW)]["status"] == "already-done" and rows[("cem", FLOW)]["status_label"] == "already done"
    assert "done" not in outcomes.AWAITING_ANSWER, "no email answers it, so it is never overdue"


# What each of the mock's texts (fixtures/mock_meta/activity.py) means, as the flow's wording keys name it; and texts
# on the same pages that must not be mistaken for one of them (a dialog's explanation is no result, the button that
# opens a dialog is not the one that confirms it).
MEANS = {"nav_info": "info_permissions_link", "link_26": "activity_2026_link", "link_old": "activity_older_link",
         "reauth_h": "reenter_password", "wrong": "wrong_reentered_password", "manage_old": "manage_future",
         "manage_26": "manage_future", "disconnect": "disconnect_future", "d_yes_old": "confirm_disconnect",
         "d_yes_26": "confirm_disconnect", "clear_old": "clear_previous", "clear_26": "clear_previous",
         "c_yes_old": "confirm_clear", "c_yes_26": "confirm_clear", "off_old": "disconnected", "off_26": "disconnected",
         "cleared_old": "cleared", "cleared_26": "cleared", "none_old": "cleared", "none_26": "cleared"}
NOT_MEANT = {"d_text": ["disconnected", "cleared"], "c_text": ["disconnected", "cleared"],
             "intro_26": ["disconnected", "cleared"], "intro_old": ["disconnected", "cleared"],
             "future_t": ["disconnected", "cleared"], "d_title": ["disconnected", "cleared", "confirm_disconnect"],
             "c_title": ["cleared", "confirm_clear"], "disconnect": ["confirm_disconnect"],
             "clear_old": ["confirm_clear"], "clear_26": ["confirm_clear"], "cancel": ["confirm_disconnect", "confirm_clear"],
             "reconnect": ["disconnect_future", "confirm_disconnect"], "link_rw": ["activity_2026_link", "activity_older_link"],
             "specific_old": ["disconnect_future", "confirm_disconnect"]}


@pytest.mark.parametrize("language", ["en", "de", "fr", "it", "es", "nl", "pl"])
def test_the_flows_tables_read_the_mocks_pages_in_each_language_and_mistake_nothing(language):
    from fixtures.mock_meta.activity import TEXTS
    from flows.disconnect_activity import WORDING as words

    said = TEXTS[language]
    missed = [(text, key) for text, key in MEANS.items() if not words.pattern(key, language).search(said[text])]
    assert not missed, f"{language}: the flow's table misses the mock's {missed}"
    mistaken = [(text, key) for text, keys in NOT_MEANT.items() for key in keys if words.matches(key, said[text])]
    assert not mistaken, f"{language}: the flow's tables take the mock's text for something else: {mistaken}"
