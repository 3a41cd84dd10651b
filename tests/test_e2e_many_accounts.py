"""One run over a mixed accounts file, Facebook and Instagram: each account's outcome, as the mock recorded it and as
the table and the JSON tell it; one after another, and three at a time."""

from __future__ import annotations

import json

import pytest

from e2e_support import Person, receipts, shared_world, table_row

pytestmark = pytest.mark.e2e

PEOPLE = [
    Person("fb-anna", platform="facebook", totp=True, form_variant="2024"),
    Person("ig-bea", platform="instagram", totp=True, form_variant="2025"),
    Person("ig-cai", platform="instagram", form_variant="2024"),
    Person("fb-dan", platform="facebook", form_variant="2025"),
    Person("fb-eli", platform="facebook", stored_password="wrong-password-here"),
    Person("ig-fox", platform="instagram", checkpoint="identity"),
    Person("fb-gus", platform="facebook", region="US", form_variant="2025"),
    Person("ig-hal", platform="instagram", region="JP", totp=True, form_variant="2024"),
]
EXPECTED = {
    "fb-anna": "confirmed", "ig-bea": "confirmed", "ig-cai": "confirmed", "fb-dan": "confirmed",
    "fb-eli": "failed", "ig-fox": "needs_owner", "fb-gus": "not_eligible", "ig-hal": "confirmed",
}
FILED = {"fb-anna": "www.facebook.com", "ig-bea": "help.instagram.com", "ig-cai": "help.instagram.com",
         "fb-dan": "www.facebook.com", "ig-hal": "help.instagram.com"}


@pytest.mark.slow
def test_one_run_over_facebook_and_instagram_accounts_three_at_a_time(world):
    """Three at a time, where a cookie crossing accounts would show; one at a time is what every other test runs."""
    concurrency = "3"
    run = world(PEOPLE)
    mock, archive = run.mock, run.archive

    done = run.run("--concurrency", concurrency, "--json", timeout=400)

    assert done.returncode == 4, done.stdout + done.stderr  # some failed, so 4 whatever else happened
    reported = {entry["account"]: entry for entry in json.loads(done.stdout)}
    assert {name: entry["outcome"] for name, entry in reported.items()} == EXPECTED
    assert [entry["account"] for entry in json.loads(done.stdout)] == [p.name for p in PEOPLE]  # file order
    filed = {entry["login"].split("@")[0]: entry["host"] for entry in mock.submissions()}
    assert filed == FILED
    assert "password is wrong" in reported["fb-eli"]["reason"] and reported["fb-eli"]["screenshot"]
    assert "--headed --account ig-fox" in reported["ig-fox"]["reason"]
    for name, entry in reported.items():
        assert receipts(archive, name)[0]["outcome"] == entry["outcome"]
        assert entry["evidence"] and entry["evidence"].startswith(str(archive / name))
    assert receipts(archive, "ig-hal")[0]["fields"]["country"] == "Japan"
    # No cookie crossed accounts: every account logged in itself, exactly once.
    logins = [event["login"] for event in mock.events("login")]
    assert sorted(logins) == sorted(p.login for p in PEOPLE if EXPECTED[p.name] not in ("failed", "needs_owner"))


IVY_FB = Person("fb-ivy", platform="facebook", form_variant="2025")
IVY_IG = Person("ig-ivy", platform="instagram", linked_to="fb-ivy")  # in fb-ivy's Accounts Center


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory, keyring_session, chromium_path):
    """One run, one account after another, of six accounts: the table and the progress lines a person reads."""
    world, [done] = shared_world(tmp_path_factory, keyring_session, chromium_path, "many-one-at-a-time",
                                 PEOPLE[:2] + PEOPLE[5:7] + [IVY_FB, IVY_IG], runs=[()])
    return world, done


def test_the_table_reports_every_account(one_at_a_time):
    _, done = one_at_a_time
    assert done.returncode == 4
    assert table_row(done.stdout, "fb-anna")[1:3] == ["facebook", "confirmed"]
    assert table_row(done.stdout, "ig-bea")[1:3] == ["instagram", "confirmed"]
    assert table_row(done.stdout, "ig-fox")[1:5] == ["instagram", "needs", "the", "owner"]
    assert table_row(done.stdout, "fb-gus")[1:4] == ["facebook", "not", "eligible"]
    assert "[6/6 done]" in done.stderr  # plain progress lines when not a terminal


def test_an_account_covered_by_its_linked_account_is_reported_as_such(one_at_a_time):
    run, done = one_at_a_time
    assert table_row(done.stdout, "fb-ivy")[1:3] == ["facebook", "confirmed"]
    assert table_row(done.stdout, "ig-ivy")[1:4] == ["instagram", "already", "objected"]
    assert "linked account" in done.stdout.split("ig-ivy: ", 1)[1].splitlines()[0]
    [receipt] = receipts(run.archive, "ig-ivy")
    assert receipt["outcome"] == "already_objected" and receipt["sent"] is False
    assert [entry["login"] for entry in run.mock.submissions(IVY_FB.login)] == ["fb-ivy@example.org"]
    assert run.mock.submissions(IVY_IG.login) == []
