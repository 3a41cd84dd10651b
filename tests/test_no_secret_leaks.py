"""No password, 2FA secret or code, emailed code, mailbox password or session cookie leaves its place.

Unique secrets go through the full CLI (success with 2FA and an emailed code, a wrong password, a checkpoint, -vv,
a rehearsal, a dry run, tracing on); then every file the runs created, their output, and the command line and
environment of every process they started are searched for them.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import mailbox
import re
import urllib.parse
import secrets
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pyotp
import pytest

from conftest import CLI, ROOT
from fixtures.processes import descendants
from e2e_support import Person, mock_accounts, write_tool_accounts

pytestmark = pytest.mark.e2e


def unique_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def run_watching_processes(command: list[str], env: dict[str, str], seen: list[bytes], input: str | None = None):
    """Runs the CLI and keeps the command lines and environments of it and everything it starts."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, cwd=ROOT)
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in [process.pid, *descendants(process.pid)]:
                for name in ("cmdline", "environ"):
                    try:
                        seen.append(Path(f"/proc/{pid}/{name}").read_bytes())
                    except OSError:
                        pass
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, stderr = process.communicate(input.encode() if input else None, timeout=300)
    done.set()
    watcher.join()
    return process.returncode, stdout.decode(), stderr.decode()


def texts_in(folder: Path, skip: Path | None = None) -> dict[str, bytes]:
    """Every file's bytes, and every member of every zip (the traces) unpacked."""
    found = {}
    for path in folder.rglob("*"):
        if not path.is_file() or (skip and skip in path.parents):
            continue
        data = path.read_bytes()
        found[str(path)] = data
        if path.suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in archive.namelist():
                    found[f"{path}!{name}"] = archive.read(name)
    return found


@pytest.mark.slow
def test_secrets_never_appear_in_output_files_traces_or_process_arguments(cli, start_mock, tmp_path, dovecot):
    token = secrets.token_hex(6)
    ok = Person(f"leak-ok-{token[:4]}", totp=True, form_variant="2024", maildir=False)  # its code comes over IMAP
    wrong = Person(f"leak-bad-{token[:4]}")  # the keyring gets another password than the mock's: see below
    stopped = Person(f"leak-cp-{token[:4]}", checkpoint="identity")
    # A form with a required field the tool does not know: it stops there and writes a page snapshot to share.
    drifted = Person(f"leak-dr-{token[:4]}", totp=True, drift="extra_required")
    people = [wrong, stopped, drifted, ok]  # ok last: the mailbox table below belongs to the last account
    totp_secret = unique_totp_secret()
    mailbox_password = f"Box+Pw/{token}&m"
    dovecot.add_user(ok.login, mailbox_password)

    # Characters an encoder changes (+ / & % and a letter outside ASCII), so that a URL-encoded, base64 or
    # JSON-escaped copy of a secret is a different string to look for.
    secret_of = lambda name: f"Pw+{name}/{token}&ü%"  # noqa: E731
    mock_toml = mock_accounts(people).replace("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totp_secret)
    for person in people:
        mock_toml = mock_toml.replace(person.password, secret_of(person.name))
    mock = start_mock(mock_toml, deliver=dovecot.deliver)
    config = write_tool_accounts(tmp_path / "accounts.toml", people, mock.state)
    with open(config, "a") as accounts:
        accounts.write(f'[accounts.mailbox]\nhost = "127.0.0.1"\nport = {dovecot.port}\ntls = "plain"\n'
                       f'user = "{ok.login}"\n')
    passwords = {person.name: secret_of(person.name) for person in people} | {wrong.name: f"Wrong+Pw/{token}&é%x"}

    trace = tmp_path / "trace"
    archive = tmp_path / "archive"
    env = {**cli.env, "SUBMIT_OBJECTIONS_TRACE": str(trace)}
    base = [*CLI, "--config", str(config), "--mirror", mock.url, "--archive", str(archive)]
    seen_processes: list[bytes] = []
    outputs: list[str] = []
    started = dt.datetime.now(dt.timezone.utc)
    for person in people:
        lines = passwords[person.name] + "\n" + (totp_secret if person.totp else "") + "\n"
        lines += mailbox_password + "\n" if person is ok else ""
        code, out, err = run_watching_processes([*CLI, "--config", str(config), "credentials", "set", person.name],
                                                env, seen_processes, input=lines)
        assert code == 0, err
        outputs += [out, err]
    runs = [
        [*base, "--dry-run"],
        [*base, "-vv", "--rehearse", "--account", ok.name],
        [*base, "-vv", "--fresh-login"],
        # Again with the saved sessions of the two that signed in (--force: the ledger would skip ok).
        [*base, "-vv", "--force", "--account", ok.name, "--account", drifted.name],
        [*CLI, "--config", str(config), "-vv", "credentials", "check"],
    ]
    for command in runs:
        code, out, err = run_watching_processes(command, env, seen_processes)
        outputs += [out, err]
    said_about_ok = "\n".join(line for output in outputs for line in output.splitlines()
                               if ok.name in line and "done]" not in line)
    assert [s["login"] for s in mock.submissions()] == [ok.login], (
        f"the run under test did not do its job; what the runs said about {ok.name}:\n{said_about_ok[-4000:]}")
    from e2e_support import receipts

    assert receipts(archive, ok.name)[-1]["logged_in_with"] == "saved session", "the last run did not reuse a session"
    assert list(trace.rglob("*.zip")), "tracing was asked for and recorded nothing"
    assert list((archive / drifted.name).rglob("page-snapshot.json")), "the changed form left no page snapshot"

    # What must not leak: passwords, the 2FA secret and every code it made meanwhile, the emailed codes, cookies.
    forbidden = set(passwords.values()) | {totp_secret, mailbox_password}
    moment = started
    while moment <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=60):
        forbidden.add(pyotp.TOTP(totp_secret).at(moment))
        moment += dt.timedelta(seconds=30)
    for message in mailbox.Maildir(mock.maildir(ok.login), create=False):
        forbidden |= set(re.findall(r"code is (\d{6})", message.get_payload(decode=True).decode()
                                    if not message.is_multipart() else message.get_payload(0).get_payload(decode=True).decode()))
    state = Path(cli.env["XDG_STATE_HOME"]) / "submit-objections"
    session_files = list((state / "sessions").glob("*.json"))
    assert session_files, "no session was saved, so cookies were not put to the test"
    for session in session_files:
        cookies = json.loads(session.read_text())["cookies"]
        forbidden |= {cookie["value"] for cookie in cookies if cookie["httpOnly"]}  # a consent choice is no secret
    assert len([value for value in forbidden if len(value) == 6]) >= 2  # at least one TOTP and one emailed code

    places = {f"output #{n}": text.encode() for n, text in enumerate(outputs)}
    places |= texts_in(archive) | texts_in(trace) | texts_in(Path(cli.env["XDG_CONFIG_HOME"]))
    places |= texts_in(Path(cli.env["XDG_DATA_HOME"]))  # the ledger
    places |= texts_in(state, skip=state / "sessions")  # the session store itself is where cookies belong
    places |= {f"process #{n}": data for n, data in enumerate(seen_processes)}
    assert len(places) > 20
    leaks = []
    for where, data in places.items():
        if where.endswith(".png"):
            continue  # pictures: the masking is tested on its own
        for value in forbidden:
            # The value as it is, and as an encoder would have written it: URL-encoded, base64, JSON-escaped.
            forms = {value, urllib.parse.quote(value, safe=""), base64.b64encode(value.encode()).decode(),
                     json.dumps(value)[1:-1]}
            for form in forms:
                pattern = rb"(?<!\d)" + re.escape(form.encode()) + rb"(?!\d)" if form.isdigit() else re.escape(form.encode())
                if re.search(pattern, data):
                    leaks.append(f"{value[:3]}... in {where}")
    assert leaks == []
