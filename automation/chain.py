"""The archive's chain of manifests: proof that no evidence file, nor a whole submission, was changed or removed.

Each submission folder is sealed by a manifest (manifest.json) listing every file with its SHA-256, written last: a
folder without one is unfinished and never counted as evidence. A file added later (the site's email) gets its own
manifest in the same folder (manifest-02.json, ...). Every manifest carries a sequence number and the SHA-256 of the
manifest before it, anywhere in the archive, and ARCHIVE/chain.json names the newest: so an edited or deleted file,
manifest or folder, even the newest, breaks a chain that anyone can re-check with `archive verify`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from automation.archive import iso, make_private_dir, utc_now, write_private

HEAD = "chain.json"
LOCK = ".chain.lock"
FORMAT = 1


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_manifest(path: Path) -> bool:
    return path.name == "manifest.json" or (path.name.startswith("manifest-") and path.suffix == ".json")


def manifests_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.is_file() and is_manifest(path))


def submission_folders(archive: Path) -> list[Path]:
    """ARCHIVE/<account>/<run>/ folders, oldest first within each account."""
    if not archive.is_dir():
        return []
    return sorted(run for account in archive.iterdir() if account.is_dir() for run in account.iterdir() if run.is_dir())


@contextlib.contextmanager
def _locked(archive: Path) -> Iterator[None]:
    make_private_dir(archive)
    descriptor = os.open(archive / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # workers of one run, or two runs, take turns
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def read_head(archive: Path) -> dict | None:
    try:
        return json.loads((archive / HEAD).read_text())
    except FileNotFoundError:
        return None


def _covered(folder: Path) -> set[str]:
    names: set[str] = set()
    for manifest in manifests_in(folder):
        try:
            names |= {entry["name"] for entry in json.loads(manifest.read_text())["files"]}
        except (ValueError, KeyError):
            pass
    return names


def seal(folder: Path, archive: Path, note: str) -> Path | None:
    """Chains a manifest of the folder's files not yet in one; None when there is nothing new."""
    with _locked(archive):
        for leftover in folder.glob(".*.partial"):  # a write cut short by a crash: never evidence
            leftover.unlink()
        covered = _covered(folder)
        new = sorted(path for path in folder.iterdir()
                     if path.is_file() and not is_manifest(path) and not path.name.startswith(".")
                     and path.name not in covered)
        if not new:
            return None
        head = read_head(archive)
        existing = manifests_in(folder)
        name = "manifest.json" if not existing else f"manifest-{len(existing) + 1:02d}.json"
        body = {
            "format": FORMAT,
            "sequence": (head["sequence"] if head else 0) + 1,
            "created_at": iso(utc_now()),
            "submission": str(folder.relative_to(archive)),
            "note": note,
            "files": [{"name": path.name, "sha256": sha256_of(path.read_bytes()), "size": path.stat().st_size}
                      for path in new],
            "previous": {"manifest": head["manifest"], "sha256": head["sha256"]} if head else None,
        }
        data = (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        target = folder / name
        write_private(target, data)
        new_head = {"sequence": body["sequence"], "manifest": str(target.relative_to(archive)), "sha256": sha256_of(data)}
        write_private(archive / HEAD, (json.dumps(new_head, indent=2) + "\n").encode())
        return target


@dataclass
class Problem:
    where: str  # the file or submission it concerns, relative to the archive
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def verify(archive: Path, only: str | None = None) -> tuple[list[Problem], list[str]]:
    """Re-hashes every sealed file and re-checks the chain. Returns (problems, unfinished submission IDs): a folder
    without a manifest is a run's captures that were never sealed (the run was killed), not evidence yet."""
    problems: list[Problem] = []
    unfinished: list[str] = []
    chain: dict[int, tuple[str, str, dict]] = {}  # sequence -> (manifest path, sha256, body)
    for folder in submission_folders(archive):
        submission = str(folder.relative_to(archive))
        manifests = manifests_in(folder)
        if not manifests:
            if not only or submission == only:
                unfinished.append(submission)
            continue
        listed: set[str] = set()
        for manifest in manifests:
            where = str(manifest.relative_to(archive))
            data = manifest.read_bytes()
            try:
                body = json.loads(data)
                entries = body["files"]
                sequence = int(body["sequence"])
            except (ValueError, KeyError, TypeError):
                problems.append(Problem(where, "the manifest is not readable"))
                continue
            chain[sequence] = (where, sha256_of(data), body)
            for entry in entries:
                listed.add(entry["name"])
                if only and submission != only:
                    continue
                path = folder / entry["name"]
                if not path.exists():
                    problems.append(Problem(f"{submission}/{entry['name']}", "missing (deleted after it was sealed)"))
                elif sha256_of(path.read_bytes()) != entry["sha256"]:
                    problems.append(Problem(f"{submission}/{entry['name']}", "changed after it was sealed "
                                            f"(SHA-256 {entry['sha256'][:12]}... expected)"))
        if not only or submission == only:
            for extra in sorted(p.name for p in folder.iterdir() if p.is_file() and not is_manifest(p)
                                and not p.name.startswith(".") and p.name not in listed):
                problems.append(Problem(f"{submission}/{extra}", "not in any manifest (added after sealing?)"))
    problems += _chain_problems(archive, chain)
    if only:
        problems = [p for p in problems if p.where.startswith(only) or "chain" in p.what]  # each problem once
    return problems, unfinished


def _chain_problems(archive: Path, chain: dict[int, tuple[str, str, dict]]) -> list[Problem]:
    problems = []
    head = read_head(archive)
    newest = head["sequence"] if head else max(chain, default=0)
    for sequence in range(1, newest + 1):
        if sequence not in chain:
            pointer = chain.get(sequence + 1, (None, None, {}))[2].get("previous")
            if pointer is None and head and head["sequence"] == sequence:
                pointer = head
            where = pointer["manifest"] if pointer else f"manifest #{sequence}"
            problems.append(Problem(str(Path(where).parent), f"sealed as #{sequence} of the chain, but its manifest "
                                    f"{Path(where).name} is gone (the submission or its manifest was deleted)"))
            continue
        where, digest, body = chain[sequence]
        following = chain.get(sequence + 1)
        expected = following[2].get("previous", {}) if following else (head if head and head["sequence"] == sequence
                                                                      else None)
        if expected and expected.get("sha256") != digest:
            problems.append(Problem(where, f"the manifest (#{sequence} of the chain) was changed after it was sealed"))
        if sequence > 1 and (body.get("previous") or {}).get("manifest") is None:
            problems.append(Problem(where, f"#{sequence} of the chain names no manifest before it"))
    for sequence in chain:
        if sequence > newest:
            problems.append(Problem(chain[sequence][0], "a manifest past the chain's recorded end (chain.json)"))
    return problems
