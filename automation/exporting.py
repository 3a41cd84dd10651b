"""Evidence made readable: a zip for a complaint (with an index.html), and an HTML report of the whole archive.

Both are plain HTML with relative links, readable offline in any browser; nothing is fetched from anywhere. Every
character beyond ASCII is written as a character reference, so a page reads the same whatever encoding a browser
assumes, and needs no declaration of one.
"""

from __future__ import annotations

import html
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from automation.archive import LegacyFlow, flow_of, write_private
from automation.chain import manifests_in, sha256_of, submission_folders
from automation.errors import ConfigError
from automation.ledger import Entry

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1c1e21}
section{border-top:1px solid #ccd;margin-top:2rem;padding-top:1rem}img{max-width:100%;border:1px solid #ccd}
pre{white-space:pre-wrap;background:#f4f5f7;padding:1rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;
text-align:left;vertical-align:top}code{word-break:break-all}"""


def receipt_of(folder: Path) -> dict:
    try:
        return json.loads((folder / "receipt.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def site_answer(receipt: dict) -> str | None:
    """The verdict of the site's email the receipt records: under `site_answer`, or in a receipt written before it
    was called that, under the key named after the site (`<site>_answer`)."""
    if receipt.get("site_answer"):
        return receipt["site_answer"]
    return next((value for key, value in receipt.items() if key.endswith("_answer") and value), None)


def sites_of(receipts: list[dict]) -> str:
    """The sites the receipts were filed with, as the user calls them ("A and B"); "" when none says."""
    return " and ".join(sorted({str(receipt["site"]) for receipt in receipts if receipt.get("site")}))


def find_submission(archive: Path, submission: str) -> Path:
    folder = (archive / submission).resolve()
    if archive.resolve() not in folder.parents or not folder.is_dir() or folder.parent.parent != archive.resolve():
        known = ", ".join(str(f.relative_to(archive)) for f in submission_folders(archive)[-5:]) or "none"
        raise ConfigError(f"no submission {submission!r} in {archive}",
                          hint=f"IDs are ACCOUNT/FOLDER, as `archive list` shows them (latest: {known})")
    return folder


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def sealed_files(folder: Path) -> dict[str, str]:
    """The files the folder's manifests seal: name -> SHA-256 (empty for an unsealed folder)."""
    sealed: dict[str, str] = {}
    for manifest in manifests_in(folder):
        try:
            sealed.update({entry["name"]: entry["sha256"] for entry in json.loads(manifest.read_text())["files"]})
        except (ValueError, KeyError, TypeError):
            continue
    return sealed


@dataclass
class SubmissionView:
    """One submission folder as `archive show` reads it, for words and for JSON alike: its receipt and parts of it,
    the files its manifests seal, and the other files beside them."""

    folder: Path
    receipt: dict
    sealed: dict[str, str]  # file name -> SHA-256, as the manifests record it
    manifests: list[str]

    @classmethod
    def read(cls, folder: Path) -> "SubmissionView":
        return cls(folder, receipt_of(folder), sealed_files(folder), [m.name for m in manifests_in(folder)])

    def part(self, key: str) -> dict:
        """A part of the receipt that is itself a table (form, language, fields_found_by): {} when missing."""
        return self.receipt.get(key) or {}

    @property
    def files(self) -> list[Path]:
        """The folder's files, its manifests and hidden files aside, by name."""
        return sorted(path for path in self.folder.iterdir() if path.is_file() and not path.name.startswith(".")
                      and path.name not in self.manifests)

    @property
    def emails(self) -> list[str]:
        return sorted(name for name in self.sealed if name.endswith(".eml"))


def submission_html(folder: Path, link_prefix: str, files: list[str] | None = None,
                    legacy_flow: LegacyFlow | None = None) -> str:
    """One submission as HTML; `files`: the names to link (default: every file in the folder)."""
    receipt = receipt_of(folder)
    flow = receipt.get("flow") or flow_of(folder, legacy_flow)
    files = sorted(files if files is not None else (p.name for p in folder.iterdir() if p.is_file()))
    shots = [name for name in files if name.endswith(".png")]
    others = [name for name in files if not name.endswith(".png")]
    timeline = [("started", receipt.get("started_at")), ("Send clicked", receipt.get("sent_at")),
                ("finished", receipt.get("finished_at"))]
    rows = "".join(f"<tr><th>{_e(label)}</th><td>{_e(value or '-')}</td></tr>" for label, value in timeline)
    fields = receipt.get("fields") or {}
    sent_text = fields.get("reason") or receipt.get("objection_text") or ""
    field_rows = "".join(f"<tr><th>{_e(key)}</th><td>{_e(value)}</td></tr>" for key, value in fields.items()
                         if key != "reason")
    site = receipt.get("site") or "the site"  # older receipts do not name it
    answer = site_answer(receipt)
    answered = (f"<p>{_e(site[:1].upper() + site[1:])}'s email answering the objection says: {_e(answer)}.</p>"
                if answer else "")
    manifests = []
    for manifest in manifests_in(folder):
        for entry in json.loads(manifest.read_text()).get("files", []):
            manifests.append(f"<tr><td>{_e(entry['name'])}</td><td><code>{_e(entry['sha256'])}</code></td></tr>")
    return f"""<section>
<h2>{_e(receipt.get('account', folder.parent.name))}: {_e(str(receipt.get('outcome', 'unfinished')).replace('_', ' '))}</h2>
<p>{_e(receipt.get('platform'))}{', ' + _e(flow) if flow else ''}, form {_e((receipt.get('form') or {}).get('address'))}
(variant {_e((receipt.get('form') or {}).get('variant'))}){' — sent' if receipt.get('sent') else ' — not sent'}.</p>
<table>{rows}</table>
<h3>The text sent</h3><pre>{_e(sent_text)}</pre>
<table>{field_rows}</table>
<h3>What {_e(site)} showed</h3><p>{_e(receipt.get('confirmation_text') or receipt.get('page_said') or receipt.get('reason'))}</p>
{answered}
{''.join(f'<figure><img src="{_e(link_prefix + name)}" alt="{_e(name)}"><figcaption>{_e(name)}</figcaption></figure>'
         for name in shots)}
<h3>Files and their SHA-256</h3>
<ul>{''.join(f'<li><a href="{_e(link_prefix + name)}">{_e(name)}</a></li>' for name in others)}</ul>
<table>{''.join(manifests)}</table>
</section>"""


def show_lines(folder: Path, legacy_flow: LegacyFlow | None = None) -> list[str]:
    """One submission in words: what README says a receipt holds, the site's answer, and each file with its seal."""
    view = SubmissionView.read(folder)
    receipt, sealed, manifests = view.receipt, view.sealed, view.manifests
    form, language, found_by = view.part("form"), view.part("language"), view.part("fields_found_by")
    lines = [
        f"submission: {folder.parent.name}/{folder.name}",
        f"account: {receipt.get('account', folder.parent.name)} ({receipt.get('platform', '-')}, "
        f"login {receipt.get('login', '-')})",
        f"flow: {receipt.get('flow') or flow_of(folder, legacy_flow) or '-'}",
        f"outcome: {receipt.get('outcome', 'unfinished')}: {receipt.get('reason') or '-'}",
        f"sent: {'yes, Send was clicked' if receipt.get('sent') else 'no'}",
        f"form: {form.get('address') or '-'} (variant {form.get('variant') or '-'})",
        f"language: expected {language.get('expected') or '-'}, the page was in {language.get('page') or '-'}",
        f"started_at: {receipt.get('started_at') or '-'}",
        f"sent_at: {receipt.get('sent_at') or '-'}",
        f"finished_at: {receipt.get('finished_at') or '-'}",
        f"owner stepped in: {receipt.get('owner_stepped_in') or 'no'}",
        f"confirmation_text: {receipt.get('confirmation_text') or receipt.get('page_said') or '-'}",
    ]
    emails = view.emails
    answer = site_answer(receipt) or ("kept, see the email" if emails else "none yet")
    lines.append(f"{receipt.get('site') or 'the site'}'s answer: {answer}" + (f" ({', '.join(emails)})" if emails else ""))
    lines.append("fields as sent:" if receipt.get("fields") else "fields as sent: none")
    for name, value in (receipt.get("fields") or {}).items():
        text = " ".join(str(value).split())
        lines.append(f"  {name}: {text}" + (f"  [found {found_by[name]}]" if name in found_by else ""))
    lines.append(f"tool: {receipt.get('tool', 'submit-objections')} {receipt.get('tool_version', '-')}")
    lines.append(f"files (sealed by {', '.join(manifests)}):" if manifests else
                 "files (UNSEALED: no manifest, not evidence yet):")
    for path in view.files:
        seal = f"sha256 {sealed[path.name]}" if path.name in sealed else "NOT SEALED"
        lines.append(f"  {path.name}  {seal}")
    return lines


def page(title: str, body: str) -> str:
    """The whole document, in ASCII: any other character as a numeric reference (&#8212; for an em dash)."""
    document = (f'<!doctype html><html lang="en"><head><title>{_e(title)}</title>'
                f"<style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>\n")
    return document.encode("ascii", "xmlcharrefreplace").decode("ascii")


def export(archive: Path, submissions: list[str], target: Path, legacy_flow: LegacyFlow | None = None) -> Path:
    """A zip of sealed evidence: index.html, and of each submission its manifests and exactly the files they seal,
    each checked against its SHA-256 first. Anything else in a folder (added after sealing) stays out; a submission
    that is unsealed, or whose sealed files changed, is refused."""
    folders = [find_submission(archive, submission) for submission in submissions]
    members: list[tuple[str, bytes]] = []
    sections = []
    for folder in folders:
        where = f"{folder.parent.name}/{folder.name}"
        sealed = sealed_files(folder)
        if not sealed:
            raise ConfigError(f"{where} is not sealed (a run stopped before it sealed what it captured): not "
                              "evidence yet", hint=f"the next `submit-objections --account {folder.parent.name}` "
                              "seals it as it is; export it then")
        names = [manifest.name for manifest in manifests_in(folder)] + sorted(sealed)
        for name in names:
            try:
                data = (folder / name).read_bytes()
            except FileNotFoundError:
                data = None
            if data is None or (name in sealed and sha256_of(data) != sealed[name]):
                raise ConfigError(f"{where}/{name} was {'removed' if data is None else 'changed'} after it was "
                                  "sealed: the zip would not match its manifest",
                                  hint="`archive verify` names every problem; export submissions that verify")
            members.append((f"{where}/{name}", data))
        sections.append(submission_html(folder, f"{where}/", names, legacy_flow=legacy_flow))
    sites = sites_of([receipt_of(folder) for folder in folders])
    intro = (f"<p>Evidence of objections under GDPR Art. 21{' to ' + _e(sites) if sites else ''}, recorded by "
             "submit-objections; each submission shows the text sent. Each file's SHA-256 is listed under its "
             "submission; each manifest also names the one before it, so that a changed or missing file shows.</p>")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("index.html", page("Objection evidence", intro + "".join(sections)))
        for name, data in members:
            bundle.writestr(name, data)
    target.chmod(0o600)
    return target


def submissions_with_flows(archive: Path, entries: list[Entry],
                           legacy_flow: LegacyFlow | None) -> list[tuple[Path, str | None]]:
    """Every submission folder with the flow it was filed with (None: not known). An older folder (no flow in its
    name) is its platform's flow of that time: the platform its receipt names, or the ledger's for its account when
    the run stopped before it wrote a receipt."""
    platforms = {entry.account: entry.platform for entry in entries}
    return [(folder, flow_of(folder, legacy_flow, platforms.get(folder.parent.name)))
            for folder in submission_folders(archive)]


def report(archive: Path, entries: list[Entry], legacy_flow: LegacyFlow | None = None) -> Path:
    """Every account, and under it each of its requests (one per flow): where the ledger has it, and its
    submissions, newest first."""
    status = {(entry.account, entry.flow): entry for entry in entries}
    runs: dict[tuple[str, str], list[Path]] = {}
    for folder, flow in submissions_with_flows(archive, entries, legacy_flow):
        runs.setdefault((folder.parent.name, flow or ""), []).append(folder)
    parts = []
    requests = sorted(set(runs) | set(status))
    for account in dict.fromkeys(account for account, _ in requests):
        parts.append(f"<h2 id=\"{_e(account)}\">{_e(account)}</h2>")
        for flow in [flow for name, flow in requests if name == account]:
            entry = status.get((account, flow))
            state = f"{entry.shown_status} since {entry.since}" if entry else "not in the ledger"
            parts.append(f"<p>Status{' of ' + _e(flow) if flow else ''}: {_e(state)}</p>")
            for folder in reversed(runs.get((account, flow), [])):
                parts.append(submission_html(folder, f"{account}/{folder.name}/", legacy_flow=legacy_flow))
    target = archive / "report.html"
    sites = sites_of([receipt_of(folder) for folder in submission_folders(archive)])
    title = f"Objections to {sites}: the archive" if sites else "Objections: the archive"
    write_private(target, page(title, "".join(parts)).encode("ascii"))
    return target
