"""What an installed tool needs comes with the wheel: the wording tables, the objection texts, the mock of Meta and
the demo's data, under our own package names, with every dependency they import declared. The wheel is built here and
its file list read; installing it and running `submit-objections demo` from a fresh virtual environment is CI's part
(scripts/check_wheel.sh). Also the demo's care for the folder it is given."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from fixtures import demo
from promises_support import once

ROOT = Path(__file__).resolve().parent.parent
OURS = {"automation", "flows", "cli", "submit_objections_demo"}
TESTS_ONLY = {"submit_objections_demo/dovecot.py", "submit_objections_demo/processes.py"}  # ship, never imported


def checkout_files() -> list[str]:
    """The files git knows, as an install from the repository's URL gets them (new ones not ignored included)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and (ROOT / name).exists()]


def build_wheel(folder: Path) -> dict:
    source = folder / "src"
    with tarfile.open(folder / "src.tar", "w") as tar:
        for name in checkout_files():
            tar.add(ROOT / name, arcname=name, recursive=False)
    with tarfile.open(folder / "src.tar") as tar:
        tar.extractall(source, filter="data")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
                            str(folder / "dist"), str(source)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = (folder / "dist").glob("submit_objections-*.whl")
    return {"wheel": str(path)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Built once per test session, whichever worker gets there first (tests/promises_support.py)."""
    _, built = once(tmp_path_factory, "wheel", build_wheel)
    with zipfile.ZipFile(built["wheel"]) as opened:
        yield opened


def names(wheel: zipfile.ZipFile) -> set[str]:
    return set(wheel.namelist())


@pytest.mark.slow
def test_the_wheel_holds_every_wording_table_and_objection_text(wheel):
    # every flow's wording folder: the objection flows' flows/wording/, and each other flow's own (flows/*/wording/)
    tables = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "flows").rglob("*.toml"))
    texts = sorted(path.name for path in (ROOT / "flows" / "objections").glob("*.txt"))
    assert "flows/wording/en.toml" in tables and "flows/third_party/wording/en.toml" in tables and "en.txt" in texts
    missing = tables + [f"flows/objections/{name}" for name in texts]
    assert [name for name in missing if name not in names(wheel)] == []
    assert wheel.read("flows/wording/en.toml") == (ROOT / "flows" / "wording" / "en.toml").read_bytes()
    assert "automation/authorities.toml" in names(wheel), "archive complain needs the authorities' data file"


@pytest.mark.slow
def test_the_wheel_holds_the_mock_the_throwaway_keyring_and_the_demo_with_its_data(wheel):
    mock = sorted(str(path.relative_to(ROOT / "fixtures")) for path in (ROOT / "fixtures" / "mock_meta").rglob("*.py"))
    assert "mock_meta/server.py" in mock and "mock_meta/texts/en.py" in mock
    wanted = [f"submit_objections_demo/{name}" for name in mock] + [
        "submit_objections_demo/private_keyring.py", "submit_objections_demo/demo/__init__.py",
        "submit_objections_demo/demo/accounts.toml", "submit_objections_demo/demo/mock-accounts.toml"]
    assert [name for name in wanted if name not in names(wheel)] == []
    assert wheel.read("submit_objections_demo/demo/mock-accounts.toml") == demo.MOCK_ACCOUNTS.read_bytes()


@pytest.mark.slow
def test_the_wheel_puts_no_generic_fixtures_or_tests_package_into_site_packages(wheel):
    top = {name.split("/")[0] for name in names(wheel) if not name.startswith("submit_objections-")}
    assert top == {"automation", "flows", "cli.py", "submit_objections_demo"}
    (listed,) = [name for name in names(wheel) if name.endswith(".dist-info/top_level.txt")]
    assert set(wheel.read(listed).decode().split()) == {"automation", "cli", "flows", "submit_objections_demo"}


@pytest.mark.slow
def test_the_wheel_installs_the_submit_objections_command(wheel):
    (entry_points,) = [name for name in names(wheel) if name.endswith(".dist-info/entry_points.txt")]
    assert re.search(r"^\[console_scripts\]\s*\nsubmit-objections = cli:main$", wheel.read(entry_points).decode(),
                     re.M)


@pytest.mark.slow
def test_the_shipped_code_imports_only_itself_the_standard_library_and_declared_dependencies(wheel):
    (metadata,) = [name for name in names(wheel) if name.endswith(".dist-info/METADATA")]
    declared = {re.split(r"[ ;<>=!~\[(]", line.split(":", 1)[1].strip())[0].lower().replace("_", "-")
                for line in wheel.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")
                and "extra ==" not in line}
    distributions = importlib.metadata.packages_distributions()
    undeclared, by_checkout_name = set(), set()
    for name in sorted(names(wheel) - TESTS_ONLY):
        if not name.endswith(".py"):
            continue
        tree = ast.parse(wheel.read(name))
        fallbacks = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.Try) for handler in node.handlers
                     if isinstance(handler.type, ast.Name) and handler.type.id == "ModuleNotFoundError"
                     for inner in ast.walk(handler)}  # cli.py's demo: a checkout that is not installed
        for node in ast.walk(tree):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for module in modules:
                top = module.split(".")[0]
                if top in ("fixtures", "tests"):
                    if id(node) not in fallbacks:
                        by_checkout_name.add(f"{name}: {module}")
                elif top not in OURS and top not in sys.stdlib_module_names and top != "__future__":
                    owners = {owner.lower().replace("_", "-") for owner in distributions.get(top, [top])}
                    if not owners & declared:
                        undeclared.add(f"{name}: {module}")
    assert by_checkout_name == set(), "an installed tool has no package named fixtures or tests"
    assert undeclared == set(), f"imported but not in pyproject.toml's dependencies (declared: {sorted(declared)})"
    assert {"pyotp", "playwright", "keyring"} <= declared  # the mock's 2FA, the browser, the keyring


# -- the demo's folder ---------------------------------------------------------------------------------------------

def test_the_demo_refuses_a_folder_holding_files_not_its_own_and_touches_none_of_them(tmp_path):
    (tmp_path / "thesis.odt").write_text("years of work")
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "mine.txt").write_text("not the demo's")
    with pytest.raises(demo.ConfigError) as refused:
        demo.prepare(tmp_path)
    assert str(tmp_path) in str(refused.value) and "thesis.odt" in str(refused.value)
    assert "--dir" in refused.value.hint
    assert (tmp_path / "thesis.odt").read_text() == "years of work"
    assert (tmp_path / "archive" / "mine.txt").exists()


def test_the_demo_empties_its_own_folder_and_an_older_demo_s_leftovers(tmp_path):
    old = tmp_path / "old"  # what `make demo` left in .demo before the folder had a marker
    for folder in ("mock", "archive/anna-facebook", "state", "keyring-home"):
        (old / folder).mkdir(parents=True)
    (old / "ledger.sqlite3").write_text("old ledger")
    demo.prepare(old)
    assert sorted(path.name for path in old.iterdir()) == [demo.MARKER]

    marked = tmp_path / "marked"
    demo.prepare(marked)
    (marked / "archive").mkdir()
    (marked / "archive" / "receipt.json").write_text("{}")
    demo.prepare(marked)
    assert sorted(path.name for path in marked.iterdir()) == [demo.MARKER]


def test_the_demo_without_a_chromium_says_how_to_get_one_and_starts_nothing(tmp_path):
    nothing = tmp_path / "empty"
    nothing.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "SUBMIT_OBJECTIONS_CHROMIUM"}
    env.update(PATH=str(nothing), PLAYWRIGHT_BROWSERS_PATH=str(nothing))  # no browser anywhere it looks
    done = subprocess.run([sys.executable, "-m", "cli", "demo", "--dir", str(tmp_path / "demo")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "the demo needs a Chromium" in done.stderr
    assert "sudo apt-get install chromium" in done.stderr
    assert f"{sys.executable} -m playwright install chromium" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "demo").exists()  # nothing started, nothing written
