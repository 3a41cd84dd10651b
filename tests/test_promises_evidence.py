"""README's promises about the evidence, each with a test that fails when the promise breaks (issue 11).

- The tool's own screenshots paint over a field a secret was typed into, whatever kind of field it is.
- `archive export`: exactly the sealed files and their manifests (and index.html), each as sealed; nothing else.
- `archive show`: what a receipt holds, Meta's answer, and each file's seal.
- `archive verify`: an unsealed folder (a killed run's captures) is a problem of its own (exit code 6), and the next
  run of that account seals what the killed run captured, as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from automation.errors import ExitCode
from automation.steps import Screenshot, TypeSecret, label
from promises_support import as_finished, finished, once
from e2e_support import TOTP_SECRET, Person, mock_accounts, receipts, store_secrets, write_tool_accounts
from test_runner_steps import FakeSecrets, make_runner

# -- screenshots: a typed secret is masked, in the tool's own evidence ----------------------------------------------

SECRET_IN_A_TEXT_FIELD = """<html lang="en"><body style="font:16px sans-serif">
    <h1>Log in</h1>
    <label for="p">Password</label><input id="p" type="text" autocomplete="off" style="width:20em">
    <label for="n">Note</label><input id="n" type="text" style="width:20em">
    </body></html>"""


def test_the_tools_screenshots_paint_over_a_secret_typed_into_a_field_that_is_not_type_password(page, tmp_path):
    """Meta's login fields need not be type=password (Instagram's `unnamed` login posts plain inputs): the field a
    secret went into must not show in any evidence screenshot, whatever its value."""
    page.set_content(SECRET_IN_A_TEXT_FIELD)
    runner = make_runner(page, tmp_path, secrets_=FakeSecrets(password="hunter2-Visible-Secret"))
    runner.execute([TypeSecret(target=label("password"), secret="password"), Screenshot(name="typed")])
    page.get_by_label("Password").fill("WWWWWWWWWWWWWWWWWWWWWWWW")  # another value, as wide as it gets
    runner.execute([Screenshot(name="changed")])
    first, second = (runner.job.evidence.path / name for name in ("01-typed.png", "02-changed.png"))
    assert first.read_bytes() == second.read_bytes(), "the secret's field shows in the tool's screenshots"

    # The control: the same change is visible in a screenshot without the mask, so the test above would see it.
    page.get_by_label("Password").fill("hunter2-Visible-Secret")
    unmasked_before = page.screenshot(full_page=True, animations="disabled")
    page.get_by_label("Password").fill("WWWWWWWWWWWWWWWWWWWWWWWW")
    assert page.screenshot(full_page=True, animations="disabled") != unmasked_before

    # And a field no secret went into is not masked: the evidence shows what was filled there.
    page.get_by_label("Note").fill("a note anyone may read")
    runner.execute([Screenshot(name="noted")])
    assert (runner.job.evidence.path / "03-noted.png").read_bytes() != second.read_bytes()


# -- one archive of real runs, for export, show and verify ------------------------------------------------------------

# ada: the 2024 form, a TOTP and Meta's emails (code and answer) in her Maildir; ben: the 2025 form, no mailbox.
PEOPLE = [Person("ada", totp=True, form_variant="2024"), Person("ben", form_variant="2025", maildir=False)]
KILLED_AT = "2026-11-30T101500Z"  # ben's folder from a run killed after the filled form's screenshot
KILLED_PNG = b"\x89PNG\r\n\x1a\n" + b"as the killed run captured it" * 8


def leave_a_killed_runs_folder(archive: Path, account: str) -> Path:
    """What a run killed after its first screenshot leaves: the screenshot, a receipt write cut short, no manifest."""
    folder = archive / account / KILLED_AT
    folder.mkdir(parents=True, mode=0o700)
    (folder / "01-filled-form.png").write_bytes(KILLED_PNG)
    (folder / ".receipt.json.partial").write_text('{"outcome": ')
    return folder


class Archive:
    def __init__(self, cli, path: Path, state: Path, before_run, after_run):
        self.cli = cli
        self.path = path
        self.state = state  # the tool's state directory: saved sessions live there
        self.before_run = before_run  # `archive verify` with only the killed run's folder in the archive
        self.after_run = after_run

    def __call__(self, *args: str):
        return self.cli("--archive", str(self.path), "archive", *args)

    def folder(self, account: str) -> Path:
        return next(f for f in sorted((self.path / account).iterdir()) if f.name != KILLED_AT)


@pytest.fixture(scope="module")
def filed_once(tmp_path_factory, keyring_session, chromium_path):
    """One run of both accounts, after a killed run left ben an unsealed folder; filed once for the session."""
    from conftest import make_cli
    from mock_support import RunningMock

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(mock_accounts(PEOPLE))
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        archive = folder / "archive"
        try:
            config = write_tool_accounts(folder / "accounts.toml", PEOPLE, mock.state)
            store_secrets(cli, config, PEOPLE)
            leave_a_killed_runs_folder(archive, "ben")
            before = cli("--archive", str(archive), "archive", "verify")
            done = cli("--config", str(config), "--mirror", mock.url, "--archive", str(archive), "--concurrency", "2")
            assert done.returncode == 0, done.stdout + done.stderr
        finally:
            mock.stop()
        return {"before": finished(before), "done": finished(done)}

    folder, kept = once(tmp_path_factory, "promises-evidence", build)
    cli = make_cli(folder / "home", keyring_session, chromium_path)
    return (cli, folder / "archive", Path(cli.env["XDG_STATE_HOME"]), as_finished(kept["before"]),
            as_finished(kept["done"]))


@pytest.fixture
def archive(filed_once, tmp_path) -> Archive:
    """A copy of the module's archive, for a test to change."""
    cli, original, state, before, after = filed_once
    shutil.copytree(original, tmp_path / "archive")
    return Archive(cli, tmp_path / "archive", state, before, after)


def sealed_by_manifests(folder: Path) -> dict[str, str]:
    found = {}
    for manifest in sorted(folder.glob("manifest*.json")):
        found.update({entry["name"]: entry["sha256"] for entry in json.loads(manifest.read_text())["files"]})
    return found


@pytest.mark.e2e
def test_the_next_run_seals_what_a_killed_run_captured_as_it_was(archive):
    assert archive.before_run.returncode == ExitCode.UNSEALED, archive.before_run.stdout + archive.before_run.stderr
    assert f"UNSEALED ben/{KILLED_AT}: no manifest" in archive.before_run.stdout
    assert "`submit-objections --account ben` seals it" in archive.before_run.stdout

    killed = archive.path / "ben" / KILLED_AT
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["note"].startswith("unfinished: the run stopped before it finished")
    assert [entry["name"] for entry in manifest["files"]] == ["01-filled-form.png"]  # the cut-short write is no evidence
    assert (killed / "01-filled-form.png").read_bytes() == KILLED_PNG  # as captured
    assert manifest["files"][0]["sha256"] == hashlib.sha256(KILLED_PNG).hexdigest()
    assert not list(killed.glob(".*"))
    done = archive("verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 sealed submission(s) verified" in done.stdout and "UNSEALED" not in done.stdout


@pytest.mark.e2e
def test_verify_reports_an_unsealed_folder_with_its_own_exit_code_and_a_mismatch_first(archive):
    leave_a_killed_runs_folder(archive.path, "ada")
    done = archive("verify")
    assert done.returncode == ExitCode.UNSEALED == 6
    assert done.stdout.splitlines() == [
        f"UNSEALED ada/{KILLED_AT}: no manifest, so not evidence yet: a run stopped before it sealed what it "
        "captured; the next `submit-objections --account ada` seals it as it is",
        "3 sealed submission(s) verified: every file and the chain are intact."]
    one = archive("verify", f"ada/{KILLED_AT}")
    assert one.returncode == 6 and "0 sealed submission(s) verified" in one.stdout
    other = archive("verify", f"ben/{archive.folder('ben').name}")
    assert other.returncode == 0 and "UNSEALED" not in other.stdout, "an unsealed folder elsewhere is not this one's"

    (archive.folder("ben") / "receipt.json").write_text("{}")
    both = archive("verify")
    assert both.returncode == 7, "a changed file outweighs an unsealed folder"
    assert "UNSEALED ada/" in both.stdout and "MISMATCH ben/" in both.stdout


@pytest.mark.e2e
def test_export_holds_exactly_the_sealed_files_each_as_sealed_and_no_session_or_secret(archive, tmp_path):
    ids = [f"{name}/{archive.folder(name).name}" for name in ("ada", "ben")]
    stray = archive.folder("ada") / "notes.txt"  # added after sealing: no evidence, so not exported
    stray.write_text("added later")
    bundle = tmp_path / "complaint.zip"
    done = archive("export", *ids, "--to", str(bundle))
    assert done.returncode == 0, done.stderr

    with zipfile.ZipFile(bundle) as zipped:
        members = {info.filename: zipped.read(info) for info in zipped.infolist()}
    expected = {"index.html"}
    for submission in ids:
        folder = archive.path / submission
        sealed = sealed_by_manifests(folder)
        assert {"01-filled-form.png", "receipt.json"} <= set(sealed)
        expected |= {f"{submission}/{name}" for name in sealed}
        expected |= {f"{submission}/{manifest.name}" for manifest in folder.glob("manifest*.json")}
        for name, digest in sealed.items():
            assert hashlib.sha256(members[f"{submission}/{name}"]).hexdigest() == digest, name
        for manifest in folder.glob("manifest*.json"):
            assert members[f"{submission}/{manifest.name}"] == manifest.read_bytes()
    assert set(members) == expected
    assert any(name.endswith(".eml") for name in members), "Meta's email is part of ada's evidence"
    assert "notes.txt" not in members["index.html"].decode()

    sessions = archive.state / "submit-objections" / "sessions"
    cookies = [cookie["value"] for path in sessions.glob("*.json") for cookie in json.loads(path.read_text())["cookies"]
               if len(cookie["value"]) >= 8]
    assert cookies, "the runs saved sessions, whose cookies must stay out of the zip"
    secrets = [person.password for person in PEOPLE] + [TOTP_SECRET] + cookies
    for name, data in members.items():
        assert "session" not in name.lower() and not name.startswith(".")
        for secret in secrets:
            assert secret.encode() not in data, f"a secret or session cookie in {name}"


@pytest.mark.e2e
def test_export_refuses_an_unsealed_submission_and_one_changed_after_sealing(archive, tmp_path):
    killed = leave_a_killed_runs_folder(archive.path, "ada")
    refused = archive("export", f"ada/{KILLED_AT}", "--to", str(tmp_path / "a.zip"))
    assert refused.returncode == 2 and f"ada/{KILLED_AT} is not sealed" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "a.zip").exists()
    assert killed.is_dir()

    changed = archive.folder("ben") / "01-filled-form.png"
    changed.write_bytes(changed.read_bytes() + b"\0")
    refused = archive("export", f"ben/{archive.folder('ben').name}", "--to", str(tmp_path / "b.zip"))
    assert refused.returncode == 2 and "01-filled-form.png was changed after it was sealed" in refused.stderr
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.e2e
def test_archive_show_prints_what_the_receipt_holds_and_each_files_seal(archive):
    folder = archive.folder("ada")
    [receipt] = [r for r in receipts(archive.path, "ada")]
    done = archive("show", f"ada/{folder.name}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    said = "\n".join(lines)
    assert lines[0] == f"submission: ada/{folder.name}"
    assert "account: ada (facebook, login ada@example.org)" in lines
    assert "outcome: confirmed: Meta confirmed the objection on screen" in lines
    assert "sent: yes, Send was clicked" in lines
    assert f"form: {receipt['form']['address']} (variant 2024)" in lines
    assert "language: expected en, the page was in en" in lines
    for moment in ("started_at", "sent_at", "finished_at"):
        assert f"{moment}: {receipt[moment]}" in lines and receipt[moment].endswith("Z")  # UTC
    assert "owner stepped in: no" in lines
    assert f"confirmation_text: {receipt['confirmation_text']}" in lines and "received your objection" in said
    [eml] = [name for name in sealed_by_manifests(folder) if name.endswith(".eml")]
    assert f"Meta's answer: honoured ({eml})" in lines
    assert receipt["fields"] and set(receipt["fields"]) == set(receipt["fields_found_by"])
    for name, value in receipt["fields"].items():  # every field as sent, and how it was found
        assert f"  {name}: {' '.join(value.split())}  [found {receipt['fields_found_by'][name]}]" in lines
    assert f"tool: submit-objections {receipt['tool_version']}" in lines
    assert "files (sealed by manifest.json, manifest-02.json):" in lines or "files (sealed by manifest.json):" in lines
    for name, digest in sealed_by_manifests(folder).items():
        assert f"  {name}  sha256 {digest}" in lines
    for secret in (PEOPLE[0].password, TOTP_SECRET):
        assert secret not in done.stdout

    (folder / "notes.txt").write_text("added later")
    assert "  notes.txt  NOT SEALED" in archive("show", f"ada/{folder.name}").stdout
    leave_a_killed_runs_folder(archive.path, "ada")
    unsealed = archive("show", f"ada/{KILLED_AT}")
    assert "files (UNSEALED: no manifest, not evidence yet):" in unsealed.stdout
    assert "outcome: unfinished: -" in unsealed.stdout and "  01-filled-form.png  NOT SEALED" in unsealed.stdout
