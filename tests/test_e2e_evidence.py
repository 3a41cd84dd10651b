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
from e2e_support import Person, mock_accounts, shared_world, store_secrets, table_row, write_tool_accounts

pytestmark = pytest.mark.e2e


# -- one world for the evidence and ledger tests: one run over four accounts, then eva's again, then eva's forced --

ANNA = Person("anna", totp=True, form_variant="2024")
EVA = Person("eva", form_variant="2025", maildir=False)
FAY = Person("fay", form_variant="2025", maildir=False)
GIL = Person("gil", totp=True, form_variant="2024")


@pytest.fixture(scope="module")
def filed(tmp_path_factory, keyring_session, chromium_path):
    world, runs = shared_world(tmp_path_factory, keyring_session, chromium_path, "e2e-evidence",
                               [ANNA, EVA, FAY, GIL],
                               runs=[("--concurrency", "2"), ("--account", "eva"), ("--account", "eva", "--force")])
    assert runs[0].returncode == 0, runs[0].stdout + runs[0].stderr
    return world, runs


def test_a_submission_is_sealed_with_its_page_and_meta_email_and_verifies(filed):
    setup, _ = filed
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
    assert manifest["previous"] is None or manifest["sequence"] > 1  # the chain's first link has no previous one
    assert setup.ledger()["anna"] == "honoured"  # Meta's email says it will honour the objection
    done = setup.verify()
    submissions = len(list(setup.archive.glob("*/*/manifest.json")))
    assert submissions == 5  # anna, fay, gil, and eva's first and forced runs
    assert done.returncode == 0 and f"{submissions} sealed submission(s) verified" in done.stdout


class SealedCopy:
    def __init__(self, cli, archive: Path):
        self.cli = cli
        self.archive = archive

    def verify(self, *extra: str):
        return self.cli("--archive", str(self.archive), "archive", "verify", *extra)

    def by_sequence(self) -> list[Path]:
        """The sealed submissions, oldest link of the chain first."""
        folders = [manifest.parent for manifest in self.archive.glob("*/*/manifest.json")]
        return sorted(folders, key=lambda folder: json.loads((folder / "manifest.json").read_text())["sequence"])


@pytest.fixture
def sealed(filed, cli, tmp_path):
    """A copy of the evidence world's archive (five sealed submissions) and ledger, for a test to tamper with."""
    copy = filed[0].copy_to(cli, tmp_path)
    sealed = SealedCopy(cli, copy.archive)
    assert sealed.verify().returncode == 0, "a copied archive verifies as the original does"
    return sealed


def test_verify_names_a_screenshot_changed_by_one_byte(sealed):
    [folder] = list((sealed.archive / "fay").iterdir())
    picture = folder / "02-confirmation.png"
    data = bytearray(picture.read_bytes())
    data[len(data) // 2] ^= 0x01
    picture.write_bytes(bytes(data))
    sealed_as = {entry["name"]: entry["sha256"] for entry in json.loads((folder / "manifest.json").read_text())["files"]}
    done = sealed.verify()
    assert done.returncode == 7  # the evidence changed
    assert done.stdout.strip().splitlines() == [
        f"MISMATCH fay/{folder.name}/02-confirmation.png: changed after it was sealed "
        f"(SHA-256 {sealed_as['02-confirmation.png'][:12]}... expected)"]


def test_verify_names_a_deleted_file(sealed):
    [folder] = list((sealed.archive / "anna").iterdir())
    (folder / "receipt.json").unlink()
    done = sealed.verify()
    assert done.returncode == 7  # the evidence changed
    assert f"MISMATCH anna/{folder.name}/receipt.json: missing (deleted after it was sealed)" in done.stdout


@pytest.mark.parametrize("which", ["middle", "newest"])  # a submission in the middle of the chain, and the newest
def test_verify_names_a_deleted_submission(sealed, which):
    chain = sealed.by_sequence()
    folder = chain[len(chain) // 2] if which == "middle" else chain[-1]
    shutil.rmtree(folder)
    done = sealed.verify()
    assert done.returncode == 7  # the evidence changed
    who = folder.parent.name
    assert f"MISMATCH {who}/{folder.name}: sealed as #" in done.stdout and "is gone" in done.stdout


def test_export_and_report_show_screenshots_and_the_text_sent_in_a_browser(sealed, page, tmp_path):
    setup = sealed
    exported = [next((setup.archive / name).iterdir()) for name in ("fay", "anna")]
    ids = [f"{folder.parent.name}/{folder.name}" for folder in exported]
    bundle = tmp_path / "complaint.zip"
    done = setup.cli("--archive", str(setup.archive), "archive", "export", *ids, "--to", str(bundle))
    assert done.returncode == 0, done.stderr
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(bundle).extractall(unpacked)
    report = setup.cli("--archive", str(setup.archive), "archive", "report")
    assert report.returncode == 0, report.stderr

    shots = lambda folders: sum(len(json.loads((f / "receipt.json").read_text())["screenshots"])  # noqa: E731
                                for f in folders)
    assert shots(exported) == 4
    for index, expected_images in ((unpacked / "index.html", shots(exported)),
                                   (setup.archive / "report.html", shots(setup.by_sequence()))):
        page.goto(index.as_uri())
        images = page.locator("img")
        assert images.count() == expected_images
        for number in range(images.count()):
            assert images.nth(number).evaluate("img => img.complete && img.naturalWidth > 0"), index
        assert page.get_by_text("I object, under Article 21(1)").first.is_visible()
        assert page.get_by_text("applied going forward").first.is_visible()  # fay's 2025 form
        assert page.get_by_text("received your objection").first.is_visible()  # anna's 2024 form


def test_the_ledger_skips_settled_accounts_and_force_files_again(filed, cli):
    setup, (first, again, forced) = filed
    assert table_row(first.stdout, "eva")[2] == "confirmed"
    assert again.returncode == 0 and "skipped: confirmed since" in again.stdout
    assert len(setup.mock.submissions(EVA.login)) == 1
    assert forced.returncode == 0 and table_row(forced.stdout, "eva")[2:4] == ["already", "objected"]
    status = setup.cli("--config", str(setup.config), "status")
    assert status.returncode == 0 and "already-objected" in table_row(status.stdout, "eva")


def test_status_shows_an_overdue_objection_and_what_to_do(filed, cli, tmp_path):
    setup = filed[0].copy_to(cli, tmp_path)
    path = Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:  # as if it had been sent six weeks ago
        connection.execute("UPDATE accounts SET sent_at = '2026-01-01T10:00:00Z' WHERE account = 'fay'")
    status = cli("--config", str(setup.config), "status")
    assert "overdue" in table_row(status.stdout, "fay") and "GDPR Art. 12(3)" in status.stdout
    assert "overdue" not in table_row(status.stdout, "anna")


def test_meta_email_arriving_after_the_run_is_picked_up_by_status_check_mail(filed, cli, tmp_path):
    setup = filed[0].copy_to(cli, tmp_path)
    assert setup.ledger()["gil"] == "honoured"
    [source] = list((filed[0].archive / "gil").iterdir())
    [eml] = list(source.glob("*.eml"))
    email_bytes = eml.read_bytes()
    # gil's submission alone in an archive of its own, as if Meta's email had come later: without the email and
    # its seal, and the ledger set back.
    folder = setup.archive / "gil" / source.name
    shutil.rmtree(setup.archive)
    shutil.copytree(source, folder)
    for path in list(folder.iterdir()):
        if path.name.startswith("manifest") or path.suffix == ".eml":
            path.unlink()
    subprocess.run([*CLI, "--archive", str(setup.archive), "archive", "list"], env=cli.env, cwd=ROOT, check=True)
    path = Path(cli.env["XDG_DATA_HOME"]) / "submit-objections" / "ledger.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE accounts SET status = 'confirmed' WHERE account = 'gil'")
    from automation.chain import seal

    seal(folder, setup.archive, note="confirmed")
    done = cli("--config", str(setup.config), "--archive", str(setup.archive), "status", "--check-mail")
    assert done.returncode == 0, done.stderr
    assert "gil: Meta's email found, now honoured" in done.stderr and "honoured" in table_row(done.stdout, "gil")
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
