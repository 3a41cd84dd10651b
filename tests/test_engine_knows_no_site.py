"""The layering rule, checked: the engine (automation/) names no site and imports no flow; everything about Meta lives
in flows/, and the commands a hint names are spelled once, in the outcome table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from automation import outcomes
from flows import facebook, instagram, platforms
from flows.meta_common import MAIL_SENDERS

ROOT = Path(__file__).resolve().parent.parent
ENGINE = sorted((ROOT / "automation").glob("*.py"))
SITE_WORDS = re.compile(r"facebook|instagram|meta", re.IGNORECASE)


def test_no_engine_module_names_meta_or_its_sites():
    data = sorted((ROOT / "automation").glob("*.toml"))  # the engine's data files (the authorities) count too
    found = [f"{path.name}:{number}: {line.strip()}" for path in ENGINE + data
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if SITE_WORDS.search(line)]
    assert found == []


def test_no_engine_module_imports_a_flow():
    imports = []
    for path in ENGINE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            imports += [f"{path.name}: {name}" for name in names if name == "flows" or name.startswith("flows.")]
    assert imports == []


def test_the_flows_declare_what_the_engine_no_longer_knows():
    for flow in (facebook.FLOW, instagram.FLOW):
        assert flow.site == "Meta" and flow.mail_senders == MAIL_SENDERS, flow.id
    assert "facebookmail.com" in MAIL_SENDERS and set(platforms()) >= {"facebook", "instagram"}


def test_a_flow_names_a_command_by_its_key_in_the_outcome_table_never_by_its_words():
    spelled = [f"{path.name}:{number}" for path in sorted((ROOT / "flows").glob("*.py"))
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if "submit-objections " in line]
    assert spelled == []
    assert outcomes.command("credentials", "anna") == "submit-objections credentials set anna"
    assert outcomes.command("owner", "anna") in outcomes.next_action("needs_owner", "anna")
