"""`init` writes an accounts file that loads, where the tool looks for it; `accounts add|list|remove` change it and
keep the comments the user wrote by hand."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from click.testing import CliRunner

from automation.config import load_accounts
from automation.credentials import safe_backend
from cli import main

HAND_WRITTEN = """\
# Our family's accounts -- written by hand, keep this line
[defaults]
country = "DE"   # we all live in Germany

[[accounts]]
name = "anna"    # Anna's old Facebook
platform = "facebook"
login = "anna@example.org"
email = "anna@example.org"
"""


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_without_a_terminal_writes_a_commented_example_where_the_tool_looks_and_never_overwrites(cli):
    written = cli("init")
    assert written.returncode == 0, written.stderr
    path = Path(cli.env["XDG_CONFIG_HOME"]) / "submit-objections" / "accounts.toml"
    assert f"wrote an example accounts file {path}" in written.stdout
    assert mode_of(path) == 0o600 and mode_of(path.parent) == 0o700
    text = path.read_text()
    assert "# Passwords and 2FA keys never go in this file" in text and "EXAMPLE" in text
    assert [a.name for a in load_accounts(path).accounts] == ["anna-example"]
    assert cli("--dry-run").returncode == 0  # the default --config finds it: a dry run plans the example account

    again = cli("init")
    assert again.returncode == 2 and "exists already; init leaves it as it is" in again.stderr
    assert path.read_text() == text


def test_init_asks_for_each_account_and_writes_a_file_that_loads(tmp_path):
    path = tmp_path / "conf" / "accounts.toml"
    answers = "\n".join([
        "anna-fb", "facebook", "anna@example.org", "", "zz", "de", "", str(tmp_path / "Mail"),  # email: the login
        "y",
        "ben-ig", "instagram", "ben_example", "ben@example.org", "fr", "fr", "",
        "n",
        "n", "n",  # store the passwords now? later
    ]) + "\n"
    result = CliRunner().invoke(main, ["--config", str(path), "init", "--ask"], input=answers)
    assert result.exit_code == 0, result.output
    assert f"wrote {path} with 2 account(s)" in result.output
    assert "Error: 'zz' is not an ISO 3166 country code" in result.output  # asked again at once, nothing lost
    assert "later: submit-objections credentials set ben-ig" in result.output
    loaded = load_accounts(path).accounts
    assert [(a.name, a.platform, a.email, a.country, a.language) for a in loaded] == [
        ("anna-fb", "facebook", "anna@example.org", "DE", None), ("ben-ig", "instagram", "ben@example.org", "FR", "fr")]
    assert loaded[0].maildir == tmp_path / "Mail" and loaded[1].maildir is None
    assert mode_of(path) == 0o600
    assert "# what you type into the site's login field" in path.read_text()


def test_init_asks_before_replacing_a_file_and_a_no_keeps_it(tmp_path):
    path = tmp_path / "accounts.toml"
    path.write_text(HAND_WRITTEN)
    result = CliRunner().invoke(main, ["--config", str(path), "init", "--ask"], input="n\n")
    assert result.exit_code == 2 and "Replace it?" in result.output
    assert path.read_text() == HAND_WRITTEN


def test_init_stores_each_password_when_asked_to(cli, tmp_path):
    path = tmp_path / "accounts.toml"
    answers = "\n".join(["zoe", "instagram", "zoe_x", "zoe@example.org", "NL", "", "", "n", "y", "Pw-init-9931", ""])
    done = cli("--config", str(path), "init", "--ask", input=answers + "\n")
    assert done.returncode == 0, done.stderr
    assert "zoe: password stored; 2FA secret none" in done.stdout
    assert safe_backend().get_password(cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"], "zoe/password") == "Pw-init-9931"
    assert "Pw-init-9931" not in done.stdout + done.stderr


def test_accounts_add_list_remove_keep_hand_written_comments(cli, tmp_path):
    path = tmp_path / "accounts.toml"
    path.write_text(HAND_WRITTEN)
    added = cli("--config", str(path), "accounts", "add", "ben", "--platform", "instagram", "--login", "ben_x",
                "--email", "ben@example.org")
    assert added.returncode == 0, added.stderr
    assert "next: submit-objections credentials set ben" in added.stdout
    text = path.read_text()
    assert text.startswith(HAND_WRITTEN)  # every hand-written line and comment, as it was
    assert [(a.name, a.country) for a in load_accounts(path).accounts] == [("anna", "DE"), ("ben", "DE")]

    listed = cli("--config", str(path), "accounts", "list", "--json")
    assert [record["name"] for record in json.loads(listed.stdout)] == ["anna", "ben"]
    assert cli("--config", str(path), "accounts", "list").stdout.splitlines()[1] == "ben (instagram): login ben_x, DE"

    removed = cli("--config", str(path), "accounts", "remove", "anna")
    assert removed.returncode == 0, removed.stderr
    assert "# Our family's accounts -- written by hand, keep this line" in path.read_text()
    assert "# we all live in Germany" in path.read_text()
    assert [a.name for a in load_accounts(path).accounts] == ["ben"]


def test_accounts_add_refuses_what_would_not_load_and_leaves_the_file_alone(cli, tmp_path):
    path = tmp_path / "accounts.toml"
    path.write_text(HAND_WRITTEN)
    bad = cli("--config", str(path), "accounts", "add", "cy", "--platform", "facebook", "--login", "cy",
              "--email", "not-an-address")
    assert bad.returncode == 2
    assert f"{path}:" in bad.stderr and "account 'cy': field 'email'" in bad.stderr
    twice = cli("--config", str(path), "accounts", "add", "anna", "--platform", "facebook", "--login", "a",
                "--email", "a@example.org")
    assert twice.returncode == 2 and "an account named 'anna' is there already" in twice.stderr
    unknown = cli("--config", str(path), "accounts", "remove", "zed")
    assert unknown.returncode == 2 and "no account named 'zed'" in unknown.stderr
    assert path.read_text() == HAND_WRITTEN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.toml", "home"]  # no trial file left behind


def test_init_at_a_real_terminal_asks_replaces_only_on_yes_and_asks_the_password_without_echo(cli, tmp_path):
    from terminal_support import Terminal

    path = tmp_path / "accounts.toml"
    path.write_text(HAND_WRITTEN)
    terminal = Terminal(cli, ["--config", str(path), "init"])
    try:
        terminal.wait_for("accounts.toml exists. Replace it? [y/N]:")
        terminal.type("y")
        for question, answer in [("Account name", "olga"), ("Platform", "instagram"), ("Login", "olga_x"),
                                 ("email address", "olga@example.org"), ("Country of residence", "IE"),
                                 ("Language the site shows it in", ""), ("Maildir", ""),
                                 ("Add another account? [y/N]:", "n")]:
            terminal.wait_for(question)
            terminal.type(answer)
        terminal.wait_for("Store olga's password in the keyring now? [Y/n]:")
        terminal.type("")
        terminal.wait_for("Meta password:")
        assert not terminal.echoes()
        terminal.type("Pw-tty-5521")
        terminal.wait_for("2FA secret")
        terminal.type("")
        assert terminal.finish() == 0, terminal.text()
    finally:
        terminal.close()
    assert "olga: password stored; 2FA secret none" in terminal.text()
    assert "Pw-tty-5521" not in terminal.text()
    assert [a.name for a in load_accounts(path).accounts] == ["olga"]
    assert safe_backend().get_password(cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"], "olga/password") == "Pw-tty-5521"
