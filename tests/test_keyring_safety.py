"""The tool never keeps secrets in a plaintext or failing keyring unless the user opts in by name."""

from __future__ import annotations

from pathlib import Path

import pytest

ACCOUNTS = """\
[[accounts]]
name = "wil"
platform = "facebook"
login = "wil@example.org"
email = "wil@example.org"
country = "NL"
"""


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNTS)
    return path


def plaintext_files(cli) -> list[Path]:
    return [path for path in Path(cli.home).rglob("*") if path.is_file() and "keyring" in path.name]


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "keyrings.alt.file.PlaintextKeyring"])
def test_an_unsafe_backend_is_refused_with_what_to_do(cli, config, backend):
    cli.env["PYTHON_KEYRING_BACKEND"] = backend
    cli.env["XDG_DATA_HOME"] = str(cli.home / ".local" / "share")

    stored = cli("--config", str(config), "credentials", "set", "wil", input="Secret-pw-4471\n")
    assert stored.returncode == 2
    assert "no safe keyring is available" in stored.stderr and "gnome-keyring" in stored.stderr
    assert "SUBMIT_OBJECTIONS_INSECURE_KEYRING=1" in stored.stderr
    assert plaintext_files(cli) == []
    run = cli("--config", str(config), "--mirror", "http://127.0.0.1:9", "--archive", str(cli.home / "archive"))
    assert run.returncode == 2 and "no safe keyring is available" in run.stderr


def test_without_a_secret_service_keyring_does_not_fall_back_to_a_plaintext_file(cli, config):
    """keyring alone would pick keyrings.alt's plaintext file here, silently."""
    cli.env.pop("DBUS_SESSION_BUS_ADDRESS")
    cli.env["XDG_DATA_HOME"] = str(cli.home / ".local" / "share")
    stored = cli("--config", str(config), "credentials", "set", "wil", input="Secret-pw-4471\n")
    assert stored.returncode == 2 and "no safe keyring is available" in stored.stderr
    assert plaintext_files(cli) == []


def test_the_insecure_backend_works_only_when_asked_for_by_name(cli, config):
    cli.env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    cli.env["XDG_DATA_HOME"] = str(cli.home / ".local" / "share")
    cli.env["SUBMIT_OBJECTIONS_INSECURE_KEYRING"] = "1"
    stored = cli("--config", str(config), "credentials", "set", "wil", input="Secret-pw-4471\n")
    assert stored.returncode == 0, stored.stderr
    assert "insecure keyring PlaintextKeyring" in stored.stderr
    assert plaintext_files(cli), "the plaintext keyring file this test looks for elsewhere was not where expected"
    assert cli("--config", str(config), "credentials", "check").stdout.startswith("wil: password stored")
