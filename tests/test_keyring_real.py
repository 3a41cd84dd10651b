"""Secrets go to the real Secret Service keyring, and the CLI says what is stored without ever printing it."""

from __future__ import annotations

from automation.credentials import Keyring, safe_backend
from e2e_support import ANNA_ACCOUNT

ACCOUNTS = ANNA_ACCOUNT


def test_the_backend_in_use_is_the_secret_service(keyring_session):
    assert type(safe_backend()).__module__ == "keyring.backends.SecretService"


def test_credentials_set_check_list_delete_through_the_cli(cli, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    service = cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"]

    stored = cli("--config", str(config), "credentials", "set", "anna",
                 input="Pw-7f3a9-unique\nJBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP\n")
    assert stored.returncode == 0, stored.stderr
    assert stored.stdout.strip() == "anna: password stored; 2FA secret stored"
    backend = safe_backend()
    assert backend.get_password(service, "anna/password") == "Pw-7f3a9-unique"
    assert backend.get_password(service, "anna/totp") == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

    checked = cli("--config", str(config), "credentials", "check")
    assert checked.returncode == 0 and checked.stdout.strip() == "anna: password stored; 2FA secret stored, valid base32"
    listed = cli("--config", str(config), "credentials", "list")
    assert listed.stdout.strip() == "anna (facebook): login password, 2FA (TOTP) secret"
    for output in (stored, checked, listed):
        assert "Pw-7f3a9-unique" not in output.stdout + output.stderr and "JBSW" not in output.stdout + output.stderr

    deleted = cli("--config", str(config), "credentials", "delete", "anna")
    assert deleted.stdout.strip() == "anna: removed login password, 2FA (TOTP) secret"
    assert backend.get_password(service, "anna/password") is None
    missing = cli("--config", str(config), "credentials", "check")
    assert missing.returncode == 2 and "anna: password MISSING" in missing.stdout


def test_a_bad_totp_secret_and_an_unknown_account_are_refused(cli, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    bad = cli("--config", str(config), "credentials", "set", "anna", input="pw\nnot base32 at all!\n")
    assert bad.returncode == 2 and "not a valid base32 TOTP key" in bad.stderr
    assert safe_backend().get_password(cli.env["SUBMIT_OBJECTIONS_KEYRING_SERVICE"], "anna/password") is None
    unknown = cli("--config", str(config), "credentials", "set", "bob", input="pw\n")
    assert unknown.returncode == 2 and "no account named 'bob'" in unknown.stderr


def test_exists_tells_a_stored_secret_from_a_missing_one(keyring_session):
    store = Keyring.open()
    store.set("zoe", "password", "x-unique-1")
    assert store.exists("zoe", "password") and not store.exists("zoe", "totp")


def test_a_run_reads_each_secret_as_it_is_stored_now(keyring_session):
    """A run keeps its keyring connection open across accounts: a secret changed meanwhile (say with `credentials set`
    in another terminal) is still read as it is now, and one never stored is missing, not another's."""
    run, elsewhere = Keyring.open(), Keyring.open()
    elsewhere.set("yan", "password", "first-unique-2")
    assert run.get("yan", "password") == "first-unique-2"
    elsewhere.set("yan", "password", "second-unique-2")
    assert run.get("yan", "password") == "second-unique-2"
    assert run.get("yan", "totp") is None and run.get("nobody-stored", "password") is None
