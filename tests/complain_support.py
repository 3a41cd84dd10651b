"""One run shared by tests/test_linked_and_pages.py and tests/test_complaints.py (issue 13): five people in one mock,
one CLI run of all of them one at a time, then a rerun of the two linked accounts; every test reads what it left.

- lia-fb (Facebook, Dutch) and lia-ig (Instagram) share an Accounts Centre, in the mock and in the accounts file
  (lia-ig: linked_to = "lia-fb"); lia-fb files first, and Meta's email says it covers the other accounts too.
- pam is signed in as a Facebook Page.
- rob (France, French): Meta's email refuses the objection.
- ola (Germany, German): no mailbox, so no answer is ever read: overdue once a month has passed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from e2e_support import Person, mock_accounts, receipts, store_secrets, write_tool_accounts
from promises_support import as_finished, finished, once

LIA_FB = Person("lia-fb", region="NL", language="nl", form_variant="2025")
LIA_IG = Person("lia-ig", region="NL", language="nl", platform="instagram", form_variant="2025", linked_to="lia-fb",
                extra={"linked_to": "lia-fb"})
PAM = Person("pam", region="GB", form_variant="2025", maildir=False)
ROB = Person("rob", region="FR", language="fr", form_variant="2025")
OLA = Person("ola", region="DE", language="de", form_variant="2025", maildir=False)
PEOPLE = [LIA_FB, LIA_IG, PAM, ROB, OLA]  # lia-fb before lia-ig: its answer settles lia-ig before lia-ig's turn
PAGE_NAME = "Pam's Bakery"


def with_mock_keys(text: str, person: Person, **keys: object) -> str:
    """The mock's accounts file with switches Person has no field for, added to that person's [[account]]."""
    line = f'login = "{person.login}"\n'
    assert line in text
    return text.replace(line, line + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items()), 1)


@dataclass
class Shared:
    cli: object
    config: Path
    archive: Path
    first: object  # the first run (CompletedProcess)
    rerun: object  # the linked accounts again
    submissions: list[dict]
    events: list[dict]
    mails: dict[str, list[str]]  # address -> the bodies of the mock's emails to it

    def ledger(self) -> dict[str, tuple[str, str | None, str | None]]:
        """account -> (status, evidence, note)."""
        path = Path(self.cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
        with sqlite3.connect(path) as connection:
            return {row[0]: row[1:] for row in connection.execute(
                "SELECT account, status, evidence, note FROM accounts")}

    def ledger_path(self) -> Path:
        return Path(self.cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"

    def told(self, done, person: Person) -> str:
        return next(line for line in done.stdout.splitlines() if line.startswith(f"{person.name}: "))

    def receipts(self, person: Person) -> list[dict]:
        return receipts(self.archive, person.name)

    def events_of(self, person: Person, kind: str | None = None) -> list[dict]:
        return [e for e in self.events if e.get("login") == person.login and (kind is None or e["event"] == kind)]


def shared_run(tmp_path_factory, keyring_session, chromium_path) -> Shared:
    from conftest import make_cli
    from mock_support import RunningMock

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        text = with_mock_keys(mock_accounts(PEOPLE), ROB, objection_outcome="refused")
        text = with_mock_keys(text, PAM, page=PAGE_NAME)
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(text)
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        try:
            config = write_tool_accounts(folder / "accounts.toml", PEOPLE, mock.state)
            store_secrets(cli, config, PEOPLE)
            args = ["--config", str(config), "--mirror", mock.url, "--archive", str(folder / "archive")]
            first = cli(*args)
            rerun = cli(*args, "--account", LIA_FB.name, "--account", LIA_IG.name)
            mails = {person.login: [str(m.get_body(preferencelist=("plain",)).get_content()) for m in
                                    mock.mails(person.login)] for person in PEOPLE}
            return {"first": finished(first), "rerun": finished(rerun), "submissions": mock.submissions(),
                    "events": mock.events(), "mails": mails}
        finally:
            mock.stop()

    folder, kept = once(tmp_path_factory, "linked-pages-complaints", build)
    return Shared(make_cli(folder / "home", keyring_session, chromium_path), folder / "accounts.toml",
                  folder / "archive", as_finished(kept["first"]), as_finished(kept["rerun"]), kept["submissions"],
                  kept["events"], kept["mails"])
