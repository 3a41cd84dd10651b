"""Meta's codes and answers read from a real IMAP server (Dovecot on loopback)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from automation import imap_client
from automation.imap_client import MailboxError, MailboxSettings
from e2e_support import Person, mock_accounts, receipts, write_tool_accounts
from flows.meta_common import MAIL_SENDERS

# Reading as the Meta flows do: only mail from Meta's sender domains counts.
wait_for_code = functools.partial(imap_client.wait_for_code, senders=MAIL_SENDERS)
fetch_from_site = functools.partial(imap_client.fetch_from_site, senders=MAIL_SENDERS)

META = "Facebook <security@facebookmail.com>"


def settings(server, user="anna@example.org") -> MailboxSettings:
    return MailboxSettings(host="127.0.0.1", port=server.port, tls="plain", user=user)


def mail(code: str | None, at: dt.datetime, to="anna@example.org", sender=META, html=False, subject=None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Date"] = sender, to, format_datetime(at)
    message["Subject"] = subject or "Your code to confirm your request"
    body = f"Your confirmation code is {code}. It expires in 1 hour." if code else "We'll honour your objection."
    message.set_content(f"<p>{body}</p>" if html else body, subtype="html" if html else "plain")
    return message.as_bytes()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_a_late_code_is_seen_as_soon_as_it_arrives(dovecot, monkeypatch):
    """IDLE wakes on the new mail: with one IDLE wait as long as the deadline, a code seen long before the deadline
    can only have been pushed by the server, and nothing polled (no pause)."""
    import automation.imap_client

    monkeypatch.setattr(automation.imap_client, "IDLE_SLICE", 90.0)
    since = now()
    threading.Timer(1.0, dovecot.deliver, ("anna@example.org", mail("314159", now(), to="anna.late@example.org"))).start()
    paused: list[float] = []
    started = time.monotonic()
    found = wait_for_code(settings(dovecot), "box-pw-anna", "anna.late@example.org", since, timeout=90,
                          pause=paused.append)
    assert found == "314159" and paused == []
    assert time.monotonic() - started < 45  # half the deadline: generous on a loaded machine, yet only IDLE does it


def test_only_the_newest_code_from_meta_to_this_address_after_send_is_used(dovecot):
    since = now()
    dovecot.deliver("anna@example.org", mail("111111", since - dt.timedelta(minutes=10)))  # an older attempt's
    dovecot.deliver("anna@example.org", mail("222222", since + dt.timedelta(seconds=2)))
    dovecot.deliver("anna@example.org", mail("333333", since + dt.timedelta(seconds=4)))
    dovecot.deliver("anna@example.org", mail("444444", since + dt.timedelta(seconds=9), sender="x@phish.example"))
    dovecot.deliver("anna@example.org", mail("555555", since + dt.timedelta(seconds=9), to="zoe@example.org"))
    assert wait_for_code(settings(dovecot), "box-pw-anna", "anna@example.org", since, timeout=5) == "333333"


def test_two_accounts_sharing_one_mailbox_each_get_their_own_code(dovecot):
    since = now()
    dovecot.deliver("family@example.org", mail("777001", since, to="anna.f@example.org"))
    dovecot.deliver("family@example.org", mail("777002", since, to="bob.f@example.org", html=True))
    box = settings(dovecot, "family@example.org")
    assert wait_for_code(box, "box-pw-family", "anna.f@example.org", since, timeout=5) == "777001"
    assert wait_for_code(box, "box-pw-family", "bob.f@example.org", since, timeout=5) == "777002"  # HTML only


def test_a_wrong_mailbox_password_names_the_mailbox_and_never_the_password(dovecot):
    with pytest.raises(MailboxError) as error:
        wait_for_code(settings(dovecot), "not-the-box-pw", "anna@example.org", now(), timeout=5, account_hint="anna")
    text = str(error.value)
    assert f"anna@example.org@127.0.0.1:{dovecot.port}" in text and "refused the login" in text
    assert "credentials set anna" in text and "not-the-box-pw" not in text


def test_an_untrusted_certificate_is_named_as_such(tmp_path):
    """A server whose certificate is self-signed: the handshake fails, and the user is told why."""
    import socket
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_once():
        connection, _ = listener.accept()
        try:
            with context.wrap_socket(connection, server_side=True) as secured:
                secured.sendall(b"* OK IMAP4rev1 ready\r\n")
        except (ssl.SSLError, OSError):
            pass  # the client refused our certificate, as it must
        listener.close()

    threading.Thread(target=serve_once, daemon=True).start()
    with pytest.raises(MailboxError) as error:
        wait_for_code(MailboxSettings(host="127.0.0.1", port=port, user="a@example.org"), "secret-pw", "a@example.org",
                      now(), timeout=5)
    assert "certificate is not trusted" in str(error.value) and "secret-pw" not in str(error.value)


def test_only_real_loopback_addresses_count_as_loopback():
    from automation.config import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("127.8.9.10") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("127.example.org") and not is_loopback("10.0.0.1") and not is_loopback("imap.example.org")


def test_plain_imap_is_refused_for_a_remote_host():
    with pytest.raises(MailboxError, match="unencrypted"):
        wait_for_code(MailboxSettings(host="imap.example.org", user="a", tls="plain"), "pw", "a@example.org", now(), 1)


def test_the_server_going_down_mid_wait_and_coming_back(dovecot, caplog):
    since = now()
    found: list[str | None] = []
    waiter = threading.Thread(target=lambda: found.append(
        wait_for_code(settings(dovecot), "box-pw-anna", "anna.down@example.org", since, timeout=40)))
    waiter.start()
    time.sleep(1.5)
    dovecot.stop()
    dovecot.deliver("anna@example.org", mail("271828", now(), to="anna.down@example.org"))
    time.sleep(2)
    dovecot.start()
    waiter.join(45)
    assert found == ["271828"]
    assert "lost the connection" in caplog.text  # the code came through a new connection, not the old one


def test_meta_answer_is_fetched_with_its_raw_bytes(dovecot):
    since = now()
    raw = mail(None, since + dt.timedelta(seconds=1), subject="We've received your objection", to="anna.answer@example.org")
    dovecot.deliver("anna@example.org", raw)
    answers = fetch_from_site(settings(dovecot), "box-pw-anna", "anna.answer@example.org", since)
    assert any(message["Subject"] == "We've received your objection" for message, _ in answers)
    assert any(body.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n") for _, body in answers)


# -- TLS: implicit (imaps) and STARTTLS against Dovecot with a certificate made here, verified, never skipped ---------

TLS_USER, TLS_PASSWORD = "tls@example.org", "box-pw-tls-5b2c"


@pytest.fixture(scope="module")
def tls_servers(tmp_path_factory):
    """Two Dovecots with certificates from throwaway CAs: one valid for 127.0.0.1 and localhost, one for another
    host name only; and a bundle of both CAs, the only certificates a client pointed at it trusts."""
    from fixtures.dovecot import Dovecot, make_test_certificates, missing_tools

    if missing_tools():
        pytest.fail("missing " + ", ".join(missing_tools()) + ": run `make test`, which installs it")
    folder = tmp_path_factory.mktemp("tls")
    right = make_test_certificates(folder, names=("localhost",), addresses=("127.0.0.1",), prefix="right-")
    wrong = make_test_certificates(folder, names=("imap.elsewhere.example",), addresses=(), prefix="wrong-")
    bundle = folder / "trusted.pem"
    bundle.write_bytes(right.ca.read_bytes() + wrong.ca.read_bytes())
    servers = [Dovecot({TLS_USER: TLS_PASSWORD}, tls=files) for files in (right, wrong)]
    for server in servers:
        server.start()
    yield {"right": servers[0], "wrong": servers[1], "bundle": bundle}
    for server in servers:
        server.close()


@pytest.fixture
def trusting_test_cas(tls_servers, monkeypatch):
    """The client builds its context with ssl.create_default_context(), whose CA file OpenSSL takes from
    SSL_CERT_FILE when set: so it trusts the test CAs the way it trusts the system's."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_servers["bundle"]))
    monkeypatch.setenv("SSL_CERT_DIR", str(tls_servers["bundle"].parent / "no-system-cas"))
    return tls_servers


def tls_settings(server, tls: str, host="127.0.0.1") -> MailboxSettings:
    return MailboxSettings(host=host, port=server.imaps_port if tls == "implicit" else server.port, tls=tls,
                           user=TLS_USER)


def logged_in_over_tls(server, before: int) -> list[str]:
    """The login lines after the first `before`, waited for briefly (Dovecot's log process writes them)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = server.logins(TLS_USER)[before:]
        if lines:
            return lines
        time.sleep(0.05)
    return []


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_code_is_read_over_tls_with_the_servers_certificate_verified(trusting_test_cas, tls):
    server = trusting_test_cas["right"]
    since = now()
    address = f"anna.{tls}@example.org"
    server.deliver(TLS_USER, mail("161803", since - dt.timedelta(minutes=5), to=address))  # an earlier attempt's
    server.deliver(TLS_USER, mail("662607", since + dt.timedelta(seconds=1), to=address))
    before = len(server.logins(TLS_USER))
    assert wait_for_code(tls_settings(server, tls), TLS_PASSWORD, address, since, timeout=5) == "662607"
    [line] = logged_in_over_tls(server, before)
    assert ", TLS" in line, line  # Dovecot marks a login over TLS so; a plain one on loopback says "secured"
    answers = fetch_from_site(tls_settings(server, tls), TLS_PASSWORD, address, since)
    assert format_datetime(since + dt.timedelta(seconds=1)) in [message["Date"] for message, _ in answers]


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_certificate_for_another_host_name_is_refused(trusting_test_cas, tls):
    server = trusting_test_cas["wrong"]
    before = len(server.logins(TLS_USER))
    with pytest.raises(MailboxError) as error:
        wait_for_code(tls_settings(server, tls), TLS_PASSWORD, TLS_USER, now(), timeout=5)
    assert "certificate is not trusted" in str(error.value) and TLS_PASSWORD not in str(error.value)
    assert server.logins(TLS_USER)[before:] == []  # the password was never sent

    # The refusal is for the name alone: the same certificate, asked for by its own name, is accepted.
    import socket
    import ssl

    context = ssl.create_default_context()
    with socket.create_connection(("127.0.0.1", server.imaps_port), timeout=5) as connection:
        with pytest.raises(ssl.SSLCertVerificationError) as mismatch:
            context.wrap_socket(connection, server_hostname="127.0.0.1")
    assert mismatch.value.verify_code in (62, 64), mismatch.value.verify_message  # host name / IP address mismatch
    with socket.create_connection(("127.0.0.1", server.imaps_port), timeout=5) as connection:
        with context.wrap_socket(connection, server_hostname="imap.elsewhere.example") as secured:
            assert secured.recv(4) == b"* OK"


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_certificate_from_an_unknown_ca_is_refused_over_either_mode(tls_servers, monkeypatch, tmp_path, tls):
    """Without the test CA trusted (only an empty CA file), the very server the client read from above is refused."""
    (tmp_path / "empty.pem").write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "empty.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    server = tls_servers["right"]
    before = len(server.logins(TLS_USER))
    with pytest.raises(MailboxError, match="certificate is not trusted"):
        wait_for_code(tls_settings(server, tls), TLS_PASSWORD, TLS_USER, now(), timeout=5)
    assert server.logins(TLS_USER)[before:] == []


def test_starttls_to_a_server_without_it_fails_rather_than_logging_in_unencrypted(dovecot):
    """The loopback test server offers no STARTTLS: the client stops; it does not go on in plain text."""
    with pytest.raises(MailboxError, match="cannot connect"):
        wait_for_code(MailboxSettings(host="127.0.0.1", port=dovecot.port, tls="starttls", user="anna@example.org"),
                      "box-pw-anna", "anna@example.org", now(), timeout=5)


@pytest.mark.slow
@pytest.mark.e2e
def test_a_run_takes_its_code_over_imap_and_a_later_answer_is_picked_up_by_check_mail(cli, start_mock, tmp_path,
                                                                                      dovecot):
    rosa = Person("rosa", totp=True, form_variant="2024", maildir=False)
    dovecot.add_user(rosa.login, "box-pw-rosa-7d1e")
    held: list[tuple[str, bytes]] = []

    def deliver(address: str, raw: bytes) -> None:  # Meta's answer comes later than its code
        (held.append((address, raw)) if b"received your objection" in raw else dovecot.deliver(address, raw))

    mock = start_mock(mock_accounts([rosa]), deliver=deliver)
    config = write_tool_accounts(tmp_path / "accounts.toml", [rosa], mock.state)
    with open(config, "a") as extra:
        extra.write(f'[accounts.mailbox]\nhost = "127.0.0.1"\nport = {dovecot.port}\ntls = "plain"\n'
                    f'user = "{rosa.login}"\n')
    stored = cli("--config", str(config), "credentials", "set", "rosa",
                 input=f"{rosa.password}\nJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\nbox-pw-rosa-7d1e\n")
    assert stored.stdout.strip() == "rosa: password stored; 2FA secret stored; mailbox password stored"
    archive = tmp_path / "archive"

    done = cli("--config", str(config), "--mirror", mock.url, "--archive", str(archive), "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "IMAP" in done.stderr or "IDLE" in done.stderr
    assert len(mock.submissions()) == 1 and held
    status = cli("--config", str(config), "status")
    assert "confirmed" in status.stdout

    for address, raw in held:
        dovecot.deliver(address, raw)
    checked = cli("--config", str(config), "--archive", str(archive), "status", "--check-mail")
    assert checked.returncode == 0, checked.stderr
    assert "rosa: Meta's email found, now honoured" in checked.stderr and "honoured" in checked.stdout
    [receipt] = receipts(archive, "rosa")
    folder = archive / "rosa" / next((archive / "rosa").iterdir()).name
    assert list(folder.glob("*.eml")) and receipt["outcome"] == "confirmed"
    assert cli("--archive", str(archive), "archive", "verify").returncode == 0
    for output in (done, status, checked, stored):
        assert "box-pw-rosa-7d1e" not in output.stdout + output.stderr
    assert not any("box-pw-rosa-7d1e" in path.read_text(errors="ignore") for path in archive.rglob("*")
                   if path.is_file() and path.suffix in (".json", ".html", ".eml"))
    json.loads((folder / "manifest-02.json").read_text())
