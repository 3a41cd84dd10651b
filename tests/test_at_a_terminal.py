"""What the README promises at a terminal, tested at a real pseudo-terminal.

Each run here is the real CLI at a pty (tests/terminal_support.py): a Ctrl-C is typed, so it reaches the CLI's
whole foreground process group, Playwright's driver included, as in a shell; prompts are answered by typing; the
live table is read from what the terminal drew. The situations come from the mock's switches; what is asserted is
what the user sees, what the mock recorded as filed, and what the archive and the ledger hold.
"""

from __future__ import annotations

import datetime as dt

import pytest

from e2e_support import Person, mock_accounts, table_row
from terminal_support import Terminal, processes_with, reason_line, until

pytestmark = pytest.mark.e2e

# What a run must never show the user as a reason: Playwright's own messages about a browser it lost.
PLAYWRIGHT_WORDS = ("Page.", "Target page", "browser has been closed", "net::ERR", "Connection closed", "Error:")


def make_maildir(path):
    for sub in ("new", "cur", "tmp"):
        (path / sub).mkdir(parents=True)
    return path


def at(event: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


@pytest.fixture
def terminals():
    started: list[Terminal] = []

    def start(cli, args: list[str], **size) -> Terminal:
        started.append(Terminal(cli, args, **size))
        return started[-1]

    yield start
    for terminal in started:
        terminal.close()


def test_ctrl_c_before_and_after_send_stops_every_account_and_the_next_run_files_each_once(world, terminals, tmp_path):
    # olga's page asks for a 2FA code and no TOTP secret is stored: the run asks at the terminal (before Send).
    # quinn's form was sent and the run waits for the emailed code in a Maildir where nothing arrives (after Send).
    # paul waits for a free worker and never starts.
    nothing_arrives = tmp_path / "empty-maildir"
    make_maildir(nothing_arrives)
    olga = Person("olga", totp=True, form_variant="2025")
    quinn = Person("quinn", form_variant="2024", maildir=False, extra={"maildir": str(nothing_arrives)})
    paul = Person("paul", form_variant="2025")
    w = world([olga, quinn, paul])
    dropped = w.cli("--config", str(w.config), "credentials", "set", "olga", "--no-totp", input=olga.password + "\n")
    assert dropped.returncode == 0, dropped.stderr

    run = terminals(w.cli, w.args("--concurrency", "2", "--code-wait", "600"))
    asked = run.prompt("olga")
    assert "2FA" in asked
    until(lambda: w.mock.events("code_sent", login=quinn.login), 60, "quinn's form to be sent")
    run.ctrl_c()
    code = run.finish()
    shown = run.text()

    assert code == 130, shown
    # The question stays on the screen, the warning below it, and the terminal has its echo back.
    assert asked in shown and "Ctrl-C again to leave at once" in shown and run.echoes()
    final = run.final_table()
    for person in (olga, quinn, paul):
        assert table_row(final, person.name)[2] == "interrupted"
        assert "interrupted (Ctrl-C)" in reason_line(final, person.name)
    assert not any(word in final for word in PLAYWRIGHT_WORDS), final
    assert "not started" in reason_line(final, "paul") and "before Send" in reason_line(final, "olga")
    assert "after Send" in reason_line(final, "quinn")
    assert w.mock.submissions() == []
    [olga_receipt] = w.receipts("olga")
    [quinn_receipt] = w.receipts("quinn")
    assert olga_receipt["outcome"] == quinn_receipt["outcome"] == "interrupted"
    assert olga_receipt["sent"] is False and quinn_receipt["sent"] is True
    assert not list(w.archive.rglob("*.partial")) and not (w.archive / "paul").exists()
    assert w.ledger() == {"quinn": "submitted"}  # the ledger knows Send was clicked: the next run checks first
    until(lambda: not processes_with(w.cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"]), 30,
          "the browsers and the driver to be gone")

    # The next run for quinn (its Maildir now the one the code arrives in) checks the site first and files once.
    w.config.write_text(w.config.read_text().replace(str(nothing_arrives), str(w.mock.maildir(quinn.login))))
    again = w.run("--account", "quinn")
    assert again.returncode == 0, again.stdout + again.stderr
    assert table_row(again.stdout, "quinn")[2] == "confirmed"
    assert [filed["login"] for filed in w.mock.submissions()] == [quinn.login]


def test_a_second_ctrl_c_leaves_at_once_and_leaves_no_browser_behind(world, terminals):
    # Each page takes seconds to answer: after the first Ctrl-C the account would stop only once the page it is
    # loading has come; the second one leaves at once.
    rosa, sven = Person("rosa", form_variant="2025"), Person("sven", form_variant="2025")
    w = world([rosa, sven], latency_ms=10_000)
    run = terminals(w.cli, w.args())
    until(w.mock.requests, 60, "the first page to be asked for")
    run.ctrl_c()
    run.wait_for("Ctrl-C again to leave at once")
    run.ctrl_c()
    code = run.finish()
    shown = run.text()

    assert code == 130, shown
    final = run.final_table()
    assert table_row(final, "rosa")[2] == table_row(final, "sven")[2] == "interrupted"
    assert "left at once" in reason_line(final, "rosa") and "not started" in reason_line(final, "sven")
    assert not any(word in final for word in PLAYWRIGHT_WORDS), final
    assert w.mock.submissions() == [] and not list(w.archive.rglob("*.partial"))
    until(lambda: not processes_with(w.cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"]), 30,
          "the browser and Playwright's driver to be gone")


def test_force_asks_first_at_a_terminal_no_files_nothing_yes_files_again(world, start_mock, terminals):
    tess = Person("tess", form_variant="2025")
    w = world([tess])
    first = w.run()
    assert first.returncode == 0 and table_row(first.stdout, "tess")[2] == "confirmed", first.stdout + first.stderr
    # The site no longer has it (a mock that never saw tess's objection): what --force files lands there.
    fresh = start_mock(mock_accounts([tess]))
    force = ["--config", str(w.config), "--mirror", fresh.url, "--archive", str(w.archive), "--force"]

    declined = terminals(w.cli, force)
    assert "tess" in declined.wait_for("File again?")
    declined.type("n")
    assert declined.finish() == 0, declined.text()
    assert table_row(declined.final_table(), "tess")[2] == "honoured"  # Meta's answer came on the first run
    assert "not filed again" in reason_line(declined.final_table(), "tess")
    assert fresh.requests() == [] and len(w.receipts("tess")) == 1

    stopped = terminals(w.cli, force)
    stopped.wait_for("File again?")
    stopped.ctrl_c()
    assert stopped.finish() == 130, stopped.text()
    assert "interrupted (Ctrl-C)" in stopped.text() and "Traceback" not in stopped.text()
    assert fresh.requests() == [] and len(w.receipts("tess")) == 1

    accepted = terminals(w.cli, force)
    accepted.wait_for("File again?")
    accepted.type("y")
    assert accepted.finish() == 0, accepted.text()
    assert table_row(accepted.final_table(), "tess")[2] == "confirmed"
    assert [filed["login"] for filed in fresh.submissions()] == [tess.login]
    assert [receipt["outcome"] for receipt in w.receipts("tess")] == ["confirmed", "confirmed"]


def test_the_emailed_code_is_asked_at_the_terminal_and_one_that_never_comes_leaves_the_account_to_its_owner(
        world, terminals, tmp_path):
    xena = Person("xena", form_variant="2024", maildir=False)  # no Maildir, no mailbox: the code is asked for
    yuri = Person("yuri", form_variant="2024", maildir=False, extra={"maildir": str(make_maildir(tmp_path / "box"))})
    w = world([xena, yuri])
    run = terminals(w.cli, w.args("--code-wait", "2"))

    assert xena.login in run.prompt("xena")  # where to look for it
    [code] = until(lambda: w.mock.codes(xena.login), 10, "the mock to mail xena's code")
    run.type(code)
    assert yuri.login in run.prompt("yuri")  # nothing came to its Maildir in time: asked too
    run.type("")
    exit_code = run.finish()
    shown = run.text()

    assert exit_code == 3, shown  # some accounts need their owner, none failed
    final = run.final_table()
    assert table_row(final, "xena")[2] == "confirmed" and table_row(final, "yuri")[2:5] == ["needs", "the", "owner"]
    told = reason_line(final, "yuri")
    assert "--code-wait" in told and "run again" in told and str(tmp_path / "box") in told
    assert [filed["login"] for filed in w.mock.submissions()] == [xena.login]
    assert code not in shown  # typed without echo
    [receipt] = w.receipts("yuri")
    assert receipt["outcome"] == "needs_owner" and receipt["sent"] is True


def test_the_live_table_shows_each_step_in_words_the_pause_between_accounts_and_every_final_row(world, terminals):
    uma, vic, wes = (Person(name, form_variant="2025") for name in ("uma", "vic", "wes"))
    # Pages answer after 0.2 s, as over a network: each step that loads one stays on screen for more than a frame of
    # the table (it is drawn 8 times a second), so that every such step is drawn.
    w = world([uma, vic, wes], latency_ms=200)
    run = terminals(w.cli, w.args("--pause", "8"))
    # After vic, wes waits for its pause; a Ctrl-C then leaves without starting it.
    until(lambda: any(row[0] == "wes" and row[2].startswith("pausing") for row in run.table_rows()), 90,
          lambda: f"wes's pause in the table; it drew:\n{chr(10).join(run.drawn)}")
    run.ctrl_c()
    exit_code = run.finish()
    shown = run.text()

    assert exit_code == 130, shown
    rows = run.table_rows()
    steps = {name: [step for account, state, step in rows if account == name and step] for name in ("uma", "vic")}
    for name, said in steps.items():
        assert len(said) >= 5, rows  # the step column follows the run
        assert any(step.startswith("open https://www.facebook.com") for step in said), said
    for step in steps["uma"] + steps["vic"]:
        # Words, as in the dry run's plan: no pattern, no escape and no dangling lead-in.
        assert not any(token in step for token in ("/^", "\\s", "\\b", "(?", "[^", ".*", "|(")), step
        assert not step.endswith((" of", ":")), step
    assert any("1 of 3 accounts done" in line for line in run.drawn)
    assert any("2 of 3 accounts done" in line for line in run.drawn)
    final = run.final_table()
    assert [table_row(final, name)[2] for name in ("uma", "vic", "wes")] == ["confirmed", "confirmed", "interrupted"]
    assert "not started" in reason_line(final, "wes")
    assert [filed["login"] for filed in w.mock.submissions()] == [uma.login, vic.login]

    # The pause the table announced before vic was kept: no request reached the site for that long.
    [announced] = {step for account, state, step in rows if account == "vic" and step.startswith("pausing")}
    seconds = float(announced.split()[1])
    assert 0.4 * 8 <= seconds <= 8
    uma_sent = at(w.mock.events("submitted", login=uma.login)[0])
    vic_in = at(w.mock.events("login_ok", login=vic.login)[0])
    asked = [at(request) for request in w.mock.requests()]
    quiet = max(later - earlier for earlier, later in zip(asked, asked[1:]) if uma_sent < later <= vic_in)
    assert quiet.total_seconds() >= seconds - 0.06  # the table rounds to a tenth, the mock to a millisecond
