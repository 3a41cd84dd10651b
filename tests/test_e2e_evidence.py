"""Evidence that stands up in a complaint, a ledger that never files twice, and runs that survive being killed."""

from __future__ import annotations

import json
import shutil
import os
import random
import signal
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from conftest import CLI, ROOT
from e2e_support import Person, mock_accounts, store_secrets, table_row, write_tool_accounts

pytestmark = pytest.mark.e2e


def test_a_submission_is_sealed_with_its_page_and_meta_email_and_verifies(cli, world):
    anna = Person("anna", totp=True, form_variant="2024")
    setup = world([anna])
    assert setup.run().returncode == 0
    [folder] = list((setup.archive / "anna").iterdir())
    names = sorted(path.name for path in folder.iterdir())
    assert "01-filled-form.png" in names and "02-confirmation.png" in names
    assert "02-confirmation.pdf" in names and "02-confirmation.html" in names
    assert (folder / "02-confirmation.pdf").read_bytes().startswith(b"%PDF")
    assert "received your objection" in (folder / "02-confirmation.html").read_text()
    [eml] = [name for name in names if name.endswith(".eml")]
    assert "We've received your objection" in (folder / eml).read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {entry["name"] for entry in manifest["files"]} == set(names) - {"manifest.json"}
    assert manifest["sequence"] == 1 and manifest["previous"] is None
    assert setup.ledger() == {"anna": "honoured"}  # Meta's email says it will honour the objection
    done = setup.verify()
    assert done.returncode == 0 and "1 sealed submission(s) verified" in done.stdout


@pytest.fixture(scope="module")
def three_sealed_once(tmp_path_factory, keyring_session, chromium_path):
    """Three sealed submissions, filed once for the whole session (whichever worker gets there first): the tests
    below each tamper with a copy."""
    from conftest import make_cli
    from mock_support import RunningMock
    from promises_support import once

    def build(folder: Path) -> dict:
        cli = make_cli(folder / "home", keyring_session, chromium_path)
        people = [Person(name, form_variant="2025", maildir=False) for name in ("bo", "cy", "di")]
        (folder / "mock").mkdir()
        (folder / "mock-accounts.toml").write_text(mock_accounts(people))
        mock = RunningMock(folder / "mock-accounts.toml", folder / "mock")
        try:
            config = write_tool_accounts(folder / "accounts.toml", people, mock.state)
            store_secrets(cli, config, people)
            args = ["--config", str(config), "--mirror", mock.url, "--archive", str(folder / "archive")]
            for person in people:  # one run each, so the chain has three links in a known order
                assert cli(*args, "--account", person.name).returncode == 0
        finally:
            mock.stop()
        return {"archive": str(folder / "archive"), "data": cli.env["XDG_DATA_HOME"]}

    _, built = once(tmp_path_factory, "three-sealed", build)
    return Path(built["archive"]), Path(built["data"])


class SealedCopy:
    def __init__(self, cli, archive: Path):
        self.cli = cli
        self.archive = archive

    def verify(self, *extra: str):
        return self.cli("--archive", str(self.archive), "archive", "verify", *extra)


@pytest.fixture
def three_sealed(three_sealed_once, cli, tmp_path):
    archive, data = three_sealed_once
    shutil.copytree(archive, tmp_path / "archive")
    shutil.copytree(data, Path(cli.env["XDG_DATA_HOME"]), dirs_exist_ok=True)  # the ledger the report reads
    copy = SealedCopy(cli, tmp_path / "archive")
    assert copy.verify().returncode == 0, "a copied archive verifies as the original does"
    return copy


def test_verify_names_a_screenshot_changed_by_one_byte(three_sealed):
    [folder] = list((three_sealed.archive / "cy").iterdir())
    picture = folder / "02-confirmation.png"
    data = bytearray(picture.read_bytes())
    data[len(data) // 2] ^= 0x01
    picture.write_bytes(bytes(data))
    sealed = {entry["name"]: entry["sha256"] for entry in json.loads((folder / "manifest.json").read_text())["files"]}
    done = three_sealed.verify()
    assert done.returncode == 7  # the evidence changed
    assert done.stdout.strip().splitlines() == [
        f"MISMATCH cy/{folder.name}/02-confirmation.png: changed after it was sealed "
        f"(SHA-256 {sealed['02-confirmation.png'][:12]}... expected)"]


def test_verify_names_a_deleted_file(three_sealed):
    [folder] = list((three_sealed.archive / "bo").iterdir())
    (folder / "receipt.json").unlink()
    done = three_sealed.verify()
    assert done.returncode == 7  # the evidence changed
    assert f"MISMATCH bo/{folder.name}/receipt.json: missing (deleted after it was sealed)" in done.stdout


@pytest.mark.parametrize("who", ["cy", "di"])  # a submission in the middle of the chain, and the newest one
def test_verify_names_a_deleted_submission(three_sealed, who):
    [folder] = list((three_sealed.archive / who).iterdir())
    shutil.rmtree(folder)
    done = three_sealed.verify()
    assert done.returncode == 7  # the evidence changed
    assert f"MISMATCH {who}/{folder.name}: sealed as #" in done.stdout and "is gone" in done.stdout


def test_export_and_report_show_screenshots_and_the_text_sent_in_a_browser(three_sealed, page, tmp_path):
    setup = three_sealed
    ids = [f"{name}/{next((setup.archive / name).iterdir()).name}" for name in ("bo", "cy")]
    bundle = tmp_path / "complaint.zip"
    done = setup.cli("--archive", str(setup.archive), "archive", "export", *ids, "--to", str(bundle))
    assert done.returncode == 0, done.stderr
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(bundle).extractall(unpacked)
    report = setup.cli("--archive", str(setup.archive), "archive", "report")
    assert report.returncode == 0, report.stderr

    for index, expected_images in ((unpacked / "index.html", 4), (setup.archive / "report.html", 6)):
        page.goto(index.as_uri())
        images = page.locator("img")
        assert images.count() == expected_images
        for number in range(images.count()):
            assert images.nth(number).evaluate("img => img.complete && img.naturalWidth > 0"), index
        assert page.get_by_text("I object, under Article 21(1)").first.is_visible()
        assert page.get_by_text("applied going forward").first.is_visible()


def test_the_ledger_skips_settled_accounts_and_force_files_again(cli, world):
    eva = Person("eva", form_variant="2025", maildir=False)
    setup = world([eva])
    assert setup.run().returncode == 0
    again = setup.run()
    assert again.returncode == 0 and "skipped: confirmed since" in again.stdout
    assert len(setup.mock.submissions()) == 1
    forced = setup.run("--force")
    assert forced.returncode == 0 and table_row(forced.stdout, "eva")[2:4] == ["already", "objected"]
    status = cli("--config", str(setup.config), "status")
    assert status.returncode == 0 and "eva" in status.stdout and "already-objected" in status.stdout


def test_status_shows_an_overdue_objection_and_what_to_do(cli, world):
    fay = Person("fay", form_variant="2025", maildir=False)
    setup = world([fay])
    assert setup.run().returncode == 0
    path = Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:  # as if it had been sent six weeks ago
        connection.execute("UPDATE accounts SET sent_at = '2026-01-01T10:00:00Z'")
    status = cli("--config", str(setup.config), "status")
    assert "overdue" in status.stdout and "GDPR Art. 12(3)" in status.stdout


def test_meta_email_arriving_after_the_run_is_picked_up_by_status_check_mail(cli, world):
    gil = Person("gil", totp=True, form_variant="2024")
    setup = world([gil])
    assert setup.run().returncode == 0
    assert setup.ledger() == {"gil": "honoured"}
    [folder] = list((setup.archive / "gil").iterdir())
    [eml] = list(folder.glob("*.eml"))
    # The same submission, but as if Meta's email had come later: take it out, and set the ledger back.
    email_bytes = eml.read_bytes()
    for path in list(folder.iterdir()):
        if path.name.startswith("manifest") or path.suffix == ".eml":
            path.unlink()
    (setup.archive / "chain.json").unlink()
    subprocess.run([*CLI, "--archive", str(setup.archive), "archive", "list"], env=cli.env, cwd=ROOT, check=True)
    path = Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE accounts SET status = 'confirmed'")
    from automation.chain import seal

    seal(folder, setup.archive, note="confirmed")
    done = cli("--config", str(setup.config), "--archive", str(setup.archive), "status", "--check-mail")
    assert done.returncode == 0, done.stderr
    assert "gil: Meta's email found, now honoured" in done.stderr and "honoured" in done.stdout
    [kept] = list(folder.glob("*.eml"))
    assert kept.read_bytes() == email_bytes
    assert (folder / "manifest-02.json").exists() and setup.verify().returncode == 0


def plain_steps(stderr_line: str) -> str | None:
    marker = "] "
    if marker in stderr_line and ": " in stderr_line.split(marker, 1)[1]:
        return stderr_line.split(marker, 1)[1].split(": ", 1)[1]
    return None


KILL_SEED = int(os.environ.get("SUBMIT_OBJECTIONS_KILL_SEED", "20261201"))
KILL_SAMPLE = 1  # steps away from Send, besides every boundary right around it


def kill_points(descriptions: list[str], seed: int) -> list[int]:
    """Every step boundary around Send (where filing twice or forgetting a filing could happen), and a seeded sample
    of the others: the whole flow is covered across seeds, the risky part on every run."""
    send = next(number for number, line in enumerate(descriptions, start=1) if line.startswith("SEND:"))
    around = set(range(max(1, send - 1), min(len(descriptions), send + 1) + 1))  # just before, at and after Send
    others = [number for number in range(1, len(descriptions) + 1) if number not in around]
    return sorted(around | set(random.Random(seed).sample(others, min(KILL_SAMPLE, len(others)))))


@pytest.mark.slow
@pytest.mark.parametrize("variant, totp", [("2025", False), ("2024", True)])
def test_killed_at_any_step_then_run_again_files_exactly_once(cli, world, variant, totp):
    """SIGKILL at a step: every step around Send, and a seeded sample of the rest (SUBMIT_OBJECTIONS_KILL_SEED picks
    another sample). Each kill is of its own account's run, in one world; then one run over all of them: each
    killed account is filed exactly once, whatever step its run died at."""
    probe = Person("probe", form_variant=variant, totp=totp)
    first = world([probe])
    descriptions = [plain_steps(line) for line in first.run().stderr.splitlines()
                    if "probe: " in line and plain_steps(line) and "started" not in line and "(0 left)" not in line]
    assert len(descriptions) > 15, "the flow should have many steps"
    points = kill_points(descriptions, KILL_SEED + (variant == "2024"))
    people = {kill_at: Person(f"k{kill_at}", form_variant=variant, totp=totp) for kill_at in points}
    setup = world(list(people.values()))
    where = {kill_at: f"killed at step {kill_at} ({descriptions[kill_at - 1][:60]}), seed {KILL_SEED}"
             for kill_at in points}
    for kill_at, person in people.items():
        process = subprocess.Popen([*CLI, *setup.args("--account", person.name)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, env=cli.env, cwd=ROOT)
        seen = 0
        for line in process.stderr:
            if plain_steps(line) and "started" not in line and "(0 left)" not in line:
                seen += 1
                if seen == kill_at:
                    process.send_signal(signal.SIGKILL)
                    break
        process.wait(30)
        assert seen == kill_at, f"{where[kill_at]}: the run ended before it got there"
    again = setup.run("--concurrency", "2")
    assert again.returncode == 0, f"{where}: {again.stdout}{again.stderr}"
    for kill_at, person in people.items():
        filed = setup.mock.submissions(person.login)
        assert len(filed) == 1, f"{where[kill_at]}: filed {len(filed)}x"
        assert setup.ledger()[person.name] in ("confirmed", "honoured"), where[kill_at]
    verified = setup.verify()
    assert verified.returncode == 0, f"{where}: {verified.stdout}"
