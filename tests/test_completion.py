"""Shell completion is click's own, for bash, zsh and fish, under the installed command's name; account names
complete from the accounts file and submission IDs from the archive."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from automation.chain import seal

EXECUTABLE = Path(sys.executable).parent / "submit-objections"
ACCOUNTS = "".join(f'[[accounts]]\nname = "{name}"\nplatform = "facebook"\nlogin = "{name}@example.org"\n'
                   f'email = "{name}@example.org"\ncountry = "DE"\n\n' for name in ("anna", "anton", "ben"))


def complete(shell: str, words: str, tmp_path: Path, **env: str) -> list[str]:
    """What the shell's completion script gets back for the last word of `words`."""
    parts = words.split(" ")
    environment = {**os.environ, "_SUBMIT_OBJECTIONS_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
                   "COMP_CWORD": str(len(parts) - 1) if shell != "fish" else parts[-1], "HOME": str(tmp_path), **env}
    done = subprocess.run([str(EXECUTABLE)], env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if shell == "bash":
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]
    if shell == "zsh":  # type, value, help, in threes
        lines = done.stdout.splitlines()
        return [lines[index + 1] for index in range(0, len(lines), 3)]
    return [line.split(",", 1)[1].split("\t")[0] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_account_names_complete_from_the_accounts_file(shell, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNTS)
    assert complete(shell, f"submit-objections --config {config} credentials set an", tmp_path) == ["anna", "anton"]
    assert complete(shell, "submit-objections --account b", tmp_path,
                    SUBMIT_OBJECTIONS_CONFIG=str(config)) == ["ben"]
    assert complete(shell, f"submit-objections --config {config} accounts remove ant", tmp_path) == ["anton"]


def test_submission_ids_complete_from_the_archive_and_a_missing_file_completes_nothing(tmp_path):
    archive = tmp_path / "archive"
    folder = archive / "anna" / "2026-11-23T100000Z"
    folder.mkdir(parents=True)
    (folder / "receipt.json").write_text("{}")
    seal(folder, archive, note="test")
    assert complete("bash", f"submit-objections --archive {archive} archive show an", tmp_path) == [
        "anna/2026-11-23T100000Z"]
    assert complete("bash", f"submit-objections --config {tmp_path / 'none.toml'} credentials set a", tmp_path) == []


@pytest.mark.parametrize("shell, marker", [("bash", "complete -o nosort -F"), ("zsh", "#compdef submit-objections"),
                                           ("fish", "complete --no-files --command submit-objections")])
def test_each_shell_gets_its_script_with_the_readme_command(shell, marker):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert f"_SUBMIT_OBJECTIONS_COMPLETE={shell}_source submit-objections" in readme
    script = subprocess.run([str(EXECUTABLE)], env={**os.environ, "_SUBMIT_OBJECTIONS_COMPLETE": f"{shell}_source"},
                            capture_output=True, text=True, timeout=60)
    assert script.returncode == 0 and marker in script.stdout
