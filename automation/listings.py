"""What `status`, `archive list|show|verify` and `credentials check` report, as plain data: the CLI prints it as
words or, with --json, as JSON with these keys (the README's "JSON output" lists them; a key is never renamed or
removed, new ones may be added)."""

from __future__ import annotations

from pathlib import Path

from automation import outcomes
from automation.chain import manifests_in, submission_folders, verify
from automation.exporting import SubmissionView, receipt_of, site_answer

STATUS_KEYS = ("account", "platform", "status", "status_label", "since", "next")


def status_records(rows: list[tuple[str, ...]]) -> list[dict]:
    """`status` rows (account, flow, platform, status, since, next) as records."""
    return [{"account": account, "flow": flow, "platform": platform, "status": status,
             "status_label": outcomes.label(status), "since": since, "next": next_action}
            for account, flow, platform, status, since, next_action, *_ in rows]


def submissions(archive: Path, listed: list[tuple[Path, str | None]]) -> list[dict]:
    """`archive list`: the submissions listed (each folder with the flow it was filed with), oldest first."""
    found = []
    for folder, flow in listed:
        receipt = receipt_of(folder)
        found.append({"submission": str(folder.relative_to(archive)), "account": folder.parent.name,
                      "outcome": receipt.get("outcome"), "sealed": bool(manifests_in(folder)),
                      "path": str(folder), "flow": flow})
    return found


def submission(folder: Path) -> dict:
    """`archive show`: one submission, as its receipt and its seals record it."""
    view = SubmissionView.read(folder)
    receipt, sealed, manifests = view.receipt, view.sealed, view.manifests
    form, language, found_by = view.part("form"), view.part("language"), view.part("fields_found_by")
    files = [{"name": path.name, "sha256": sealed.get(path.name)} for path in view.files]
    return {
        "submission": f"{folder.parent.name}/{folder.name}",
        "account": receipt.get("account", folder.parent.name),
        "platform": receipt.get("platform"),
        "outcome": receipt.get("outcome"),
        "reason": receipt.get("reason"),
        "sent": bool(receipt.get("sent")),
        "form_address": form.get("address"),
        "form_variant": form.get("variant"),
        "language_expected": language.get("expected"),
        "language_page": language.get("page"),
        "started_at": receipt.get("started_at"),
        "sent_at": receipt.get("sent_at"),
        "finished_at": receipt.get("finished_at"),
        "owner_stepped_in": receipt.get("owner_stepped_in") or False,
        "confirmation_text": receipt.get("confirmation_text") or receipt.get("page_said"),
        "site_answer": site_answer(receipt),
        "emails": view.emails,
        "fields": {name: {"value": value, "found_by": found_by.get(name)}
                   for name, value in (receipt.get("fields") or {}).items()},
        "tool_version": receipt.get("tool_version"),
        "sealed": bool(manifests),
        "manifests": manifests,
        "files": files,
    }


def verification(archive: Path, only: str | None = None) -> dict:
    """`archive verify`: every problem found, the unsealed submissions, and how many sealed ones passed."""
    problems, unsealed = verify(archive, only)
    checked = [folder for folder in submission_folders(archive)
               if not only or str(folder.relative_to(archive)) == only]
    return {"intact": not problems, "sealed_checked": len(checked) - len(unsealed), "unsealed": unsealed,
            "problems": [{"where": problem.where, "what": problem.what} for problem in problems]}


def credential_states(keyring, names: list[str], mailbox_of: dict[str, bool]) -> list[dict]:
    """`credentials check`: what is stored for each account (never a secret). `totp` is none, valid or invalid;
    `mailbox` is None for an account without a mailbox; `complete` says whether a run has all it needs."""
    from automation.credentials import normalise_totp_secret
    from automation.errors import ExpectedError

    records = []
    for name in names:
        password = keyring.exists(name, "password")
        totp = keyring.get(name, "totp")
        if totp is None:
            totp_state = "none"
        else:
            try:
                normalise_totp_secret(totp)
                totp_state = "valid"
            except ExpectedError:
                totp_state = "invalid"
        mailbox = keyring.exists(name, "mailbox") if mailbox_of.get(name) else None
        records.append({"account": name, "password": password, "totp": totp_state, "mailbox": mailbox,
                        "complete": password and totp_state != "invalid" and mailbox is not False})
    return records
