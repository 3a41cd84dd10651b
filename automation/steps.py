"""The small, closed vocabulary of steps a flow is written in.

A flow is a list of these: data that the runner executes on a page and that a dry run prints. Targets locate elements
the way a person does: by role and accessible name, by label or by visible text. None of them holds wording: each names
a key of the site's wording tables (`automation.wording`), which say it in every language, so that a step reads the
same whatever language the page is in. Where a label may not match, a target names a structural fallback: what the
element is on the page (the only password field, the only text area), used only when it is the only one.
"""

from __future__ import annotations

import functools
from typing import Annotated, Callable, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["confirmed", "submitted", "already_objected", "done", "already_done", "not_eligible", "needs_owner",
                 "form_changed", "failed"]
SecretKind = Literal["password", "totp"]
# What an element is on the page, for the structural fallback: the only visible element of this kind.
Structure = Literal["password", "login", "email", "select", "textarea", "code", "submit", "file"]
STRUCTURE_WORDS = {
    "password": "password field", "login": "text field beside the password field", "email": "e-mail field",
    "select": "drop-down list", "textarea": "text area", "code": "code field", "submit": "submit button",
    "file": "file field",
}

Say = Callable[[str], str]  # a wording key -> the words a person reads ('"Send"')


def plain(key: str) -> str:
    return f'"{key.replace("_", " ")}"'


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Frozen):
    """What to look for: exactly one of role (with a wording key as its name), label, text, url or field."""

    role: str | None = None  # button, link, radio, ...
    name: str | None = None  # wording key of the accessible name, with role
    label: str | None = None  # wording key of a field's label
    text: str | None = None  # wording key of a visible text
    url: str | None = None  # a regular expression for the page's address (not wording: hosts and paths)
    means: str | None = None  # with url: what such an address is, in words
    field: Structure | None = None  # structure only: the page's only element of this kind
    fallback: Structure | None = None  # with label or role: the structure to use when no wording matches

    def model_post_init(self, context) -> None:
        # Checked once, when the target is made; an "after" model validator would run again each time a step holding
        # the target is made (a dry run over 100 accounts spent a third of its time there).
        chosen = [key for key in ("role", "label", "text", "url", "field") if getattr(self, key) is not None]
        if len(chosen) != 1 or (self.name is not None and self.role is None) or (self.means and self.url is None):
            raise ValueError("a target has exactly one of role (with optional name), label, text, url or field")
        if self.fallback is not None and self.role is None and self.label is None:
            raise ValueError("only a role or label target has a structural fallback")

    @property
    def key(self) -> str | None:
        return self.name or self.label or self.text

    def describe(self, say: Say = plain) -> str:
        if self.role is not None:
            what = f"the {say(self.name)} {self.role}" if self.name else f"a {self.role}"
        elif self.label is not None:
            what = f"the field labelled {say(self.label)}"
        elif self.text is not None:
            what = f"text saying {say(self.text)}"
        elif self.url is not None:
            what = self.means or "an address it expects"
        else:
            return f"the page's only {STRUCTURE_WORDS[self.field]}"
        return what + (f" (or the page's only {STRUCTURE_WORDS[self.fallback]})" if self.fallback else "")


@functools.cache  # targets are frozen: one instance per meaning, however many steps use it
def role(kind: str, name: str | None = None, fallback: Structure | None = None) -> Target:
    return Target(role=kind, name=name, fallback=fallback)


def button(name: str, fallback: Structure | None = None) -> Target:
    return role("button", name, fallback)


def link(name: str) -> Target:
    return role("link", name)


@functools.cache
def label(key: str, fallback: Structure | None = None) -> Target:
    return Target(label=key, fallback=fallback)


@functools.cache
def text(key: str) -> Target:
    return Target(text=key)


@functools.cache
def url(pattern: str, means: str) -> Target:
    return Target(url=pattern, means=means)


@functools.cache
def field(kind: Structure) -> Target:
    return Target(field=kind)


class Goto(_Frozen):
    kind: Literal["goto"] = "goto"
    url: str

    def describe(self, say: Say = plain) -> str:
        return f"open {self.url}"


class Click(_Frozen):
    kind: Literal["click"] = "click"
    target: Target
    optional: bool = False
    wait: float = 0  # an optional click waits this long for its target, then moves on

    def describe(self, say: Say = plain) -> str:
        suffix = f", if it shows within {self.wait:g} s" if self.optional else ""
        return f"click {self.target.describe(say)}{suffix}"


class Fill(_Frozen):
    kind: Literal["fill"] = "fill"
    target: Target
    value: str
    record_as: str | None = None  # receipt field name; the value as sent goes into the receipt

    def describe(self, say: Say = plain) -> str:
        shown = self.value if len(self.value) <= 60 else f"{self.value[:40]}... ({len(self.value)} characters)"
        return f"type {shown!r} into {self.target.describe(say)}"


class TypeSecret(_Frozen):
    """Types a secret read from the keyring only now; never logged, masked in every screenshot."""

    kind: Literal["type_secret"] = "type_secret"
    target: Target
    secret: SecretKind
    fresh: bool = False  # for a retried 2FA code: wait for a code other than the one just refused

    def describe(self, say: Say = plain) -> str:
        what = "the password from the keyring" if self.secret == "password" else "a 2FA code from the keyring's TOTP secret"
        return f"type {what} into {self.target.describe(say)}" + (" (a new code)" if self.fresh else "")


class FormField(_Frozen):
    """One field of a form, found by meaning: its label in any language, else what it is (the form's only select)."""

    name: str  # the receipt's name for it: country, email, reason
    label: str  # wording key of its label
    structure: Literal["select", "email", "textarea", "text"]  # text: a one-line text field (a name)
    value: str  # for a country select: the ISO 3166 code, chosen by the country's name in the page's language
    country: bool = False
    needed: bool = True  # False: filled when the form has it; True: a form without it is one the tool does not know
    shown: str | None = None  # what a plan says for a long value ("the prompts"); default: "the objection text"


class FillForm(_Frozen):
    """Takes an inventory of the form's controls, then fills the fields it knows; or stops before filling anything
    (`form_changed`) when a required control is one it has no value for, or a needed field is missing."""

    kind: Literal["fill_form"] = "fill_form"
    purpose: str
    fields: list[FormField]
    known: list[str] = []  # wording keys of controls the tool recognises and leaves as they are
    later: list[str] = []  # wording keys of controls a later step fills (a file to attach): required, but not unknown
    required_marker: str | None = None  # wording key of a label's "(Required)"
    optional_marker: str | None = None  # wording key of a label's "(Optional)"

    def describe(self, say: Say = plain) -> str:
        parts = [f"{f.name} ({'the country' if f.country else repr(f.value) if len(f.value) <= 40 else f.shown or 'the objection text'})"
                 for f in self.fields]
        return (f"{self.purpose}: check the form's fields, then fill {', '.join(parts)}; stop without filling if it "
                "asks for something the tool does not know")


class Upload(_Frozen):
    """Attaches a file (a screenshot the accounts file names) to the file field `target` finds by its label. A file
    that is gone by then stops the flow before anything is sent."""

    kind: Literal["upload"] = "upload"
    target: Target
    path: str  # an absolute path, checked when the accounts file was read
    record_as: str | None = None  # receipt field name: the file's name, size and SHA-256 go into the receipt

    def describe(self, say: Say = plain) -> str:
        return f"attach the file {self.path} to {self.target.describe(say)}"


class Check(_Frozen):
    kind: Literal["check"] = "check"
    target: Target
    record_as: str | None = None
    record_value: str = "yes"

    def describe(self, say: Say = plain) -> str:
        return f"tick {self.target.describe(say)}"


class Screenshot(_Frozen):
    kind: Literal["screenshot"] = "screenshot"
    name: str
    keep_page: bool = False  # also keep the page itself, as HTML and as PDF

    def describe(self, say: Say = plain) -> str:
        extra = ", and the page as HTML and PDF" if self.keep_page else ""
        return f"save a full-page screenshot '{self.name}'{extra} as evidence"


class Submit(_Frozen):
    """The click that files the request. A rehearsal stops just before it."""

    kind: Literal["submit"] = "submit"
    target: Target

    def describe(self, say: Say = plain) -> str:
        return f"SEND: click {self.target.describe(say)} (a rehearsal stops here)"


class EmailCode(_Frozen):
    """Types the code the site emails after Send: from the account's mailbox, else asked at the terminal."""

    kind: Literal["email_code"] = "email_code"
    target: Target

    def describe(self, say: Say = plain) -> str:
        return f"type the code emailed to the account into {self.target.describe(say)}"


class ExpectGone(_Frozen):
    """An outcome check: the target must disappear (the form after Send), else the flow fails with `reason`."""

    kind: Literal["expect_gone"] = "expect_gone"
    target: Target
    reason: str
    timeout: float = 10

    def describe(self, say: Say = plain) -> str:
        return f"check that {self.target.describe(say)} is gone within {self.timeout:g} s"


class Capture(_Frozen):
    """Keeps what the page says: the target's text, or without a target the page's headings and messages."""

    kind: Literal["capture"] = "capture"
    target: Target | None = None
    record_as: str

    def describe(self, say: Say = plain) -> str:
        what = self.target.describe(say) if self.target else "the page's headings and messages"
        return f"keep {what} in the receipt"


class Record(_Frozen):
    kind: Literal["record"] = "record"
    key: str
    value: str

    def describe(self, say: Say = plain) -> str:
        return f"note {self.key.replace('_', ' ')}: {self.value}"


class HandOff(_Frozen):
    """A check only the account's owner may answer (checkpoint, captcha). With a visible browser the run waits for
    the owner to pass it in the window, then carries on; otherwise the account stops as needing its owner."""

    kind: Literal["hand_off"] = "hand_off"
    at: list[Target]  # what shows while the check is on screen
    reason: str

    def describe(self, say: Say = plain) -> str:
        return "hand over to the owner: with --headed wait for them to pass the check in the window, else stop"


class Outcome(_Frozen):
    kind: Literal["outcome"] = "outcome"
    status: Status
    reason: str

    def describe(self, say: Say = plain) -> str:
        return f"stop: {self.status.replace('_', ' ')} ({self.reason})"


class Case(_Frozen):
    """Runs `steps` when any `when` target shows and no `unless` target does. A `settled` case counts only once the
    page has stopped changing (for signs that a page still loading may show too early, such as its address)."""

    when: list[Target]
    steps: list["Step"]
    unless: list[Target] = Field(default_factory=list)  # a factory: a default [] is deep-copied for each Case made
    settled: bool = False

    def describe(self, say: Say = plain) -> str:
        shown = " or ".join(target.describe(say) for target in self.when)
        if self.unless:
            shown += ", without " + " or ".join(target.describe(say) for target in self.unless)
        return shown + (", once the page has settled" if self.settled else "")


class Branch(_Frozen):
    """Waits until the first case whose target shows, then runs that case's steps. When the page has settled and
    shows none of them (or `timeout` has passed), runs `otherwise`, or stops: the page is not one the flow knows."""

    kind: Literal["branch"] = "branch"
    purpose: str
    cases: list[Case]
    timeout: float = 30
    patience: float = 2  # seconds a settled page may show none of the cases before the branch gives up
    otherwise: list["Step"] | None = None

    def describe(self, say: Say = plain) -> str:
        return f"{self.purpose}: wait for the first of"


Step = Annotated[
    Union[Goto, Click, Fill, TypeSecret, FillForm, Upload, Check, Screenshot, Submit, EmailCode, ExpectGone, Capture,
          Record, HandOff, Outcome, Branch],
    Field(discriminator="kind"),
]

Case.model_rebuild()
Branch.model_rebuild()


def plan_lines(steps: list[Step], say: Say = plain, indent: str = "  ") -> list[str]:
    """The steps as numbered lines for a dry run: the same list the runner executes, in words."""
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        lines.append(f"{indent}{number}. {step.describe(say)}")
        if isinstance(step, Branch):
            for case in step.cases:
                then = "" if case.steps else " go on"
                lines.append(f"{indent}   - if {case.describe(say)} shows:{then}")
                lines.extend(plan_lines(case.steps, say, indent + "       "))
            if step.otherwise is not None:
                lines.append(f"{indent}   - if none shows:")
                lines.extend(plan_lines(step.otherwise, say, indent + "       "))
            else:
                lines.append(f"{indent}   - if none shows: stop, and keep a snapshot of the page to report")
    return lines


def _actions(steps: list[Step], say: Say) -> list[str]:
    """What a case does, for the short plan: its own actions, each once, and the branches it goes on to by purpose."""
    found: list[str] = []
    for step in steps:
        if isinstance(step, (Record, Capture, ExpectGone)):
            continue
        if isinstance(step, Branch):
            action = f"then {step.purpose}"
        elif isinstance(step, Outcome):
            action = f"stop: {step.status.replace('_', ' ')}"
        else:
            action = step.describe(say)
        if action not in found:
            found.append(action)
    return found


def summary_lines(steps: list[Step], say: Say = plain, indent: str = "  ") -> list[str]:
    """The steps as a short plan a person checks in a minute: each step, and for each branch one line per case
    with what that case does; the same list the runner executes, folded (--dry-run -v unfolds it)."""
    lines: list[str] = []
    number = 0
    for step in steps:
        if isinstance(step, Record):
            continue
        number += 1
        if not isinstance(step, Branch):
            lines.append(f"{indent}{number}. {step.describe(say)}")
            continue
        lines.append(f"{indent}{number}. {step.purpose}, whichever shows:")
        for case in step.cases:
            done = "; ".join(_actions(case.steps, say)) or "go on"
            lines.append(f"{indent}   - {case.when[0].describe(say)}: {done}")
        if step.otherwise is not None:
            lines.append(f"{indent}   - none of these: {'; '.join(_actions(step.otherwise, say))}")
    return lines
