"""A complaint to the data protection authority of the account's country (Art. 77 GDPR), for a request the site refused
or left unanswered past a month (Art. 12(3)): a letter to print or paste, and beside it the evidence zip it names.

Nothing is sent: the letter is written to a file for the user to send. What it quotes comes from the sealed evidence
(the receipt: the text sent and when; the site's refusal, kept as .eml), never from memory. The authorities are data
(authorities.toml, one per EU/EEA country, the UK and Switzerland, each with its source); the letter's words and the
controller's name and address come from the flow's site (a template per language), so this module knows countries,
not sites.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from automation import mailcodes
from automation.archive import utc_now, write_private
from automation.countries import country_name
from automation.errors import ConfigError
from automation.exporting import export, receipt_of, sealed_files
from automation.ledger import Entry, answer_due
from automation.plan import SiteMail

AUTHORITIES = Path(__file__).resolve().with_name("authorities.toml")
FIELDS = ("name", "address", "complaint", "website", "source", "verified")
# The parts of a letter template, in the order the letter has them (`refused` or `overdue`, whichever applies).
SECTIONS = ("subject", "complaint_page", "salutation", "intro", "sent", "refused", "overdue", "request", "evidence",
            "closing")
# Each template also names the two grounds in a word or two, for {status_word} in its subject.
WORDS = ("refused_word", "overdue_word")
FALLBACK = "en"


@dataclass(frozen=True)
class Authority:
    country: str
    name: str
    address: str
    complaint: str
    website: str
    source: str
    verified: bool
    note: str = ""


def authorities(path: Path = AUTHORITIES) -> dict[str, Authority]:
    """Every authority in the data file, by ISO 3166 alpha-2 code."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    found = {}
    for code, entry in raw.items():
        missing = [key for key in FIELDS if key not in entry]
        if missing:
            raise ConfigError(f"{path}: [{code}] lacks {', '.join(missing)}")
        found[code] = Authority(code, **{key: entry[key] for key in (*FIELDS, "note") if key in entry})
    return found


def authority_for(country: str) -> Authority:
    known = authorities()
    if country not in known:
        raise ConfigError(f"no data protection authority for the country {country!r} in {AUTHORITIES.name}: it has "
                          "those of the EU/EEA, the UK and Switzerland",
                          hint="outside those the GDPR's complaint does not apply; ask your country's privacy "
                          "regulator, or fix the account's 'country' if it is wrong")
    return known[country]


@dataclass(frozen=True)
class Complaint:
    letter: Path
    evidence: Path
    authority: Authority
    language: str  # the letter's language
    fallback: str | None  # when the account's language has no template: the language asked for (written in English)
    grounds: str  # "refused" or "overdue"


def grounds(entry: Entry, now: dt.datetime) -> str | None:
    """Why a complaint is due: the site refused the request, or a month passed without its answer; else None."""
    if entry.status == "refused":
        return "refused"
    return "overdue" if entry.overdue_at(now) else None


def entry_for(entries: list[Entry], account: str, flow: str | None, now: dt.datetime | None = None) -> Entry:
    """The account's request a complaint is about: the one `flow` names, else the only one refused or overdue, else
    its only request (which `write` then refuses, saying where it stands)."""
    now = now or utc_now()
    own = [entry for entry in entries if entry.account == account]
    if not own:
        raise ConfigError(f"{account}: the ledger has no request for this account: nothing was filed to complain "
                          "about", hint="file it first: `submit-objections --account " + account + "`")
    if flow is not None:
        found = [entry for entry in own if entry.flow == flow]
        if not found:
            raise ConfigError(f"{account}: no request of the flow {flow!r} in the ledger",
                              hint=f"its requests: {', '.join(entry.flow for entry in own)}")
        return found[0]
    due = [entry for entry in own if grounds(entry, now)]
    if len(due) == 1 or len(own) == 1:
        return (due or own)[0]
    if not due:
        states = ", ".join(f"{entry.flow}: {entry.status_at(now)}" for entry in own)
        raise ConfigError(f"{account}: none of its requests was refused or is overdue ({states})",
                          hint="a complaint is for a request refused, or unanswered a month after Send")
    raise ConfigError(f"{account}: more than one request was refused or is overdue "
                      f"({', '.join(entry.flow for entry in due)})", hint="name one with --flow ID")


def _when(value: str | dt.datetime | None) -> str:
    if value is None:
        return "-"
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _quoted(text: str) -> str:
    return "\n".join(f"    > {line}".rstrip() for line in text.strip().splitlines())


def refusal(folder: Path, mail: SiteMail) -> tuple[Path, dict] | None:
    """The newest sealed email in `folder` from the site that refuses the request: (its file, date/subject/text)."""
    sealed = sealed_files(folder)
    for name in sorted((name for name in sealed if name.endswith(".eml")), reverse=True):
        message = email.message_from_bytes((folder / name).read_bytes(), policy=email.policy.default)
        if not mailcodes.is_from(message, mail.senders) or mailcodes.verdict(message, mail.wording) != "refused":
            continue
        if mail.about and not mailcodes.is_about(message, mail.wording, mail.about):
            continue  # the site's answer to another request of the account
        return folder / name, {"date": mailcodes.sent_at(message), "subject": str(message.get("Subject", "")),
                               "text": mailcodes.message_text(message)}
    return None


def write(*, archive: Path, entry: Entry, account, mail: SiteMail, controller: str, language: str,
          template_for: Callable[[str], dict | None], out: Path | None = None, now: dt.datetime | None = None,
          legacy_flow=None) -> Complaint:
    """Writes the letter (never sends it) and the evidence zip beside it; refuses, with a ConfigError that says why,
    a request that is neither refused nor overdue, or that has no sealed evidence."""
    now = now or utc_now()
    why = grounds(entry, now)
    if why is None:
        due = f"; without an answer it is overdue from {_when(answer_due(_parse(entry.sent_at)))}" \
            if entry.sent_at else ""
        raise ConfigError(f"{account.name}: the request {entry.flow} is {entry.status} since {entry.since}: a "
                          f"complaint is for a request {mail.site} refused, or left unanswered for a month after "
                          f"Send (GDPR Art. 12(3)){due}",
                          hint="`submit-objections status --check-mail` looks for the answer first")
    folder = Path(entry.evidence) if entry.evidence else None
    sealed = sealed_files(folder) if folder is not None and folder.is_dir() else {}
    receipt = receipt_of(folder) if folder is not None else {}
    if not sealed or "receipt.json" not in sealed or not receipt.get("sent"):
        raise ConfigError(f"{account.name}: the request {entry.flow} has no sealed evidence of what was sent "
                          f"({folder or 'no evidence folder in the ledger'})",
                          hint="`archive verify` says what is wrong with the archive; a complaint quotes only "
                          "sealed evidence")
    answer = refusal(folder, mail) if why == "refused" else None
    if why == "refused" and answer is None:
        raise ConfigError(f"{account.name}: the ledger says {mail.site} refused the request, but no sealed email "
                          f"in {folder} says so", hint="`archive show` lists the emails kept as evidence")
    authority = authority_for(account.country)
    template = template_for(language)
    fallback = None
    if template is None:
        fallback, template = language, template_for(FALLBACK)
    letter_language = fallback and FALLBACK or language
    submission = f"{folder.parent.name}/{folder.name}"
    stamp = now.strftime("%Y%m%d")
    letter = (out or Path.cwd() / f"complaint-{account.name}-{entry.flow}-{stamp}.txt").expanduser().resolve()
    zipped = letter.with_name(f"{letter.stem}-evidence.zip")
    letter.parent.mkdir(parents=True, exist_ok=True)
    export(archive, [submission], zipped, legacy_flow)
    fields = receipt.get("fields") or {}
    values = {
        "authority": authority.name,
        "controller": controller,
        "controller_name": controller.split(",")[0].strip(),
        "full_name": account.display_name,
        "email": account.email,
        "account": receipt.get("login") or account.login,
        "platform": (receipt.get("platform") or account.platform).capitalize(),
        "country": country_name(account.country, letter_language),
        "sent_at": _when(receipt.get("sent_at") or entry.sent_at),
        "form": (receipt.get("form") or {}).get("address") or "-",
        "today": now.strftime("%Y-%m-%d"),
        "due": _when(answer_due(_parse(receipt.get("sent_at") or entry.sent_at))),
        "zip": zipped.name,
        "answer_date": _when(answer[1]["date"]) if answer else "-",
        "answer_subject": answer[1]["subject"] if answer else "-",
        "answer_file": answer[0].name if answer else "-",
    }
    values["status_word"] = str(template[f"{why}_word"])
    text = _letter(template, values, authority, fields.get("reason") or receipt.get("objection_text") or "",
                   answer[1]["text"] if answer else None, why)
    write_private(letter, text.encode("utf-8"))
    return Complaint(letter, zipped, authority, letter_language, fallback, why)


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _letter(template: dict, values: dict, authority: Authority, sent_text: str, answer_text: str | None,
            why: str) -> str:
    part = {key: str(template[key]).format(**values).strip() for key in SECTIONS}
    lines = [values["full_name"], values["email"], "", authority.name, authority.address, "",
             f"{part['complaint_page']} {authority.complaint}", "", values["today"], "", part["subject"], "",
             part["salutation"], "", part["intro"], "", part["sent"], "", _quoted(sent_text), ""]
    if why == "refused":
        lines += [part["refused"], "", _quoted(answer_text or ""), ""]
    else:
        lines += [part["overdue"], ""]
    lines += [part["request"], "", part["evidence"], "", part["closing"], values["full_name"], ""]
    return "\n".join(lines)
