"""A third flow for a site that is not Meta, added through the registry alone: the CLI plans it, files it, keeps
the evidence; the engine needed no change."""

from __future__ import annotations

import json

import pytest

from toy_flow import ToySite

pytestmark = pytest.mark.e2e

ACCOUNT = """[[accounts]]
name = "tess"
platform = "toy"
login = "tess"
email = "tess@example.org"
country = "NL"
full_name = "Tess Example"
"""


@pytest.fixture
def toy():
    site = ToySite()
    yield site
    site.stop()


def test_a_toy_flow_registered_by_name_is_planned_and_filed_by_the_cli(cli, toy, tmp_path):
    config = tmp_path / "accounts.toml"
    config.write_text(ACCOUNT)
    unknown = cli("--config", str(config), "--dry-run")
    assert unknown.returncode == 2 and "field 'platform' must be one of facebook, instagram" in unknown.stderr

    cli.env["SUBMIT_OBJECTIONS_FLOWS"] = "tests.toy_flow:FLOW"
    assert cli("--config", str(config), "credentials", "set", "tess", input="toy-pw\n\n").returncode == 0
    plan = cli("--config", str(config), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert "open https://forms.toy.test/complaint" in plan.stdout and 'the "Send" button' in plan.stdout
    assert "| I complain about the toy site, Tess Example" in plan.stdout

    archive = tmp_path / "archive"
    done = cli("--config", str(config), "--mirror", toy.url, "--archive", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    [posted] = toy.posted
    assert posted["mail"] == "tess@example.org" and posted["what"].startswith("I complain about the toy site")
    [receipt] = [json.loads(path.read_text()) for path in archive.glob("tess/*/receipt.json")]
    assert receipt["outcome"] == "confirmed" and receipt["platform"] == "toy"
    assert receipt["fields"]["email"] == "tess@example.org" and "got your complaint" in receipt["confirmation_text"]
    assert receipt["fields_found_by"]["reason"] == 'by its label "What is wrong?" (en)'
