"""The chain of manifests, called directly on a folder: what seal writes, and what verify names when a file, a
manifest or a whole submission was changed or removed. Fast (no browser, no CLI): scripts/mutation.sh runs these
against every mutant of automation/chain.py; the end-to-end tests (test_e2e_evidence.py) show the same through the CLI.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import threading
from pathlib import Path

import pytest

from automation import chain
from automation.archive import make_private_dir
from automation.chain import Problem, seal, submission_folders, verify


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def submission(archive: Path, account: str, run: str, files: dict[str, bytes], note: str = "confirmed: ok") -> Path:
    folder = make_private_dir(archive / account / run)  # as the tool's evidence folders are made
    for name, data in files.items():
        (folder / name).write_bytes(data)
    assert seal(folder, archive, note=note) is not None
    return folder


def problems_of(archive: Path, only: str | None = None) -> list[str]:
    problems, _ = verify(archive, only)
    return [str(problem) for problem in problems]


def head(archive: Path) -> dict:
    return json.loads((archive / "chain.json").read_text())


@pytest.fixture
def three(tmp_path) -> Path:
    """Three sealed submissions in a known order (bo, cy, di), like three runs of three accounts."""
    archive = tmp_path / "archive"
    for account in ("bo", "cy", "di"):
        files = {"receipt.json": f'{{"account": "{account}"}}'.encode(), "01-form.png": b"\x89PNG " + account.encode()}
        submission(archive, account, "2026-11-23T100000Z", files)
    return archive


# -- seal -----------------------------------------------------------------------------------------------------------


def test_the_first_seal_lists_every_file_with_its_hash_and_size_and_starts_the_chain(tmp_path):
    archive = tmp_path / "archive"
    folder = archive / "anna" / "2026-11-23T100000Z"
    folder.mkdir(parents=True)
    (folder / "receipt.json").write_bytes(b'{"outcome": "confirmed"}')
    (folder / "01-filled-form.png").write_bytes(b"\x89PNG form")
    target = seal(folder, archive, note="confirmed: Meta's page — erhalten")

    assert target == folder / "manifest.json"
    data = target.read_bytes()
    body = json.loads(data)
    assert body["format"] == 1 and body["sequence"] == 1 and body["previous"] is None
    assert body["submission"] == "anna/2026-11-23T100000Z"
    assert body["note"] == "confirmed: Meta's page — erhalten"
    assert "Meta's page — erhalten" in data.decode("utf-8"), "the note is kept as written, not as \\u escapes"
    assert body["created_at"].endswith("Z") and body["created_at"][:4].isdigit()
    assert body["files"] == [  # in name order
        {"name": "01-filled-form.png", "sha256": sha(b"\x89PNG form"), "size": len(b"\x89PNG form")},
        {"name": "receipt.json", "sha256": sha(b'{"outcome": "confirmed"}'), "size": len(b'{"outcome": "confirmed"}')},
    ]
    assert head(archive) == {"sequence": 1, "manifest": "anna/2026-11-23T100000Z/manifest.json", "sha256": sha(data)}
    assert verify(archive) == ([], [])


def test_sealing_again_with_nothing_new_writes_nothing(tmp_path):
    archive = tmp_path / "archive"
    folder = submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    before = (archive / "chain.json").read_bytes()
    assert seal(folder, archive, note="again") is None
    assert chain.manifests_in(folder) == [folder / "manifest.json"]
    assert (archive / "chain.json").read_bytes() == before


def test_a_file_added_later_gets_its_own_manifest_chained_to_the_one_before(tmp_path):
    archive = tmp_path / "archive"
    folder = submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    first = (folder / "manifest.json").read_bytes()
    (folder / "meta-answer.eml").write_bytes(b"Subject: honoured\n")
    target = seal(folder, archive, note="Meta's email: honoured")

    assert target == folder / "manifest-02.json"
    body = json.loads(target.read_bytes())
    assert [entry["name"] for entry in body["files"]] == ["meta-answer.eml"], "only what no manifest lists yet"
    assert body["sequence"] == 2
    assert body["previous"] == {"manifest": "anna/2026-11-23T100000Z/manifest.json", "sha256": sha(first)}
    assert head(archive) == {"sequence": 2, "manifest": "anna/2026-11-23T100000Z/manifest-02.json",
                             "sha256": sha(target.read_bytes())}
    (folder / "second.eml").write_bytes(b"Subject: again\n")
    third = seal(folder, archive, note="more")
    assert third.name == "manifest-03.json"
    assert [entry["name"] for entry in json.loads(third.read_bytes())["files"]] == ["second.eml"], \
        "what any earlier manifest lists is not sealed again"
    assert verify(archive) == ([], [])


def test_the_chain_runs_across_submissions_and_accounts(three):
    bodies = [json.loads((folder / "manifest.json").read_bytes()) for folder in submission_folders(three)]
    assert [body["sequence"] for body in bodies] == [1, 2, 3]
    assert bodies[1]["previous"]["manifest"] == "bo/2026-11-23T100000Z/manifest.json"
    assert bodies[2]["previous"]["manifest"] == "cy/2026-11-23T100000Z/manifest.json"
    assert head(three)["manifest"] == "di/2026-11-23T100000Z/manifest.json"


def test_a_write_cut_short_and_hidden_files_are_never_sealed(tmp_path):
    archive = tmp_path / "archive"
    folder = archive / "anna" / "2026-11-23T100000Z"
    folder.mkdir(parents=True)
    (folder / "receipt.json").write_bytes(b"{}")
    (folder / ".receipt.json.partial").write_bytes(b"{half")  # a crash in the middle of write_private
    (folder / ".hidden").write_bytes(b"x")
    (folder / "screens").mkdir()  # a folder is not a file to seal
    seal(folder, archive, note="n")
    assert not (folder / ".receipt.json.partial").exists(), "the leftover of a crash is removed"
    assert (folder / ".hidden").exists()
    assert [entry["name"] for entry in json.loads((folder / "manifest.json").read_text())["files"]] == ["receipt.json"]
    assert verify(archive) == ([], [])


def test_a_manifest_that_cannot_be_read_does_not_stop_the_next_seal(tmp_path):
    archive = tmp_path / "archive"
    folder = submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    (folder / "manifest.json").write_text("{not json")
    (folder / "late.eml").write_bytes(b"Subject: x\n")
    target = seal(folder, archive, note="n")
    assert target.name == "manifest-02.json"
    assert {entry["name"] for entry in json.loads(target.read_text())["files"]} == {"receipt.json", "late.eml"}
    (folder / "manifest.json").write_text('{"format": 1}')  # JSON, but no list of files
    (folder / "later.eml").write_bytes(b"Subject: y\n")
    assert {entry["name"] for entry in json.loads(seal(folder, archive, note="n").read_text())["files"]} == {
        "later.eml"}, "what manifest-02 lists is covered even though manifest.json lists nothing"


def test_the_archive_and_everything_seal_writes_are_private(tmp_path):
    archive = tmp_path / "archive"
    submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    assert stat.S_IMODE(archive.stat().st_mode) == 0o700
    manifest = archive / "anna" / "2026-11-23T100000Z" / "manifest.json"
    for path in (archive / "chain.json", archive / chain.LOCK, manifest):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_seals_at_the_same_time_take_turns_and_each_gets_its_own_place_in_the_chain(tmp_path):
    archive = tmp_path / "archive"
    folders = []
    for number in range(8):
        folder = archive / f"acct{number}" / "2026-11-23T100000Z"
        folder.mkdir(parents=True)
        (folder / "receipt.json").write_bytes(b"x" * 200_000 + bytes([number]))
        folders.append(folder)
    threads = [threading.Thread(target=seal, args=(folder, archive, "n")) for folder in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sequences = sorted(json.loads((folder / "manifest.json").read_text())["sequence"] for folder in folders)
    assert sequences == list(range(1, 9))
    assert verify(archive) == ([], [])


# -- verify ---------------------------------------------------------------------------------------------------------


def test_an_intact_archive_verifies_and_an_unsealed_folder_is_named_as_unfinished(three):
    assert verify(three) == ([], [])
    (three / "eva" / "2026-11-24T090000Z").mkdir(parents=True)
    (three / "eva" / "2026-11-24T090000Z" / "01-form.png").write_bytes(b"png")
    assert verify(three) == ([], ["eva/2026-11-24T090000Z"])
    assert verify(three, "eva/2026-11-24T090000Z") == ([], ["eva/2026-11-24T090000Z"])
    assert verify(three, "bo/2026-11-23T100000Z") == ([], []), "an unsealed folder elsewhere is not this one's"


def test_an_unsealed_folder_does_not_stop_verify_checking_the_submissions_after_it(three):
    (three / "al" / "2026-11-22T090000Z").mkdir(parents=True)  # sorted first: a killed run of another account
    picture = three / "di" / "2026-11-23T100000Z" / "01-form.png"
    expected = sha(picture.read_bytes())
    picture.write_bytes(b"changed")
    assert verify(three) == (
        [Problem("di/2026-11-23T100000Z/01-form.png",
                 f"changed after it was sealed (SHA-256 {expected[:12]}... expected)")],
        ["al/2026-11-22T090000Z"])


def test_a_manifest_that_cannot_be_read_does_not_stop_verify_reading_the_next_one_of_its_folder(tmp_path):
    archive = tmp_path / "archive"
    folder = submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    for name in ("answer.eml", "late.eml"):  # manifest-02.json, then manifest-03.json
        (folder / name).write_bytes(b"Subject: x\n")
        seal(folder, archive, note="email")
    (folder / "manifest-02.json").write_text("{not json")
    (folder / "late.eml").write_bytes(b"Subject: changed\n")
    sealed = sha(b"Subject: x\n")
    assert problems_of(archive) == [
        "anna/2026-11-23T100000Z/manifest-02.json: the manifest is not readable",
        f"anna/2026-11-23T100000Z/late.eml: changed after it was sealed (SHA-256 {sealed[:12]}... expected)",
        "anna/2026-11-23T100000Z/answer.eml: not in any manifest (added after sealing?)",
        "anna/2026-11-23T100000Z: sealed as #2 of the chain, but its manifest manifest-02.json is gone (the submission "
        "or its manifest was deleted)"]


def test_an_archive_that_is_not_there_has_nothing_to_verify(tmp_path):
    assert submission_folders(tmp_path / "nothing") == []
    assert verify(tmp_path / "nothing") == ([], [])
    (tmp_path / "file").write_text("x")
    assert submission_folders(tmp_path / "file") == []


def test_submissions_are_listed_per_account_oldest_first_and_stray_files_are_no_submissions(tmp_path):
    archive = tmp_path / "archive"
    for account, run in (("zed", "2026-01-02T000000Z"), ("amy", "2026-03-01T000000Z"), ("amy", "2026-02-01T000000Z")):
        (archive / account / run).mkdir(parents=True)
    (archive / "chain.json").write_text("{}")
    (archive / "amy" / "notes.txt").write_text("x")
    assert [str(folder.relative_to(archive)) for folder in submission_folders(archive)] == [
        "amy/2026-02-01T000000Z", "amy/2026-03-01T000000Z", "zed/2026-01-02T000000Z"]


def test_verify_names_a_file_changed_by_one_byte_with_the_hash_it_expected(three):
    picture = three / "cy" / "2026-11-23T100000Z" / "01-form.png"
    expected = sha(picture.read_bytes())
    picture.write_bytes(picture.read_bytes()[:-1] + b"X")
    assert problems_of(three) == [
        f"cy/2026-11-23T100000Z/01-form.png: changed after it was sealed (SHA-256 {expected[:12]}... expected)"]


def test_verify_names_a_deleted_file(three):
    (three / "bo" / "2026-11-23T100000Z" / "receipt.json").unlink()
    assert problems_of(three) == ["bo/2026-11-23T100000Z/receipt.json: missing (deleted after it was sealed)"]


def test_verify_names_a_file_added_after_sealing_but_no_hidden_one(three):
    folder = three / "di" / "2026-11-23T100000Z"
    (folder / "zz-added.png").write_bytes(b"png")
    (folder / "aa-added.txt").write_bytes(b"txt")
    (folder / ".editor-swap").write_bytes(b"x")
    assert problems_of(three) == ["di/2026-11-23T100000Z/aa-added.txt: not in any manifest (added after sealing?)",
                                  "di/2026-11-23T100000Z/zz-added.png: not in any manifest (added after sealing?)"]


def test_a_file_listed_in_a_later_manifest_of_the_folder_is_not_extra(tmp_path):
    archive = tmp_path / "archive"
    folder = submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    (folder / "answer.eml").write_bytes(b"Subject: x\n")
    seal(folder, archive, note="email")
    (folder / "answer.eml").write_bytes(b"Subject: changed\n")
    assert problems_of(archive) == [f"anna/2026-11-23T100000Z/answer.eml: changed after it was sealed (SHA-256 "
                                    f"{sha(b'Subject: x' + bytes([10]))[:12]}... expected)"]


@pytest.mark.parametrize("content", ["{not json", '{"files": []}', '{"sequence": 1}', '{"files": [], "sequence": null}',
                                     '{"files": [], "sequence": "one"}', "[]"])
def test_verify_names_a_manifest_it_cannot_read(three, content):
    (three / "cy" / "2026-11-23T100000Z" / "manifest.json").write_text(content)
    problems = problems_of(three)
    assert problems[0] == "cy/2026-11-23T100000Z/manifest.json: the manifest is not readable"
    assert "cy/2026-11-23T100000Z: sealed as #2 of the chain, but its manifest manifest.json is gone (the " \
           "submission or its manifest was deleted)" in problems


@pytest.mark.parametrize("who, number", [("bo", 1), ("cy", 2), ("di", 3)])  # the oldest, the middle, the newest
def test_verify_names_a_deleted_submission_by_its_folder_and_place_in_the_chain(three, who, number):
    shutil.rmtree(three / who / "2026-11-23T100000Z")
    assert problems_of(three) == [f"{who}/2026-11-23T100000Z: sealed as #{number} of the chain, but its manifest "
                                  "manifest.json is gone (the submission or its manifest was deleted)"]


def test_verify_names_a_deleted_later_manifest_of_a_folder(tmp_path):
    archive = tmp_path / "archive"
    folder = submission(archive, "anna", "2026-11-23T100000Z", {"receipt.json": b"{}"})
    (folder / "answer.eml").write_bytes(b"Subject: x\n")
    seal(folder, archive, note="email")
    submission(archive, "bob", "2026-11-24T100000Z", {"receipt.json": b"{}"})
    (folder / "manifest-02.json").unlink()
    assert problems_of(archive) == [
        "anna/2026-11-23T100000Z/answer.eml: not in any manifest (added after sealing?)",
        "anna/2026-11-23T100000Z: sealed as #2 of the chain, but its manifest manifest-02.json is gone (the "
        "submission or its manifest was deleted)"]


def test_two_missing_links_in_a_row_name_the_one_nothing_points_at_by_its_number(three):
    submission(three, "eva", "2026-11-24T100000Z", {"receipt.json": b"{}"})
    shutil.rmtree(three / "cy" / "2026-11-23T100000Z")
    shutil.rmtree(three / "di" / "2026-11-23T100000Z")
    assert problems_of(three) == [
        ".: sealed as #2 of the chain, but its manifest manifest #2 is gone (the submission or its manifest was "
        "deleted)",
        "di/2026-11-23T100000Z: sealed as #3 of the chain, but its manifest manifest.json is gone (the submission or "
        "its manifest was deleted)"]


@pytest.mark.parametrize("who, number", [("bo", 1), ("cy", 2), ("di", 3)])
def test_verify_names_a_manifest_edited_after_it_was_sealed(three, who, number):
    manifest = three / who / "2026-11-23T100000Z" / "manifest.json"
    body = json.loads(manifest.read_text())
    body["note"] = "edited"
    manifest.write_text(json.dumps(body, indent=2))
    assert problems_of(three) == [
        f"{who}/2026-11-23T100000Z/manifest.json: the manifest (#{number} of the chain) was changed after it was "
        "sealed"]


def test_a_manifest_rewritten_with_a_file_hash_to_match_an_edit_is_still_caught(three):
    folder = three / "cy" / "2026-11-23T100000Z"
    (folder / "receipt.json").write_bytes(b'{"account": "someone else"}')
    body = json.loads((folder / "manifest.json").read_text())
    body["files"] = [{**entry, "sha256": sha(b'{"account": "someone else"}')} if entry["name"] == "receipt.json"
                     else entry for entry in body["files"]]
    (folder / "manifest.json").write_text(json.dumps(body))
    assert problems_of(three) == [
        "cy/2026-11-23T100000Z/manifest.json: the manifest (#2 of the chain) was changed after it was sealed"]


def test_a_manifest_cut_out_of_the_chain_is_named(three):
    manifest = three / "cy" / "2026-11-23T100000Z" / "manifest.json"
    body = json.loads(manifest.read_text())
    body["previous"] = None
    manifest.write_text(json.dumps(body))
    assert problems_of(three) == [
        "cy/2026-11-23T100000Z/manifest.json: the manifest (#2 of the chain) was changed after it was sealed",
        "cy/2026-11-23T100000Z/manifest.json: #2 of the chain names no manifest before it"]


def test_a_pointer_back_that_names_no_manifest_breaks_both_ends_of_the_link(three):
    (three / "chain.json").unlink()  # without the head, nothing expects the newest manifest's hash
    manifest = three / "di" / "2026-11-23T100000Z" / "manifest.json"
    body = json.loads(manifest.read_text())
    body["previous"] = {"manifest": None}
    manifest.write_text(json.dumps(body))
    assert problems_of(three) == [
        "cy/2026-11-23T100000Z/manifest.json: the manifest (#2 of the chain) was changed after it was sealed",
        "di/2026-11-23T100000Z/manifest.json: #3 of the chain names no manifest before it"]


def test_without_chain_json_the_newest_manifest_ends_the_chain(three):
    (three / "chain.json").unlink()
    assert problems_of(three) == []
    shutil.rmtree(three / "cy" / "2026-11-23T100000Z")
    assert problems_of(three) == ["cy/2026-11-23T100000Z: sealed as #2 of the chain, but its manifest manifest.json "
                                  "is gone (the submission or its manifest was deleted)"]


def test_chain_json_pointing_at_an_older_link_names_the_manifests_past_its_end(three):
    first = three / "bo" / "2026-11-23T100000Z" / "manifest.json"
    (three / "chain.json").write_text(json.dumps({"sequence": 1, "manifest": "bo/2026-11-23T100000Z/manifest.json",
                                                  "sha256": sha(first.read_bytes())}))
    assert problems_of(three) == [
        "cy/2026-11-23T100000Z/manifest.json: a manifest past the chain's recorded end (chain.json)",
        "di/2026-11-23T100000Z/manifest.json: a manifest past the chain's recorded end (chain.json)"]


def test_a_chain_json_whose_hash_does_not_match_the_newest_manifest_is_named(three):
    recorded = head(three)
    (three / "chain.json").write_text(json.dumps({**recorded, "sha256": "0" * 64}))
    assert problems_of(three) == [
        "di/2026-11-23T100000Z/manifest.json: the manifest (#3 of the chain) was changed after it was sealed"]


def test_one_submission_is_verified_alone_with_the_chain_around_it(three):
    cy = three / "cy" / "2026-11-23T100000Z"
    sealed = sha((cy / "01-form.png").read_bytes())
    (three / "bo" / "2026-11-23T100000Z" / "receipt.json").unlink()  # another submission's file: not this one's
    (three / "bo" / "2026-11-23T100000Z" / "extra.txt").write_text("x")
    assert problems_of(three, "cy/2026-11-23T100000Z") == []
    (cy / "01-form.png").write_bytes(b"changed")
    (cy / "extra.txt").write_text("x")
    assert problems_of(three, "cy/2026-11-23T100000Z") == [
        f"cy/2026-11-23T100000Z/01-form.png: changed after it was sealed (SHA-256 {sealed[:12]}... expected)",
        "cy/2026-11-23T100000Z/extra.txt: not in any manifest (added after sealing?)"]
    shutil.rmtree(three / "di" / "2026-11-23T100000Z")  # a broken chain is every submission's problem
    assert problems_of(three, "cy/2026-11-23T100000Z")[2:] == [
        "di/2026-11-23T100000Z: sealed as #3 of the chain, but its manifest manifest.json is gone (the submission or "
        "its manifest was deleted)"]


def test_one_submission_whose_own_manifest_was_edited_is_named_once(three):
    manifest = three / "cy" / "2026-11-23T100000Z" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"note": "confirmed: ok"', '"note": "edited"'))
    assert problems_of(three, "cy/2026-11-23T100000Z") == [
        "cy/2026-11-23T100000Z/manifest.json: the manifest (#2 of the chain) was changed after it was sealed"]


def test_a_problem_reads_where_then_what():
    problem = Problem("anna/2026-11-23T100000Z/receipt.json", "missing")
    assert str(problem) == "anna/2026-11-23T100000Z/receipt.json: missing"


@pytest.mark.parametrize("name, is_one", [
    ("manifest.json", True), ("manifest-02.json", True), ("manifest-12.json", True), ("manifest.txt", False),
    ("manifest-02.txt", False), ("my-manifest.json", False), ("receipt.json", False), ("manifests.json", False)])
def test_which_files_are_manifests(name, is_one):
    assert chain.is_manifest(Path("anna/run") / name) is is_one
