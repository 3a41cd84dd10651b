"""The small, closed vocabulary of steps a flow is written in.

A flow is a list of these: data that the runner executes on a page and that a dry run prints as it is. Targets
locate elements the way a person does, by role and accessible name, by label or by visible text, each a
case-insensitive regular expression meant to match only the stable part of Meta's wording.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

Status = Literal["confirmed", "already_objected", "not_eligible", "needs_owner", "failed"]
SecretKind = Literal["password", "totp"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Frozen):
    """What to look for: exactly one of role (with an optional name), label, text or url."""

    role: str | None = None
    name: str | None = None
    label: str | None = None
    text: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Target":
        chosen = [key for key in ("role", "label", "text", "url") if getattr(self, key) is not None]
        if len(chosen) != 1 or (self.name is not None and self.role is None):
            raise ValueError("a target has exactly one of role (with optional name), label, text or url")
        return self

    def describe(self) -> str:
        if self.role is not None:
            return f"{self.role} /{self.name}/" if self.name else self.role
        if self.label is not None:
            return f"field labelled /{self.label}/"
        if self.text is not None:
            return f"text /{self.text}/"
        return f"address matching /{self.url}/"


def role(kind: str, name: str | None = None) -> Target:
    return Target(role=kind, name=name)


def label(pattern: str) -> Target:
    return Target(label=pattern)


def text(pattern: str) -> Target:
    return Target(text=pattern)


def url(pattern: str) -> Target:
    return Target(url=pattern)


class Goto(_Frozen):
    kind: Literal["goto"] = "goto"
    url: str

    def describe(self) -> str:
        return f"open {self.url}"


class Click(_Frozen):
    kind: Literal["click"] = "click"
    target: Target
    optional: bool = False
    wait: float = 0  # an optional click waits this long for its target, then moves on

    def describe(self) -> str:
        suffix = f" if it shows within {self.wait:g} s" if self.optional else ""
        return f"click {self.target.describe()}{suffix}"


class Fill(_Frozen):
    kind: Literal["fill"] = "fill"
    target: Target
    value: str
    record_as: str | None = None  # receipt field name; the value as sent goes into the receipt

    def describe(self) -> str:
        shown = self.value if len(self.value) <= 60 else f"{self.value[:40]}... ({len(self.value)} characters)"
        return f"fill {self.target.describe()} with {shown!r}"


class KeepValue(_Frozen):
    """Keep what the form pre-filled (Meta pre-fills the account's email); fill `value` only if it is empty."""

    kind: Literal["keep_value"] = "keep_value"
    target: Target
    value: str
    record_as: str

    def describe(self) -> str:
        return f"keep the pre-filled {self.target.describe()} (or fill {self.value!r} if empty)"


class TypeSecret(_Frozen):
    """Types a secret read from the keyring only now; never logged, masked in every screenshot."""

    kind: Literal["type_secret"] = "type_secret"
    target: Target
    secret: SecretKind
    fresh: bool = False  # for a retried 2FA code: wait for a code other than the one just refused

    def describe(self) -> str:
        what = "the password from the keyring" if self.secret == "password" else "a 2FA code from the keyring's TOTP secret"
        return f"type {what} into {self.target.describe()}" + (" (a new code)" if self.fresh else "")


class Select(_Frozen):
    kind: Literal["select"] = "select"
    target: Target
    choices: list[str]  # the first option whose label equals one of these (case-insensitive) is chosen
    record_as: str | None = None

    def describe(self) -> str:
        return f"choose {' | '.join(self.choices)} in {self.target.describe()}"


class Check(_Frozen):
    kind: Literal["check"] = "check"
    target: Target
    record_as: str | None = None
    record_value: str = "yes"

    def describe(self) -> str:
        return f"tick {self.target.describe()}"


class Screenshot(_Frozen):
    kind: Literal["screenshot"] = "screenshot"
    name: str
    keep_page: bool = False  # also keep the page itself, as HTML and as PDF

    def describe(self) -> str:
        extra = ", and the page as HTML and PDF" if self.keep_page else ""
        return f"save a full-page screenshot '{self.name}'{extra} as evidence"


class Submit(_Frozen):
    """The click that files the objection. A rehearsal stops just before it."""

    kind: Literal["submit"] = "submit"
    target: Target

    def describe(self) -> str:
        return f"SEND: click {self.target.describe()} (a rehearsal stops here)"


class EmailCode(_Frozen):
    """Types the 6-digit code Meta emails after Send: from the account's mailbox, else asked at the terminal."""

    kind: Literal["email_code"] = "email_code"
    target: Target

    def describe(self) -> str:
        return f"type the code Meta emails to the account into {self.target.describe()}"


class ExpectGone(_Frozen):
    """An outcome check: the target must disappear (the form after Send), else the flow fails with `reason`."""

    kind: Literal["expect_gone"] = "expect_gone"
    target: Target
    reason: str
    timeout: float = 10

    def describe(self) -> str:
        return f"check that {self.target.describe()} is gone within {self.timeout:g} s"


class Capture(_Frozen):
    kind: Literal["capture"] = "capture"
    target: Target
    record_as: str

    def describe(self) -> str:
        return f"read {self.target.describe()} as {self.record_as}"


class Record(_Frozen):
    kind: Literal["record"] = "record"
    key: str
    value: str

    def describe(self) -> str:
        return f"note {self.key} = {self.value}"


class HandOff(_Frozen):
    """A check only the account's owner may answer (checkpoint, captcha). With a visible browser the run waits for
    the owner to pass it in the window, then carries on; otherwise the account stops as needing its owner."""

    kind: Literal["hand_off"] = "hand_off"
    at: list[Target]  # what shows while the check is on screen
    reason: str

    def describe(self) -> str:
        return "hand over to the owner: with --headed wait for them to pass the check in the window, else stop"


class Outcome(_Frozen):
    kind: Literal["outcome"] = "outcome"
    status: Status
    reason: str

    def describe(self) -> str:
        return f"stop: {self.status.replace('_', ' ')} ({self.reason})"


class Case(_Frozen):
    """Runs `steps` when any of the `when` targets shows."""

    when: list[Target]
    steps: list["Step"]

    def describe(self) -> str:
        return " or ".join(target.describe() for target in self.when)


class Branch(_Frozen):
    """Waits until the first case whose target shows, then runs that case's steps."""

    kind: Literal["branch"] = "branch"
    purpose: str
    cases: list[Case]
    timeout: float = 30
    otherwise: list["Step"] | None = None  # run when no case shows in time; without it, the flow fails

    def describe(self) -> str:
        return f"{self.purpose}: wait up to {self.timeout:g} s for the first of"


Step = Annotated[
    Union[Goto, Click, Fill, KeepValue, TypeSecret, Select, Check, Screenshot, Submit, EmailCode, ExpectGone, Capture,
          Record, HandOff, Outcome, Branch],
    Field(discriminator="kind"),
]

Case.model_rebuild()
Branch.model_rebuild()


def plan_lines(steps: list[Step], indent: str = "  ") -> list[str]:
    """The steps as numbered lines for a dry run: the same list the runner executes."""
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        lines.append(f"{indent}{number}. {step.describe()}")
        if isinstance(step, Branch):
            for case in step.cases:
                then = "" if case.steps else " go on"
                lines.append(f"{indent}   - if {case.describe()} shows:{then}")
                lines.extend(plan_lines(case.steps, indent + "       "))
            if step.otherwise is not None:
                lines.append(f"{indent}   - if none shows:")
                lines.extend(plan_lines(step.otherwise, indent + "       "))
            else:
                lines.append(f"{indent}   - if none shows: stop, failed (the page is not what the flow expects)")
    return lines
